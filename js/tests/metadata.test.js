import { describe, expect, it } from 'vitest'
import { normalizeMetadata, schemaFromMetadata } from '../src/api/metadata.js'
import { leafFields } from '../src/api/schema.js'
import metadata from './fixtures/drf-options-farms.json'

describe('normalizeMetadata: the farm serializer’s OPTIONS answer', () => {
	const c = normalizeMetadata(metadata)
	it('reads actions.POST', () => {
		expect(c).toMatchObject({ ok: true, name: 'Farm', method: 'POST', problems: [] })
		expect(Object.keys(c.fields)).toEqual(['id', 'name', 'owner', 'crop', 'area_ha', 'latitude', 'longitude', 'irrigated', 'notes', 'created_at', 'updated_at'])
	})
	it('reads each descriptor', () => {
		expect(c.fields.name).toEqual({ name: 'name', type: 'string', required: true, readOnly: false, label: 'Name', helpText: '', maxLength: 120, minLength: null, min: null, max: null, choices: [], child: null, children: null })
		expect(c.fields.id).toMatchObject({ readOnly: true, required: false, type: 'integer' })
		expect(c.fields.latitude).toMatchObject({ min: -90, max: 90, type: 'float' })
		expect(c.fields.crop.choices).toHaveLength(11)
		expect(c.fields.crop.choices[3]).toEqual({ value: 'soy', label: 'Soybean' })
	})
	it('lists writable and read-only fields', () => {
		const writable = Object.values(c.fields).filter((f) => !f.readOnly).map((f) => f.name)
		expect(writable).toEqual(['name', 'owner', 'crop', 'area_ha', 'latitude', 'longitude', 'irrigated', 'notes'])
	})
})

describe('normalizeMetadata: other shapes', () => {
	it('falls back to actions.PUT', () => {
		expect(normalizeMetadata({ actions: { PUT: { a: { type: 'string' } } } })).toMatchObject({ ok: true, method: 'PUT' })
	})
	it('keeps raw choice values and reads child/children', () => {
		const c = normalizeMetadata({ actions: { POST: {
			level: { type: 'choice', choices: [{ value: 1, display_name: 'One' }] },
			ids: { type: 'list', child: { type: 'integer', min_value: 0 } },
			geo: { type: 'nested object', children: { lat: { type: 'float', required: true } } },
		} } })
		expect(c.fields.level.choices).toEqual([{ value: 1, label: 'One' }])
		expect(c.fields.ids.child).toMatchObject({ type: 'integer', min: 0 })
		expect(c.fields.geo.children.lat).toMatchObject({ name: 'lat', required: true })
	})
	it.each([
		['null', null, ['not_object']],
		['a list', [], ['not_object']],
		['no actions', { name: 'Farm' }, ['no_actions']],
		['actions without POST/PUT', { actions: { GET: {} } }, ['no_actions']],
		['no fields', { actions: { POST: {} } }, ['no_fields']],
		['junk fields', { actions: { POST: { a: 1, b: null, c: { type: 'string' } } } }, ['bad_field', 'bad_field']],
	])('%s never throws', (_, doc, codes) => {
		const c = normalizeMetadata(doc)
		expect(c.problems.map((p) => p.code)).toEqual(codes)
		expect(c.ok).toBe(codes.every((x) => x === 'bad_field'))
	})
})

describe('schemaFromMetadata', () => {
	it('builds a form of the serializer’s fields', () => {
		const s = schemaFromMetadata(normalizeMetadata(metadata))
		expect(s).toMatchObject({ ok: true, layout: 'drf-metadata', version: null, known: false, title: 'Farm', problems: [] })
		const f = Object.fromEntries(leafFields(s).map((x) => [x.name, x]))
		expect(f.crop).toMatchObject({ widget: 'select', required: true, label: 'Crop' })
		expect(f.crop.options.map((o) => o.label)).toContain('Olive grove')
		expect(f.area_ha).toMatchObject({ widget: 'number', decimal: true, max: 100000, required: true })
		expect(f.irrigated.widget).toBe('checkbox')
		expect(f.updated_at).toMatchObject({ widget: 'datetime', readOnly: true })
		expect(f.id.readOnly).toBe(true)
	})
	it('keeps nested and list fields', () => {
		const c = normalizeMetadata({ actions: { POST: { ids: { type: 'list', child: { type: 'integer' } }, geo: { type: 'nested object', children: { lat: { type: 'float' } } } } } })
		const names = leafFields(schemaFromMetadata(c)).map((x) => [x.name, x.widget, x.valueType])
		expect(names).toEqual([['ids', 'tags', 'number'], ['geo.lat', 'number', null]])
	})
	it('an unusable contract gives a schema that is not ok', () => {
		expect(schemaFromMetadata(normalizeMetadata(null))).toMatchObject({ ok: false, layout: 'drf-metadata' })
		expect(schemaFromMetadata(undefined).ok).toBe(false)
	})
})
