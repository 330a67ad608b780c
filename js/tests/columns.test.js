import { describe, expect, it } from 'vitest'
import { formatCell, tableColumns } from '../src/api/columns.js'
import { mapToContract } from '../src/api/mapping.js'
import { normalizeMetadata } from '../src/api/metadata.js'
import { normalizeSchema } from '../src/api/schema.js'
import page from './fixtures/drf-farms-page.json'
import metadata from './fixtures/drf-options-farms.json'
import dotted from './fixtures/drf-schema-dotted-groups.json'
import v1 from './fixtures/drf-schema-v1.json'
import v3 from './fixtures/drf-schema-v3-jsonschema.json'

const records = page.results
const row = (columns, r) => columns.map((c) => formatCell(c.get(r), c.field))

describe('tableColumns from the schema', () => {
	it('v1: id, then schema fields with values, no textarea, at most max', () => {
		const { columns, from } = tableColumns(normalizeSchema(v1), records)
		expect(from).toBe('schema')
		expect(columns.map((c) => c.key)).toEqual(['id', 'name', 'owner', 'crop', 'area_ha', 'latitude'])
		expect(columns.map((c) => c.label)).toEqual(['ID', 'Farm name', 'Owner', 'Main crop', 'Area', 'Latitude'])
		expect(columns.find((c) => c.key === 'area_ha').numeric).toBe(true)
		expect(columns.find((c) => c.key === 'id').numeric).toBe(true)
		expect(row(columns, records[3])).toEqual(['4', 'Old Mill Farm', 'Coop Vallée', 'Soybean', '141.79 ha', '50.625108°'])
	})
	it('max columns (id and name always)', () => {
		expect(tableColumns(normalizeSchema(v1), records, { max: 1 }).columns.map((c) => c.key)).toEqual(['id', 'name'])
		expect(tableColumns(normalizeSchema(v1), records, { max: 20 }).columns.map((c) => c.key)).toEqual(['id', 'name', 'owner', 'crop', 'area_ha', 'latitude', 'longitude', 'irrigated', 'created_at'])
	})
	it('dotted names find flat records by their last segment', () => {
		const { columns, from } = tableColumns(normalizeSchema(dotted), records, { max: 8 })
		expect(from).toBe('schema')
		expect(columns.map((c) => c.key)).toEqual(['id', 'farm.name', 'farm.owner', 'farm.crop', 'farm.irrigated', 'site.area_ha', 'site.location.latitude', 'site.location.longitude'])
		expect(row(columns, records[0])).toEqual(['1', 'North Ridge Fields', 'A. Meyer', 'Wheat', 'Yes', '577.29 ha', '43.250108°', '3.675498°'])
	})
	it('a JSON Schema and a mapped schema', () => {
		expect(tableColumns(normalizeSchema(v3), records).from).toBe('schema')
		const mapped = mapToContract(normalizeSchema(dotted), normalizeMetadata(metadata)).schema
		expect(tableColumns(mapped, records).columns[1].get(records[1])).toBe('Willow Creek')
	})
})

describe('tableColumns from the records', () => {
	it('no schema: the records’ keys, id and name first, scalars before nested', () => {
		const rs = [{ meta: { a: 1 }, name: 'A', pk: 7, size: 3 }, { name: 'B', pk: 8, size: null, tags: ['x'] }]
		const { columns, from } = tableColumns(null, rs)
		expect(from).toBe('records')
		expect(columns.map((c) => c.key)).toEqual(['pk', 'name', 'size', 'meta', 'tags'])
		expect(row(columns, rs[0])).toEqual(['7', 'A', '3', '{a: 1}', '—'])
	})
	it('a schema that matches fewer than two record keys', () => {
		const s = normalizeSchema({ fields: [{ name: 'name', type: 'text' }, { name: 'unrelated', type: 'text' }] })
		const { columns, from } = tableColumns(s, records)
		expect(from).toBe('records')
		expect(columns[0].key).toBe('id')
		expect(columns[1]).toMatchObject({ key: 'name', field: { name: 'name' } })
		expect(columns).toHaveLength(6)
	})
	it('a schema whose fields the records do not have (renamed upstream)', () => {
		const renamedRecords = records.map((r) => ({ farm_id: r.id, title: r.name, hectares: r.area_ha }))
		const { columns, from } = tableColumns(normalizeSchema(v1), renamedRecords)
		expect(from).toBe('records')
		expect(columns.map((c) => c.key)).toEqual(['farm_id', 'title', 'hectares'])
	})
	it('never blank: a record with values outside the chosen columns adds one', () => {
		const rs = [{ a: 1, b: 2 }, { z: 'only here' }]
		const { columns } = tableColumns(null, rs, { max: 2 })
		expect(columns.map((c) => c.key)).toEqual(['a', 'b', 'z'])
		expect(row(columns, rs[1])).toEqual(['—', '—', 'only here'])
	})
	it('empty and non-object records still get a column', () => {
		expect(tableColumns(null, [{}]).columns.map((c) => c.label)).toEqual(['Value'])
		const { columns } = tableColumns(null, [{ a: 1 }, 5])
		expect(columns.map((c) => c.key)).toEqual(['a', '#value'])
		expect(row(columns, 5)).toEqual(['—', '5'])
		expect(tableColumns(null, []).columns).toEqual([])
	})
	it('a DRF page object is read as its results', () => {
		expect(tableColumns(normalizeSchema(v1), page).from).toBe('schema')
	})
})

describe('formatCell', () => {
	const select = { widget: 'select', options: [{ value: 'soy', label: 'Soybean' }, { value: '1', label: 'One' }] }
	it.each([
		[null, null, '—'], [undefined, null, '—'], ['', null, '—'], [[], null, '—'], [{}, null, '—'],
		['soy', select, 'Soybean'], [1, select, 'One'], ['other', select, 'other'],
		[true, null, 'Yes'], [false, { widget: 'checkbox' }, 'No'],
		[12.5, { widget: 'number', unit: 'ha' }, '12.5 ha'], [45, { unit: '°' }, '45°'], [0, null, '0'],
		['2026-12-06T15:31:03.211083Z', null, '2026-12-06 15:31 UTC'], ['2026-12-06T15:31:03+02:00', { widget: 'datetime' }, '2026-12-06 15:31 +02:00'],
		['2026-12-06T15:31:03Z', { widget: 'date' }, '2026-12-06'],
		[['a', 'b', 'c'], null, 'a, b, c'], [['a', 'b', 'c', 'd', 'e'], null, 'a, b, c +2'], [['soy'], select, 'Soybean'],
		[{ mean: 0.5, min: 0.1 }, null, '{mean: 0.5, min: 0.1}'], [{ a: { b: 1 }, c: [1, 2], d: null, e: true }, null, '{a: {…}, c: [2], d: —, e: Yes}'],
	])('%j (%j) → %s', (value, field, text) => {
		expect(formatCell(value, field)).toBe(text)
	})
	it('summarises long objects to at most 60 characters', () => {
		const text = formatCell(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key${i}`, 'value'])))
		expect(text.length).toBeLessThanOrEqual(60)
		expect(text.endsWith('…}')).toBe(true)
	})
	it('shortens long text', () => {
		expect(formatCell('x'.repeat(500)).length).toBe(120)
	})
})
