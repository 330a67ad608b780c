/**
 * Entry point of the weather_apis admin UI, loaded by AppAPI's top-menu page
 * (protocol §7.3) as /index.php/apps/app_api/proxy/weather_apis/js/weather_apis-main.js.
 * The page provides the initial state {version} under AppAPI's
 * app id (a JSON string), the request token and OC.webroot.
 */
import axios from '@nextcloud/axios'
import { loadState } from '@nextcloud/initial-state'
import { generateUrl } from '@nextcloud/router'
import { createApp } from 'vue'
import App from './App.vue'
import { APP_ID, axiosTransport, createClient } from './api/client.js'
import { loadAppTranslations } from './l10n.js'
import './styles/shared.css'

/**
 * readInitialState parses AppAPI's initial state defensively.
 *
 * @return {{version: string}}
 */
function readInitialState() {
	try {
		const raw = loadState('app_api', 'app', null)
		const state = typeof raw === 'string' ? JSON.parse(raw) : raw
		return { version: typeof state?.version === 'string' ? state.version : '' }
	} catch {
		return { version: '' }
	}
}

async function start() {
	const baseUrl = generateUrl(`/apps/app_api/proxy/${APP_ID}`)
	await loadAppTranslations(axios, baseUrl)
	const client = createClient({ baseUrl, send: axiosTransport(axios) })
	// NcContent teleports its keyboard skip links into #skip-actions, which
	// Nextcloud ≥ 28 puts in every page; provide it where the page has none.
	if (!document.getElementById('skip-actions')) {
		const skip = document.createElement('div')
		skip.id = 'skip-actions'
		skip.className = 'wa-skip-shim' // hidden until focused (App.vue)
		document.body.prepend(skip)
	}
	// AppAPI's template nests an empty #content inside the layout's #content.
	const target = document.querySelector('#content #content') ?? document.getElementById('content')
	createApp(App, { initial: readInitialState() })
		.provide('client', client)
		.mount(target)
}

start()
