import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import CachePage from '../src/pages/CachePage.vue'
import { confirmButton, fakeApi, settle } from './helpers/fakeApi.js'

const stats = {
	cache: { shared: true, schema_version: '2', generation: 7, routes: { farm_list: { hits: 9, misses: 1 }, '*': {} }, total: { hits: 9, misses: 1 } },
	cached_routes: ['farm_list', 'farm_schema', 'a_route_added_later'],
	upstream: { calls: 4, breaker: { state: 'closed' } },
	token: { present: true, refreshes: 1, fence: 3 },
}

function page(routes = {}) {
	const api = fakeApi({ 'GET /api/v1/admin/cache': () => ({ data: stats, source: 'local' }), 'DELETE /api/v1/admin/cache': () => ({ data: { flushed: true }, source: 'local' }), ...routes })
	const w = mount(CachePage, { global: { provide: { client: api.client } }, attachTo: document.body })
	return { api, w }
}

let w
afterEach(() => { w?.unmount(); document.body.innerHTML = '' })

describe('CachePage', () => {
	it('lists the routes the ExApp names, with counters and a hit ratio', async () => {
		({ w } = page())
		await settle()
		const rows = w.findAll('[data-testid=cache-routes] tbody tr').map((r) => r.attributes('data-route'))
		expect(rows).toEqual(['farm_list', 'farm_schema', 'a_route_added_later', '__total'])
		expect(w.find('[data-route=farm_list]').text()).toContain('90 %')
		expect(w.find('dt[data-key=fence]').attributes('title')).toBe('fence')
		expect(w.find('dt[data-key=fence]').text()).not.toBe('fence')
	})

	it('flushes one route after the confirmation, and nothing on Cancel', async () => {
		let api;
		({ api, w } = page())
		await settle()
		await w.find('[data-route=farm_list] button').trigger('click')
		await settle()
		confirmButton('Cancel').click()
		await settle()
		expect(api.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0)
		await w.find('[data-route=farm_list] button').trigger('click')
		await settle()
		confirmButton('Flush').click()
		await settle()
		expect(api.calls.filter((c) => c.method === 'DELETE').map((c) => c.query)).toEqual([{ route: 'farm_list' }])
		expect(w.find('[data-testid=flushed]').text()).toContain('farm_list')
	})

	it('shows a failed flush as what it is', async () => {
		({ w } = page({ 'DELETE /api/v1/admin/cache': () => ({ raw: '<html>Bad gateway</html>', status: 502, headers: { 'Content-Type': 'text/html' } }) }))
		await settle()
		await w.find('[data-testid=flush-all]').trigger('click')
		await settle()
		confirmButton('Flush').click()
		await settle()
		expect(w.text()).toContain('HTTP 502')
		expect(w.text()).toContain('Bad gateway')
	})
})
