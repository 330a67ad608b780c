/**
 * fakeApi serves the ExApp's API to page tests: routes map "METHOD path" to a
 * handler (req) => {status?, data?, error?, source?, schema?, headers?, raw?}
 * whose result is wrapped in the envelope the ExApp sends (or sent as is with
 * `raw`). Every call is recorded with its method, path, query, body and
 * whether it bypassed the cache. Unrouted calls answer 404 NOT_FOUND.
 */
import { flushPromises } from '@vue/test-utils'
import { createClient } from '../../src/api/client.js'

export function envelope({ data = null, error = null, source = 'upstream', schema = null }) {
	return JSON.stringify({ data: error ? null : data, error, source, version: { app: '1.0.0', schema, envelope: 1 }, request_id: 'req-test' })
}

export function fakeApi(routes) {
	const calls = []
	const send = async (method, url, { body, headers }) => {
		const u = new URL(url, 'http://nc.test')
		const path = u.pathname.replace(/^\/proxy/, '')
		const req = { method, path, query: Object.fromEntries(u.searchParams), body, bypass: headers?.['Cache-Control'] === 'no-cache' }
		calls.push(req)
		const handler = routes[`${method} ${path}`] ?? Object.entries(routes).find(([k]) => k.endsWith('*') && `${method} ${path}`.startsWith(k.slice(0, -1)))?.[1]
		const r = handler ? await handler(req) : { status: 404, error: { code: 'NOT_FOUND', message: `no route ${method} ${path}`, status: 404 }, source: 'local' }
		if (r.raw !== undefined) {
			return { status: r.status ?? 200, headers: r.headers ?? {}, body: r.raw }
		}
		const status = r.status ?? (r.error ? r.error.status ?? 500 : 200)
		return { status, headers: { 'X-Request-Id': 'req-test', ...(r.headers ?? {}) }, body: envelope(r) }
	}
	return { calls, client: createClient({ baseUrl: '/proxy', send }) }
}

/** settle waits for every pending promise and the DOM updates they cause. */
export async function settle(rounds = 5) {
	for (let i = 0; i < rounds; i++) {
		await flushPromises()
	}
}

/** confirmButton finds a button of the open dialog (NcDialog teleports it to the body) by its text. */
export function confirmButton(text) {
	return [...document.querySelectorAll('[role=dialog] button')].find((b) => b.textContent.trim() === text)
}
