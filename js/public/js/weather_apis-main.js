// Minimal admin page of weather_apis, served until the Vue bundle of js/ is
// built (vite copies js/public into js/dist, and the bundle then replaces this
// file). It talks only to the Nextcloud origin, through AppAPI's proxy, and
// reads every answer defensively: an envelope error is shown with its code,
// source and request id; anything else is shown as what it is.
(function () {
	'use strict'
	const webroot = (window.OC && window.OC.webroot) || window._oc_webroot || ''
	const base = webroot + '/index.php/apps/app_api/proxy/weather_apis'
	const el = (tag, attrs, ...kids) => {
		const n = document.createElement(tag)
		for (const [k, v] of Object.entries(attrs || {})) {
			if (k === 'onclick') n.addEventListener('click', v); else n.setAttribute(k, v)
		}
		for (const k of kids) n.append(k instanceof Node ? k : document.createTextNode(String(k)))
		return n
	}

	// read performs a request and returns {ok, env, status, problem}.
	async function read(method, path) {
		let resp
		try {
			resp = await fetch(base + path, { method, credentials: 'same-origin', headers: { Accept: 'application/json', requesttoken: document.head.dataset.requesttoken || '' } })
		} catch (e) {
			return { ok: false, problem: 'No answer from Nextcloud: ' + e.message }
		}
		const text = await resp.text()
		let env = null
		try { env = JSON.parse(text) } catch (e) { /* not JSON */ }
		if (!env || typeof env !== 'object' || !('data' in env) || !('error' in env) || !('source' in env)) {
			const ct = resp.headers.get('Content-Type') || 'no content type'
			return { ok: false, status: resp.status, problem: `HTTP ${resp.status}: the answer is not a weather_apis envelope (${ct}, ${text.length} bytes)${text ? ': ' + text.slice(0, 120) : ''}` }
		}
		if (env.error) {
			return { ok: false, status: resp.status, env, problem: `${env.error.code}: ${env.error.message} (HTTP ${resp.status}, source ${env.source}, request ${env.request_id})` }
		}
		return { ok: true, status: resp.status, env, xcache: resp.headers.get('X-Cache'), age: resp.headers.get('Age') }
	}

	function notice(text) { return el('div', { class: 'notice', role: 'alert' }, text) }

	function fieldInput(f) {
		const id = 'wa-field-' + f.name
		const label = el('label', { for: id }, f.label || f.name)
		let input
		switch (f.type) {
		case 'select':
			input = el('select', { id })
			for (const o of f.options || []) input.append(el('option', { value: o.value ?? o }, o.label ?? o.value ?? o))
			break
		case 'textarea':
			input = el('textarea', { id, rows: 3 })
			break
		case 'checkbox':
			input = el('input', { id, type: 'checkbox' })
			input.style.width = 'auto'
			break
		case 'number': case 'date': case 'text': case 'email': case 'url':
			input = el('input', { id, type: f.type })
			break
		default: // unknown types degrade to a readable text input
			input = el('input', { id, type: 'text', 'aria-description': 'unknown field type ' + f.type })
		}
		return el('div', {}, label, input, f.help_text ? el('div', { class: 'muted' }, f.help_text) : '')
	}

	async function renderSchema(box) {
		box.replaceChildren(el('h2', {}, 'Farm form'))
		const r = await read('GET', '/api/v1/admin/farms/schema')
		if (!r.ok) { box.append(notice(r.problem)); return }
		const s = r.env.data
		const sections = Array.isArray(s.sections) ? s.sections : [{ title: '', fields: s.fields || [] }]
		box.append(el('div', { class: 'muted' }, `schema version ${s.schema_version} · source ${r.env.source}${r.env.source === 'stale' ? ' (stale, age ' + r.age + ' s)' : ''} · X-Cache ${r.xcache}`))
		for (const sec of sections) {
			if (sec.title) box.append(el('h3', {}, sec.title))
			for (const f of sec.fields || []) box.append(fieldInput(f))
		}
	}

	async function renderDiagnostics(box) {
		box.replaceChildren(el('h2', {}, 'Diagnostics'))
		const r = await read('GET', '/api/v1/admin/diagnostics')
		if (!r.ok) { box.append(notice(r.problem)); return }
		const d = r.env.data
		const t = el('table', {}, el('tr', {}, el('th', {}, 'Layer'), el('th', {}, 'State'), el('th', {}, 'Summary'), el('th', {}, 'Evidence')))
		for (const l of d.layers) {
			t.append(el('tr', {}, el('td', {}, l.layer), el('td', {}, el('span', { class: 'state state-' + l.state }, l.state)),
				el('td', {}, l.summary + (l.advice ? ' ' + l.advice : '')),
				el('td', { class: 'muted' }, Object.entries(l.evidence || {}).map(([k, v]) => k + '=' + v).join(' '))))
		}
		box.append(t, el('p', {}, d.verdict),
			el('button', { onclick: async () => { const v = await read('POST', '/api/v1/admin/cache/verify'); alert(v.ok ? `Checked ${v.env.data.checked}: ${v.env.data.different} different, ${v.env.data.errors} errors` : v.problem); renderDiagnostics(box) } }, 'Verify cache'),
			el('button', { onclick: async () => { if (!confirm('Flush the whole cache?')) return; const v = await read('DELETE', '/api/v1/admin/cache'); alert(v.ok ? 'Cache flushed' : v.problem); renderDiagnostics(box) } }, 'Flush cache'))
	}

	async function renderFarms(box) {
		box.replaceChildren(el('h2', {}, 'Farms'))
		const r = await read('GET', '/api/v1/admin/farms')
		if (!r.ok) { box.append(notice(r.problem)); return }
		const t = el('table', {}, el('tr', {}, el('th', {}, 'Id'), el('th', {}, 'Name'), el('th', {}, 'Crop'), el('th', {}, 'Area (ha)')))
		for (const f of r.env.data.results || []) t.append(el('tr', {}, el('td', {}, f.id), el('td', {}, f.name), el('td', {}, f.crop ?? ''), el('td', {}, f.area_ha ?? '')))
		box.append(el('div', { class: 'muted' }, `${r.env.data.count} farms · source ${r.env.source}`), t)
	}

	function start() {
		const root = document.querySelector('#content #content') || document.getElementById('content') || document.body
		const app = el('div', { id: 'weather-apis' }, el('h1', {}, 'Weather APIs'))
		const diag = el('section', { 'aria-label': 'Diagnostics' })
		const schema = el('section', { 'aria-label': 'Farm form' })
		const farms = el('section', { 'aria-label': 'Farms' })
		app.append(diag, schema, farms)
		root.append(app)
		renderDiagnostics(diag)
		renderSchema(schema)
		renderFarms(farms)
	}
	if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start()
})()
