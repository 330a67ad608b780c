import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import DiagnosticsPage from '../src/pages/DiagnosticsPage.vue'
import { confirmButton, fakeApi, settle } from './helpers/fakeApi.js'

const report = {
	healthy: false,
	verdict: 'The backend contract layer needs attention.',
	checked_at: new Date().toISOString(),
	layers: [
		{ layer: 'exapp', state: 'ok', summary: 'weather_apis is serving.', evidence: { goroutines: 12, heap_mb: 8, uptime_s: 40 } },
		{ layer: 'redis', state: 'ok', summary: 'Redis answers.', evidence: { shared: true, latency_ms: 1 } },
		{ layer: 'contract', state: 'warn', summary: 'Drift seen.', advice: 'Run occ weather_apis:doctor.', evidence: { farm_list_drift_count: 2, some_new_counter: 5 } },
	],
}

function page(routes = {}) {
	const api = fakeApi({ 'GET /api/v1/admin/diagnostics': () => ({ data: report, source: 'local' }), ...routes })
	const w = mount(DiagnosticsPage, { global: { provide: { client: api.client } }, attachTo: document.body })
	return { api, w }
}

let w
afterEach(() => { w?.unmount(); document.body.innerHTML = '' })

describe('DiagnosticsPage', () => {
	it('shows every layer with its state, advice and human evidence labels (raw key as tooltip)', async () => {
		let api;
		({ api, w } = page())
		await settle()
		expect(w.findAll('[data-testid=layers] tbody tr').map((r) => r.attributes('data-layer'))).toEqual(['exapp', 'redis', 'contract'])
		expect(w.find('[data-testid=verdict]').text()).toContain('Attention needed')
		const dt = w.find('dt[data-key=goroutines]')
		expect(dt.attributes('title')).toBe('goroutines')
		expect(dt.text()).not.toBe('goroutines')
		expect(w.find('dt[data-key=farm_list_drift_count]').text()).toContain('farm_list')
		// A key the UI has never seen is humanised, never hidden.
		expect(w.find('dt[data-key=some_new_counter]').text()).toBe('Some new counter')
		expect(w.find('[data-layer=contract]').text()).toContain('Run occ weather_apis:doctor.')
		expect(api.calls.filter((c) => c.path === '/api/v1/admin/diagnostics')).toHaveLength(1)
	})

	it('verifies the cache and shows the result', async () => {
		let api;
		({ api, w } = page({ 'POST /api/v1/admin/cache/verify': () => ({ data: { checked: 3, mismatches: [] }, source: 'local' }) }))
		await settle()
		await w.find('[data-testid=verify]').trigger('click')
		await settle()
		expect(api.calls.some((c) => c.method === 'POST' && c.path === '/api/v1/admin/cache/verify')).toBe(true)
		expect(w.find('[data-testid=verify-result]').exists()).toBe(true)
	})

	it('flushes only after the confirmation', async () => {
		let api;
		({ api, w } = page({ 'DELETE /api/v1/admin/cache': () => ({ data: { flushed: true }, source: 'local' }) }))
		await settle()
		await w.find('[data-testid=flush]').trigger('click')
		await settle()
		expect(api.calls.some((c) => c.method === 'DELETE')).toBe(false)
		const confirm = confirmButton('Flush cache')
		expect(confirm).toBeTruthy()
		confirm.click()
		await settle()
		expect(api.calls.some((c) => c.method === 'DELETE' && c.path === '/api/v1/admin/cache')).toBe(true)
		expect(w.find('[data-testid=flushed]').exists()).toBe(true)
	})

	it('explains a failed diagnostics answer with its code and request id', async () => {
		({ w } = page({ 'GET /api/v1/admin/diagnostics': () => ({ status: 503, error: { code: 'STORE_UNAVAILABLE', message: 'Redis is down', status: 503, retryable: true }, source: 'local' }) }))
		await settle()
		expect(w.text()).toContain('STORE_UNAVAILABLE')
		expect(w.text()).toContain('req-test')
	})
})
