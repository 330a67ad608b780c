import { describe, expect, it } from 'vitest'
import { mapToContract, recordValue } from '../src/api/mapping.js'
import { normalizeMetadata } from '../src/api/metadata.js'
import { initialValues, leafFields, normalizeSchema, toPayload } from '../src/api/schema.js'
import page from './fixtures/drf-farms-page.json'
import metadata from './fixtures/drf-options-farms.json'
import choiceObjects from './fixtures/drf-schema-choice-objects.json'
import dotted from './fixtures/drf-schema-dotted-groups.json'
import enumNames from './fixtures/drf-schema-enum-names.json'
import noVersion from './fixtures/drf-schema-no-version.json'
import renamed from './fixtures/drf-schema-renamed-keys.json'
import v1 from './fixtures/drf-schema-v1.json'
import v2 from './fixtures/drf-schema-v2.json'
import v3 from './fixtures/drf-schema-v3-jsonschema.json'

const contract = normalizeMetadata(metadata)
const writable = Object.keys(contract.fields).filter((k) => !contract.fields[k].readOnly).sort()
const record = page.results[0]

describe('mapToContract: every layout onto the farm serializer', () => {
	const layouts = { v1, v2, 'v3-jsonschema': v3, 'renamed-keys': renamed, 'choice-objects': choiceObjects, 'no-version': noVersion, 'dotted-groups': dotted, 'enum-names': enumNames, 'OPTIONS metadata': metadata }
	for (const [id, doc] of Object.entries(layouts)) {
		it(`${id}: maps every writable field; the payload has exactly the writable keys`, () => {
			const s = normalizeSchema(doc)
			const m = mapToContract(s, contract)
			const sentTo = m.mapped.map((x) => x.to)
			for (const k of writable) {
				expect(sentTo, k).toContain(k)
			}
			expect(m.notAccepted).toEqual([])
			expect(m.missingRequired).toEqual([])
			const values = initialValues(m.schema, record)
			const body = toPayload(m.schema, values)
			expect(Object.keys(body).sort()).toEqual(writable)
			expect(body).toMatchObject({ name: record.name, crop: record.crop, area_ha: record.area_ha, latitude: record.latitude, irrigated: record.irrigated })
			expect(toPayload(s, values, contract)).toEqual(body) // the same through toPayload's contract
		})
	}
	it('dotted-groups: by last segment; enum-names: by source', () => {
		const d = mapToContract(normalizeSchema(dotted), contract)
		expect(d.mapped.find((x) => x.field === 'site.location.latitude')).toEqual({ field: 'site.location.latitude', to: 'latitude', rule: 'last-segment' })
		const e = mapToContract(normalizeSchema(enumNames), contract)
		expect(e.mapped.find((x) => x.field === 'owner_name')).toEqual({ field: 'owner_name', to: 'owner', rule: 'alias' })
		expect(leafFields(e.schema).find((f) => f.name === 'owner_name')).toMatchObject({ sendAs: 'owner', mappedBy: 'alias' })
	})
	it('does not change the schema it maps', () => {
		const s = normalizeSchema(dotted)
		const before = JSON.stringify(s)
		mapToContract(s, contract)
		expect(JSON.stringify(s)).toBe(before)
	})
	it('fills constraints and required from the contract', () => {
		const s = normalizeSchema({ fields: [{ name: 'name', type: 'text' }, { name: 'latitude', type: 'number' }] })
		const f = leafFields(mapToContract(s, contract).schema)
		expect(f[0]).toMatchObject({ required: true, maxLength: 120 })
		expect(f[1]).toMatchObject({ required: true, min: -90, max: 90 })
	})
})

