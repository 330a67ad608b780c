import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import FarmsPage from '../src/pages/FarmsPage.vue'
import farmsPage from './fixtures/drf-farms-page.json'
import metadata from './fixtures/drf-options-farms.json'
import dotted from './fixtures/drf-schema-dotted-groups.json'
import jsonSchema from './fixtures/drf-schema-v3-jsonschema.json'
import v1 from './fixtures/drf-schema-v1.json'
import { fakeApi, settle } from './helpers/fakeApi.js'

const records = farmsPage.results

// A backend that validates like the DRF demo: area_ha must be > 0, and only
// the serializer's writable fields are accepted.
function backend({ schema = v1, schemaVersion = '1', meta = metadata, list = farmsPage, listSource = 'upstream', extra = {} } = {}) {
	const writes = []
	const api = fakeApi({
		'GET /api/v1/admin/farms/schema': () => (typeof schema === 'function' ? schema() : { data: schema, schema: schemaVersion, source: 'cache' }),
		'GET /api/v1/admin/farms/metadata': () => (typeof meta === 'function' ? meta() : { data: meta, schema: schemaVersion, source: 'cache' }),
		'GET /api/v1/admin/farms': () => (typeof list === 'function' ? list() : { data: list, schema: schemaVersion, source: listSource, headers: listSource === 'stale' ? { 'X-Cache': 'STALE', Age: '120' } : {} }),
		'POST /api/v1/admin/farms': (req) => {
			writes.push(req.body)
			if (!(req.body.area_ha > 0)) {
				return { status: 400, error: { code: 'VALIDATION_FAILED', message: 'The farm service rejected the input.', status: 400, details: { area_ha: ['Ensure this value is greater than 0.'], surprise: ['A rule the form does not know.'] } }, source: 'upstream', schema: schemaVersion }
			}
			return { status: 201, data: { id: 99, ...req.body }, schema: schemaVersion }
		},
		...extra,
	})
	return { api, writes }
}

function render(api) {
	return mount(FarmsPage, { global: { provide: { client: api.client } }, attachTo: document.body })
}

const writable = Object.entries(metadata.actions.POST).filter(([, d]) => !d.read_only).map(([k]) => k)
const cellsOf = (w, i) => w.findAll('[data-testid=farm-table] tbody tr')[i].findAll('td:not(.wa-actions)').map((c) => c.text())

let w
afterEach(() => { w?.unmount(); document.body.innerHTML = '' })

