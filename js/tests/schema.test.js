import { describe, expect, it } from 'vitest'
import { readAnswer } from '../src/api/envelope.js'
import { initialValues, leafFields, normalizeSchema, schemaUnderstood, toPayload } from '../src/api/schema.js'
import v1 from './fixtures/schema-v1.json'
import v2 from './fixtures/schema-v2.json'

// The fixtures are the DRF demo's real documents (deploy/drf/farms/schema.py).

describe('normalizeSchema: the DRF demo', () => {
	it('reads v1 (flat field list)', () => {
		const s = normalizeSchema(v1)
		expect(s).toMatchObject({ ok: true, version: '1', known: true, title: 'Farm', problems: [] })
		expect(s.sections).toHaveLength(1)
		expect(leafFields(s).map((f) => [f.name, f.widget])).toEqual([
			['name', 'text'], ['owner', 'text'], ['crop', 'select'], ['area_ha', 'number'], ['latitude', 'number'],
			['longitude', 'number'], ['irrigated', 'checkbox'], ['notes', 'textarea'], ['created_at', 'date'],
		])
		const crop = leafFields(s).find((f) => f.name === 'crop')
		expect(crop.options).toHaveLength(11)
		expect(crop.options[0]).toMatchObject({ value: 'wheat', label: 'Wheat' })
		expect(leafFields(s).find((f) => f.name === 'created_at').readOnly).toBe(true)
		expect(leafFields(s).find((f) => f.name === 'area_ha')).toMatchObject({ unit: 'ha', min: 0, max: 100000, width: 'third', required: true })
	})

	it('reads v2 (sections; geo_point falls back to latitude + longitude)', () => {
		const s = normalizeSchema(v2)
		expect(s).toMatchObject({ ok: true, version: '2', known: true })
		expect(s.sections.map((x) => x.title)).toEqual(['Identity', 'Land', 'Notes'])
		const location = s.sections[1].fields.find((f) => f.name === 'location')
		expect(location).toMatchObject({ widget: 'group', unknownType: 'geo_point', label: 'Location' })
		expect(location.children.map((f) => f.name)).toEqual(['latitude', 'longitude'])
		expect(s.problems).toEqual([{ code: 'unknown_type_fallback', field: 'location', type: 'geo_point' }])
		expect(leafFields(s).map((f) => f.name)).toContain('latitude')
	})
})

describe('normalizeSchema: unknown types', () => {
	it('degrades an unknown type without fallback to a text input', () => {
		const s = normalizeSchema({ schema_version: 2, sections: [{ id: 'x', fields: [{ name: 'boundary', label: 'Boundary', type: 'polygon' }] }] })
		expect(s.sections[0].fields[0]).toMatchObject({ name: 'boundary', widget: 'text', unknownType: 'polygon' })
		expect(s.problems).toEqual([{ code: 'unknown_type', field: 'boundary', type: 'polygon' }])
		expect(s.known).toBe(true)
	})
	it('treats a missing type as unknown', () => {
		const s = normalizeSchema({ schema_version: 1, fields: [{ name: 'x' }] })
		expect(s.sections[0].fields[0]).toMatchObject({ widget: 'text', unknownType: '?', label: 'x' })
	})
	it('maps type aliases', () => {
		const s = normalizeSchema({ schema_version: 1, fields: [{ name: 'a', type: 'integer' }, { name: 'b', type: 'boolean' }, { name: 'c', type: 'choice', options: ['x', 'y'] }] })
		expect(leafFields(s).map((f) => f.widget)).toEqual(['number', 'checkbox', 'select'])
		expect(leafFields(s)[2].options).toEqual([{ value: 'x', label: 'x', helpText: '' }, { value: 'y', label: 'y', helpText: '' }])
	})
})