describe('mapToContract: what is not sent, and why', () => {
	const c = normalizeMetadata({ actions: { POST: {
		latitude: { type: 'float', required: true },
		name: { type: 'string', required: true },
		id: { type: 'integer', read_only: true },
		geo: { type: 'nested object', children: { lat: { type: 'float' } } },
		lat: { type: 'float' },
		code: { type: 'string', required: true },
	} } })
	const map = (fields) => mapToContract(normalizeSchema({ fields }), c)
	it('a field the serializer does not have', () => {
		const m = map([{ name: 'surprise', type: 'text' }, { name: 'name', type: 'text' }])
		expect(m.notAccepted).toEqual([{ field: 'surprise', reason: { code: 'not_in_contract', field: 'surprise' } }])
		const f = leafFields(m.schema)[0]
		expect(f).toMatchObject({ sendAs: null, mappedBy: null, notes: [{ code: 'not_in_contract', field: 'surprise' }] })
		expect(toPayload(m.schema, { surprise: 'x', name: 'n' })).toEqual({ name: 'n' })
	})
	it('a last segment that matches two serializer fields', () => {
		const m = map([{ name: 'pos.lat', type: 'number' }])
		expect(m.notAccepted).toEqual([{ field: 'pos.lat', reason: { code: 'ambiguous_name', field: 'pos.lat', detail: 'geo.lat, lat' } }])
	})
	it('an exact nested name', () => {
		expect(map([{ name: 'geo.lat', type: 'number' }]).mapped).toEqual([{ field: 'geo.lat', to: 'geo.lat', rule: 'exact' }])
	})
	it('a serializer field claimed twice: the better rule wins, a tie maps neither', () => {
		const m = map([{ name: 'latitude', type: 'number' }, { name: 'x.latitude', type: 'number' }])
		expect(m.mapped).toEqual([{ field: 'latitude', to: 'latitude', rule: 'exact' }])
		expect(m.notAccepted).toEqual([{ field: 'x.latitude', reason: { code: 'claimed_by_other', field: 'x.latitude', type: 'latitude', detail: 'latitude' } }])
		const t = map([{ name: 'a.latitude', type: 'number' }, { name: 'b.latitude', type: 'number' }])
		expect(t.mapped).toEqual([])
		expect(t.notAccepted.map((x) => x.reason.code)).toEqual(['claimed_twice', 'claimed_twice'])
		expect(t.missingRequired).toEqual(['latitude', 'name', 'code'])
	})
	it('an alias before the last segment; ambiguous aliases map nothing', () => {
		expect(map([{ name: 'where.lat', aliases: ['latitude'], type: 'number' }]).mapped).toEqual([{ field: 'where.lat', to: 'latitude', rule: 'alias' }])
		expect(map([{ name: 'where', aliases: ['latitude', 'lat'], type: 'number' }]).notAccepted[0].reason.code).toBe('ambiguous_name')
	})
	it('a writable field mapped to a read-only serializer field becomes read-only', () => {
		const m = map([{ name: 'id', type: 'number' }])
		expect(m.mapped).toEqual([{ field: 'id', to: 'id', rule: 'exact' }])
		expect(m.notAccepted).toEqual([{ field: 'id', reason: { code: 'read_only_in_contract', field: 'id', type: 'id' } }])
		expect(leafFields(m.schema)[0].readOnly).toBe(true)
		expect(toPayload(m.schema, { id: '3' })).toEqual({})
	})
	it('required serializer fields the form lacks', () => {
		const m = map([{ name: 'name', type: 'text' }])
		expect(m.missingRequired).toEqual(['latitude', 'code'])
		expect(m.schema.problems.filter((p) => p.code === 'missing_required').map((p) => p.field)).toEqual(['latitude', 'code'])
	})
	it('without a contract every field is sent under its name', () => {
		for (const none of [null, undefined, { ok: false }, normalizeMetadata('junk')]) {
			const m = mapToContract(normalizeSchema(v1), none)
			expect(m).toMatchObject({ mapped: [], notAccepted: [], missingRequired: [] })
			expect(leafFields(m.schema).every((f) => f.sendAs === f.name && f.mappedBy === null)).toBe(true)
		}
	})
	it('never throws on junk', () => {
		for (const junk of [null, 1, 'x', [], {}, { sections: 'x' }, { sections: [null, { fields: [null, 3] }] }]) {
			expect(() => mapToContract(junk, contract)).not.toThrow()
			expect(() => mapToContract(junk, null)).not.toThrow()
		}
	})
})

describe('recordValue', () => {
	const field = (name, extra = {}) => ({ name, path: name.split('.'), aliases: [], ...extra })
	it('exact key, then path, sendAs, aliases, last segment', () => {
		expect(recordValue({ 'a.b': 1, a: { b: 2 } }, field('a.b'))).toBe(1)
		expect(recordValue({ a: { b: 2 }, b: 3 }, field('a.b'))).toBe(2)
		expect(recordValue({ s: 4, b: 3 }, field('a.b', { sendAs: 's' }))).toBe(4)
		expect(recordValue({ x: { y: 5 }, b: 3 }, field('a.b', { aliases: ['x.y'] }))).toBe(5)
		expect(recordValue({ b: 3 }, field('a.b'))).toBe(3)
		expect(recordValue({ b: null }, field('a.b'))).toBe(null)
		expect(recordValue({}, field('a.b'))).toBe(undefined)
	})
	it('only own members', () => {
		expect(recordValue({}, field('constructor'))).toBe(undefined)
		expect(recordValue({}, field('toString'))).toBe(undefined)
	})
	it('junk records and fields', () => {
		expect(recordValue(null, field('a'))).toBe(undefined)
		expect(recordValue([1], field('0'))).toBe(undefined)
		expect(recordValue({ a: 1 }, null)).toBe(undefined)
	})
})