describe('FarmsPage', () => {
	it('states the schema version and layout and fills the table from schema fields', async () => {
		const { api } = backend({ schema: jsonSchema, schemaVersion: '3' })
		w = render(api)
		await settle()
		expect(w.find('[data-testid=schema-version]').text()).toContain('Form schema: version 3, JSON Schema')
		const rows = w.findAll('[data-testid=farm-table] tbody tr')
		expect(rows).toHaveLength(records.length)
		expect(w.find('[data-testid=farm-table]').attributes('data-columns-from')).toBe('schema')
		for (let i = 0; i < rows.length; i++) {
			expect(cellsOf(w, i).filter((c) => c !== '—').length).toBeGreaterThanOrEqual(3)
		}
		expect(w.text()).toContain(records[0].name)
	})

	it('maps dotted schema names onto the serializer: table cells, payload and field errors', async () => {
		const { api, writes } = backend({ schema: dotted, schemaVersion: '4' })
		w = render(api)
		await settle()
		expect(w.find('[data-testid=schema-version]').text()).toContain('version 4')
		expect(cellsOf(w, 0).join(' ')).toContain(String(records[0].area_ha))
		expect(w.find('[data-testid=schema-problems]').text()).toContain('site.area_ha → area_ha')
		await w.find('[data-testid=add-farm]').trigger('click')
		await settle()
		const input = (name) => w.find(`[data-field="${name}"] input`)
		expect(input('site.area_ha').exists()).toBe(true)
		await input('farm.name').setValue('Mapped farm')
		await input('site.area_ha').setValue('-1')
		await w.find('form').trigger('submit')
		await settle()
		expect(Object.keys(writes[0]).every((k) => writable.includes(k))).toBe(true)
		expect(writes[0]).toMatchObject({ name: 'Mapped farm', area_ha: -1 })
		// The error keyed by the serializer's name is shown at the dotted field;
		// the one for a field the form does not show is listed, not dropped.
		expect(w.find('[data-field="site.area_ha"]').text()).toContain('greater than 0')
		expect(w.text()).toContain('surprise: A rule the form does not know.')
	})

	it('builds the form from DRF metadata when the schema cannot be used, after one fresh read', async () => {
		const { api, writes } = backend({ schema: { data: 'Unable to parse farm schema response', schema: '1', source: 'cache' } })
		w = render(api)
		await settle()
		const schemaCalls = api.calls.filter((c) => c.path === '/api/v1/admin/farms/schema')
		expect(schemaCalls.map((c) => c.bypass)).toEqual([false, true])
		expect(w.find('[data-testid=schema-explanation]').text()).toContain('built from what the farm service accepts')
		expect(w.find('[data-testid=schema-version]').text()).toContain('DRF metadata')
		expect(w.findAll('[data-testid=farm-table] tbody tr')).toHaveLength(records.length)
		expect(cellsOf(w, 0).filter((c) => c !== '—').length).toBeGreaterThanOrEqual(3)
		await w.find('[data-testid=add-farm]').trigger('click')
		await settle()
		for (const name of writable) {
			expect(w.find(`[data-field="${name}"]`).exists(), name).toBe(true)
		}
		await w.find('[data-field="name"] input').setValue('From metadata')
		await w.find('[data-field="area_ha"] input').setValue('3')
		await w.find('form').trigger('submit')
		await settle()
		expect(Object.keys(writes[0]).sort()).toEqual(expect.arrayContaining(['name', 'area_ha']))
		expect(Object.keys(writes[0]).every((k) => writable.includes(k))).toBe(true)
		expect(w.find('[data-testid=notice]').text()).toContain('From metadata')
	})

	it('never renders a blank table: with no schema and no metadata the records give the columns', async () => {
		const odd = { count: 2, next: null, previous: null, results: [
			{ farm_id: 7, title: 'Renamed keys farm', site: { lat: 1, lon: 2 }, tags: ['a', 'b'] },
			{ farm_id: 8, title: 'Second', site: null, tags: [] },
		] }
		const down = () => ({ status: 503, error: { code: 'UPSTREAM_UNAVAILABLE', message: 'down', status: 503, retryable: true }, source: 'upstream' })
		const { api } = backend({ schema: down, meta: down, list: odd })
		w = render(api)
		await settle()
		expect(w.find('[data-testid=farm-table]').attributes('data-columns-from')).toBe('records')
		const rows = w.findAll('[data-testid=farm-table] tbody tr')
		expect(rows).toHaveLength(2)
		expect(rows[0].attributes('data-farm-id')).toBe('7')
		expect(rows[0].text()).toContain('Renamed keys farm')
		expect(rows[1].text()).toContain('Second')
		expect(w.find('[data-testid=add-farm]').attributes('disabled')).toBeDefined()
	})

	it('marks a stale farm list and explains an answer that is not an envelope', async () => {
		const { api } = backend({ listSource: 'stale' })
		w = render(api)
		await settle()
		expect(w.find('[data-testid=stale-marker]').exists()).toBe(true)
		w.unmount()
		const broken = backend({ list: () => ({ raw: '<html><body>502 Bad Gateway</body></html>', status: 502, headers: { 'Content-Type': 'text/html' } }) })
		w = render(broken.api)
		await settle()
		expect(w.text()).toContain('HTTP 502')
		expect(w.text()).toContain('502 Bad Gateway')
	})
})