describe('normalizeSchema: malformed documents never throw', () => {
	const cases = [
		{ name: 'null', doc: null, codes: ['not_object'] },
		{ name: 'an array', doc: [1, 2], codes: ['not_object'] },
		{ name: 'a string', doc: 'Unable to parse', codes: ['not_object'] },
		{ name: 'no fields', doc: { schema_version: 1 }, codes: ['no_fields'] },
		{ name: 'fields not a list', doc: { schema_version: 1, fields: 'name' }, codes: ['fields_not_list', 'no_fields'] },
		{ name: 'no version', doc: { fields: [{ name: 'a', type: 'text' }] }, codes: ['no_version'], ok: true, known: false },
		{ name: 'an unknown version', doc: { schema_version: 3, fields: [{ name: 'a', type: 'text' }] }, codes: ['unknown_version'], ok: true, known: false },
		{ name: 'junk sections', doc: { schema_version: 2, sections: [null, 'x', { id: 's', fields: [{ name: 'a', type: 'text' }] }] }, codes: ['bad_section', 'bad_section'], ok: true, known: true },
		{ name: 'junk fields', doc: { schema_version: 1, fields: [null, { label: 'no name' }, { name: '', type: 'text' }, { name: 'ok', type: 'text' }] }, codes: ['field_without_name', 'field_without_name', 'field_without_name'], ok: true, known: true },
		{ name: 'malformed options', doc: { schema_version: 1, fields: [{ name: 'c', type: 'select', options: [{ label: 'no value' }, 'a'] }] }, codes: ['bad_option'], ok: true, known: true },
		{ name: 'a select without options', doc: { schema_version: 1, fields: [{ name: 'c', type: 'select', options: 'abc' }] }, codes: ['bad_options', 'select_without_options'], ok: true, known: true },
		{ name: 'an empty fallback', doc: { schema_version: 2, sections: [{ fields: [{ name: 'g', type: 'geo_point', fallback: [] }] }] }, codes: ['unknown_type'], ok: true, known: true },
	]
	for (const c of cases) {
		it(c.name, () => {
			const s = normalizeSchema(c.doc)
			expect(s.problems.map((p) => p.code)).toEqual(c.codes)
			expect(s.ok).toBe(c.ok ?? false)
			expect(s.known).toBe(c.known ?? false)
		})
	}
	it('turns a select without usable options into a text input', () => {
		expect(normalizeSchema({ schema_version: 1, fields: [{ name: 'c', type: 'select', options: [] }] }).sections[0].fields[0].widget).toBe('text')
	})
})

describe('form values', () => {
	const s = normalizeSchema(v2)
	it('start from defaults for a new farm', () => {
		expect(initialValues(s)).toEqual({ name: '', owner: '', crop: null, area_ha: '', latitude: '', longitude: '', irrigated: false, notes: '', created_at: '' })
	})
	it('start from the record when editing', () => {
		const v = initialValues(s, { name: 'N', crop: 'maize', area_ha: 12.5, latitude: 1, longitude: 2, irrigated: true, created_at: '2026-11-28T03:00:20Z' })
		expect(v).toMatchObject({ name: 'N', crop: 'maize', area_ha: '12.5', irrigated: true, created_at: '2026-11-28' })
	})
	it('become a typed payload without read-only fields', () => {
		const body = toPayload(s, { ...initialValues(s), name: 'N', crop: 'wheat', area_ha: '12.5', latitude: ' 45.1 ', longitude: 'abc', irrigated: true })
		expect(body).toEqual({ name: 'N', owner: '', crop: 'wheat', area_ha: 12.5, latitude: 45.1, longitude: 'abc', irrigated: true, notes: '' })
	})
	it('send null for empty numbers and choices', () => {
		expect(toPayload(s, initialValues(s))).toMatchObject({ area_ha: null, crop: null })
	})
})

describe('schemaUnderstood', () => {
	const answer = (doc, schema) => readAnswer(200, {}, JSON.stringify({ data: doc, error: null, source: 'cache', version: { app: '1', schema, envelope: 1 }, request_id: 'r' }))
	it('accepts known versions that agree with the envelope', () => {
		expect(schemaUnderstood(answer(v1, '1'))).toBe(true)
		expect(schemaUnderstood(answer(v2, null))).toBe(true)
	})
	it('rejects unknown versions, disagreement and malformed documents', () => {
		expect(schemaUnderstood(answer({ ...v1, schema_version: 3 }, '3'))).toBe(false)
		expect(schemaUnderstood(answer(v1, '2'))).toBe(false)
		expect(schemaUnderstood(answer('oops', '1'))).toBe(false)
	})
})
