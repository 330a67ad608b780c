/**
 * Properties of the form model (api/schema.js, metadata.js, mapping.js,
 * columns.js) over generated documents, contracts and records.
 *
 * The runs are reproducible: SEED, or WEATHER_APIS_UI_SEED from the
 * environment (a failure prints its seed and path; rerun with
 * WEATHER_APIS_UI_SEED=<seed> npx vitest run tests/schema.property.test.js).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatCell, tableColumns } from '../src/api/columns.js'
import { mapToContract, recordValue } from '../src/api/mapping.js'
import { normalizeMetadata, schemaFromMetadata } from '../src/api/metadata.js'
import { initialValues, isObject, leafFields, normalizeSchema, toPayload, WIDGETS } from '../src/api/schema.js'
import v1 from './fixtures/drf-schema-v1.json'

export const SEED = 20261206
const seed = Number.isFinite(Number(process.env.WEATHER_APIS_UI_SEED)) && process.env.WEATHER_APIS_UI_SEED !== undefined && process.env.WEATHER_APIS_UI_SEED !== ''
	? Number(process.env.WEATHER_APIS_UI_SEED)
	: SEED
const runs = (numRuns = 300) => ({ seed, numRuns })

// --- generators ---------------------------------------------------------------

const names = fc.oneof(
	fc.constantFrom('name', 'crop', 'a', 'b', 'id', 'pk', 'title', 'x.y', 'geo.lat', 'lat', 'latitude', 'site.location.latitude', 'constructor', 'toString', '__proto__', 'a..b', ' ', '', 'tags'),
	fc.string({ maxLength: 8 }),
)
const types = fc.oneof(
	fc.constantFrom('text', 'string', 'textarea', 'markdown', 'number', 'integer', 'float', 'decimal', 'email', 'url', 'tel', 'date', 'datetime', 'date-time',
		'boolean', 'checkbox', 'toggle', 'choice', 'select', 'enum', 'radio', 'multiple choice', 'multiselect', 'checkboxes', 'array', 'list', 'tags',
		'json', 'object', 'nested object', 'field', 'geo_point', 'polygon', 'CharField', 'file upload', ''),
	fc.string({ maxLength: 6 }),
	fc.constant(['string', 'null']),
	fc.anything({ maxDepth: 1 }),
)
const scalar = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -5, max: 5 }), fc.boolean(), fc.double(), fc.constant(null))
const choices = fc.oneof(
	fc.array(scalar, { maxLength: 4 }),
	fc.array(fc.tuple(scalar, scalar), { maxLength: 4 }),
	fc.array(fc.record({ value: scalar, label: scalar }, { requiredKeys: [] }), { maxLength: 4 }),
	fc.array(fc.record({ value: scalar, display_name: fc.string({ maxLength: 6 }) }), { maxLength: 4 }),
	fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.string({ maxLength: 6 }), fc.record({ label: fc.string({ maxLength: 4 }) }))),
	fc.anything({ maxDepth: 2 }),
)
const constraints = fc.record({
	min: fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null)),
	max_length: fc.oneof(fc.nat(), fc.double()),
	minimum: fc.double(),
	exclusiveMinimum: fc.oneof(fc.boolean(), fc.integer()),
	step: fc.oneof(fc.double(), fc.constant(0)),
	pattern: fc.oneof(fc.constantFrom('^a+$', '(['), fc.string({ maxLength: 4 })),
	min_items: fc.nat(),
}, { requiredKeys: [] })

const leafDescriptor = fc.record({
	name: names, key: names, id: names, source: names,
	type: types, kind: types, widget: types, format: fc.constantFrom('date', 'date-time', 'email', 'uri', 'YYYY-MM-DD'),
	label: fc.string({ maxLength: 6 }), title: fc.anything({ maxDepth: 0 }), display_name: fc.string({ maxLength: 6 }),
	help_text: fc.string({ maxLength: 6 }), description: fc.anything({ maxDepth: 0 }),
	required: fc.oneof(fc.boolean(), fc.array(names, { maxLength: 2 })), read_only: fc.boolean(), readOnly: fc.anything({ maxDepth: 0 }),
	choices, options: choices, enum: fc.array(scalar, { maxLength: 3 }), enumNames: fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }),
	oneOf: fc.array(fc.oneof(fc.record({ const: scalar, title: fc.string({ maxLength: 3 }) }), fc.record({ type: types })), { maxLength: 3 }),
	items: fc.record({ type: types, enum: fc.array(scalar, { maxLength: 3 }) }, { requiredKeys: [] }),
	child: fc.record({ type: types, choices }, { requiredKeys: [] }),
	constraints, validation: constraints, validators: fc.oneof(constraints, fc.array(constraints, { maxLength: 1 })),
	min: fc.anything({ maxDepth: 0 }), max: fc.double(), max_length: fc.anything({ maxDepth: 0 }),
	default: fc.anything({ maxDepth: 2 }), initial: fc.anything({ maxDepth: 1 }),
	ui: fc.record({ width: fc.constantFrom('full', 'half', 'x'), widget: types, order: fc.anything({ maxDepth: 0 }), rows: fc.anything({ maxDepth: 0 }) }, { requiredKeys: [] }),
	unit: fc.anything({ maxDepth: 0 }), maps_to: fc.oneof(names, fc.dictionary(names, names)), aliases: fc.anything({ maxDepth: 1 }),
	$ref: fc.constantFrom('#', '#/properties/a', '#/$defs/x', 'http://x', '#/nope'),
}, { requiredKeys: [] })

const descriptor = fc.oneof(
	{ weight: 6, arbitrary: leafDescriptor },
	{ weight: 2, arbitrary: fc.record({ name: names, type: types, fallback: fc.array(leafDescriptor, { maxLength: 3 }) }) },
	{ weight: 2, arbitrary: fc.record({ name: names, type: fc.constantFrom('object', 'nested object', 'field', ''), properties: fc.dictionary(names, leafDescriptor, { maxKeys: 3 }), children: fc.dictionary(names, leafDescriptor, { maxKeys: 3 }), required: fc.array(names, { maxLength: 2 }) }, { requiredKeys: ['name'] }) },
	{ weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
	{ weight: 1, arbitrary: names },
	{ weight: 1, arbitrary: fc.tuple(names, leafDescriptor) },
)
const fieldList = fc.oneof(fc.array(descriptor, { maxLength: 6 }), fc.dictionary(names, descriptor, { maxKeys: 6 }))
const version = fc.oneof(fc.constantFrom(1, 2, '1', '2', 3, null), fc.anything({ maxDepth: 0 }))
const section = fc.oneof(
	{ weight: 5, arbitrary: fc.record({ id: names, key: names, title: fc.string({ maxLength: 4 }), label: fc.anything({ maxDepth: 0 }), fields: fieldList, properties: fieldList, required: fc.array(names, { maxLength: 2 }) }, { requiredKeys: [] }) },
	{ weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 4 }), fc.record({ fields: fieldList })) },
	{ weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) },
)

const drfDoc = fc.record({
	name: fc.string({ maxLength: 6 }),
	actions: fc.record({
		POST: fc.dictionary(names, fc.oneof(
			{ weight: 5, arbitrary: fc.record({ type: types, required: fc.boolean(), read_only: fc.boolean(), label: fc.string({ maxLength: 4 }), max_length: fc.nat(), min_value: fc.integer(), choices }, { requiredKeys: ['type'] }) },
			{ weight: 1, arbitrary: fc.record({ type: fc.constant('nested object'), read_only: fc.boolean(), children: fc.dictionary(names, fc.record({ type: types, read_only: fc.boolean(), required: fc.boolean() }), { maxKeys: 3 }) }) },
			{ weight: 1, arbitrary: fc.record({ type: fc.constant('list'), child: fc.record({ type: types, choices }, { requiredKeys: [] }) }) },
			{ weight: 1, arbitrary: fc.anything({ maxDepth: 1 }) },
		), { maxKeys: 8 }),
		PUT: fc.anything({ maxDepth: 1 }),
	}, { requiredKeys: [] }),
}, { requiredKeys: [] })

const schemaDoc = fc.oneof(
	{ weight: 4, arbitrary: fc.record({ schema_version: version, title: fc.anything({ maxDepth: 0 }), fields: fieldList, required: fc.array(names, { maxLength: 3 }), actions: fc.anything({ maxDepth: 1 }) }, { requiredKeys: ['fields'] }) },
	{ weight: 3, arbitrary: fc.record({ version, sections: fc.oneof(fc.array(section, { maxLength: 3 }), fc.dictionary(names, section, { maxKeys: 3 })), fields: fieldList, required: fc.array(names, { maxLength: 2 }) }, { requiredKeys: ['sections'] }) },
	{ weight: 1, arbitrary: fc.record({ groups: fc.array(section, { maxLength: 3 }) }) },
	{ weight: 1, arbitrary: fc.record({ fieldsets: fc.array(section, { maxLength: 3 }), fields: fieldList }) },
	{ weight: 3, arbitrary: fc.record({ $schema: fc.constant('https://json-schema.org/draft/2020-12/schema'), type: fc.constant('object'), properties: fc.dictionary(names, descriptor, { maxKeys: 6 }), required: fc.array(names, { maxLength: 3 }), $defs: fc.dictionary(fc.constantFrom('x', 'y'), leafDescriptor, { maxKeys: 2 }) }, { requiredKeys: ['properties'] }) },
	{ weight: 2, arbitrary: drfDoc },
	{ weight: 2, arbitrary: fc.anything() },
	{ weight: 1, arbitrary: fc.jsonValue() },
)
// A schema and a contract over the same names, so that many fields map.
const sharedPair = fc.uniqueArray(names, { minLength: 1, maxLength: 6 }).chain((ns) => fc.tuple(
	fc.record({
		schema_version: fc.constant(1),
		fields: fc.array(fc.record({
			name: fc.constantFrom(...ns, ...ns.map((n) => `g.${n}`), ...ns.map((n) => `${n}.x`)),
			type: types,
			read_only: fc.boolean(),
			aliases: fc.subarray(ns),
			choices,
		}, { requiredKeys: ['name'] }), { maxLength: 8 }),
	}),
	fc.record({
		actions: fc.record({
			POST: fc.dictionary(fc.constantFrom(...ns), fc.record({
				type: types,
				read_only: fc.boolean(),
				required: fc.boolean(),
				children: fc.dictionary(fc.constantFrom(...ns, 'x'), fc.record({ type: types, read_only: fc.boolean() }), { maxKeys: 2 }),
			}, { requiredKeys: ['type'] })),
		}),
	}),
))
const value = fc.oneof(scalar, fc.anything({ maxDepth: 2 }))
const record = fc.oneof(
	{ weight: 4, arbitrary: fc.dictionary(names, value, { maxKeys: 8 }) },
	{ weight: 1, arbitrary: fc.anything({ maxDepth: 2 }) },
)

// --- what the input offers ---------------------------------------------------

const filled = (v) => typeof v === 'string' && v.trim() !== ''
const firstName = (o) => ['name', 'key', 'id', 'source'].map((k) => (Object.hasOwn(o, k) ? o[k] : undefined)).find(filled)

/**
 * The descriptor-looking entries of a collection: {name} (null when it has none).
 */
function entriesOf(list) {
	if (Array.isArray(list)) {
		return list.map((e) => {
			if (typeof e === 'string') {
				return { name: e.trim() === '' ? null : e }
			}
			if (Array.isArray(e) && e.length === 2 && filled(e[0]) && isObject(e[1])) {
				return { name: e[0] }
			}
			return { name: isObject(e) ? firstName(e) ?? null : null }
		})
	}
	if (isObject(list)) {
		return Object.keys(list).map((k) => ({ name: k.trim() === '' ? null : k }))
	}
	return []
}

function topLevelEntries(doc, schema) {
	const get = (o, k) => (isObject(o) && Object.hasOwn(o, k) ? o[k] : undefined)
	switch (schema.layout) {
	case 'fields':
		return entriesOf(get(doc, 'fields'))
	case 'json-schema':
		return entriesOf(get(doc, 'properties'))
	case 'drf-metadata': {
		const a = get(doc, 'actions')
		return entriesOf(isObject(get(a, 'POST')) ? get(a, 'POST') : get(a, 'PUT'))
	}
	case 'sections': {
		const key = ['sections', 'groups', 'fieldsets'].find((k) => Array.isArray(get(doc, k)) || isObject(get(doc, k)))
		const list = get(doc, key)
		return (Array.isArray(list) ? list : Object.values(list)).flatMap((s0) => {
			const s = Array.isArray(s0) && s0.length === 2 && typeof s0[0] === 'string' && isObject(s0[1]) ? s0[1] : s0
			if (!isObject(s)) {
				return []
			}
			const k = ['fields', 'properties', 'children'].find((x) => Object.hasOwn(s, x))
			return k === undefined ? [] : entriesOf(s[k])
		})
	}
	default:
		return []
	}
}

function allFields(schema) {
	const out = []
	const walk = (list) => list.forEach((f) => {
		out.push(f)
		if (Array.isArray(f.children)) {
			walk(f.children)
		}
	})
	schema.sections.forEach((s) => walk(s.fields))
	return out
}

const hasScalar = (r) => (isObject(r)
	? Object.keys(r).some((k) => (typeof r[k] === 'string' && r[k] !== '') || typeof r[k] === 'number' || typeof r[k] === 'boolean')
	: (typeof r === 'string' && r !== '') || typeof r === 'number' || typeof r === 'boolean')

// --- properties --------------------------------------------------------------------

describe('properties', () => {
	it('nothing throws, for any document, contract, record and values', () => {
		fc.assert(fc.property(schemaDoc, fc.oneof(drfDoc, fc.anything()), fc.array(record, { maxLength: 4 }), fc.anything(), (doc, meta, records, junk) => {
			const s = normalizeSchema(doc)
			const c = normalizeMetadata(meta)
			const fromMeta = schemaFromMetadata(c)
			for (const schema of [s, fromMeta]) {
				const m = mapToContract(schema, c)
				mapToContract(schema, null)
				tableColumns(m.schema, records)
				tableColumns(schema, junk)
				for (const r of [...records, junk, undefined]) {
					const v = initialValues(m.schema, r)
					toPayload(m.schema, v)
					toPayload(schema, v, c)
					toPayload(schema, junk)
				}
			}
			normalizeSchema(junk)
			normalizeMetadata(junk)
			mapToContract(junk, junk)
			tableColumns(junk, junk)
			initialValues(junk, junk)
			toPayload(junk, junk, junk)
			for (const r of records) {
				formatCell(r, junk)
			}
		}), runs())
	})

	it('every descriptor is a rendered field or listed as unusable, with a reason', () => {
		fc.assert(fc.property(schemaDoc, (doc) => {
			const s = normalizeSchema(doc)
			const fields = allFields(s)
			const rendered = new Set(fields.map((f) => f.name))
			const unusable = s.unusable
			for (const u of unusable) {
				expect(typeof u.reason?.code).toBe('string')
				expect(s.problems).toContain(u.reason)
				expect(typeof u.label).toBe('string')
			}
			const entries = topLevelEntries(doc, s)
			for (const e of entries.filter((x) => x.name !== null)) {
				expect(rendered.has(e.name) || unusable.some((u) => u.name === e.name), e.name).toBe(true)
			}
			expect(unusable.filter((u) => u.name === null).length).toBeGreaterThanOrEqual(entries.filter((x) => x.name === null).length)
			// And what is rendered is well formed.
			for (const f of fields) {
				expect(f.widget === 'group' ? f.children.length > 0 : WIDGETS.includes(f.widget)).toBe(true)
				expect(f.path.join('.')).toBe(f.name)
				expect(Array.isArray(f.notes) && Array.isArray(f.aliases) && Array.isArray(f.options)).toBe(true)
				for (const n of f.notes) {
					expect(s.problems).toContain(n)
				}
				if (f.widget === 'select' || f.widget === 'multiselect') {
					expect(f.options.length).toBeGreaterThan(0)
				}
			}
			expect(s.ok).toBe(s.sections.length > 0 && s.sections.every((x) => x.fields.length > 0))
			expect(new Set(fields.map((f) => f.name)).size).toBe(fields.length)
		}), runs())
	})

	it('a payload holds only what the contract accepts and can write', () => {
		// Schemas over the same generated names as the contract, so that many fields map.
		const docAndMeta = fc.oneof(fc.tuple(schemaDoc, drfDoc), sharedPair, sharedPair)
		fc.assert(fc.property(docAndMeta, fc.dictionary(names, value), fc.array(record, { maxLength: 2 }), ([doc, meta], values, records) => {
			const c = normalizeMetadata(meta)
			for (const s of [normalizeSchema(doc), schemaFromMetadata(c)]) {
				const m = mapToContract(s, c)
				const bodies = [toPayload(m.schema, values), toPayload(s, values, c), ...records.map((r) => toPayload(m.schema, initialValues(m.schema, r)))]
				for (const body of bodies.filter(() => c.ok)) {
					for (const k of Object.keys(body)) {
						expect(Object.hasOwn(c.fields, k), k).toBe(true)
						expect(c.fields[k].readOnly, k).toBe(false)
					}
				}
				for (const x of m.mapped) {
					expect(Object.hasOwn(c.fields, x.to.split('.')[0])).toBe(true)
				}
				// Every leaf either is sent, or is read-only, or says why not.
				for (const f of leafFields(m.schema)) {
					const why = m.notAccepted.find((n) => n.field === f.name)
					expect(f.readOnly || f.sendAs !== null || why !== undefined, f.name).toBe(true)
				}
			}
		}), runs())
	})

	it('the table is never blank', () => {
		fc.assert(fc.property(schemaDoc, fc.array(record, { minLength: 1, maxLength: 6 }), fc.integer({ min: -1, max: 8 }), (doc, records, max) => {
			const s = normalizeSchema(doc)
			for (const schema of [s, null]) {
				const { columns } = tableColumns(schema, records, { max })
				expect(columns.length).toBeGreaterThan(0)
				expect(new Set(columns.map((c) => c.key)).size).toBe(columns.length)
				for (const r of records) {
					if (hasScalar(r)) {
						expect(columns.some((c) => formatCell(c.get(r), c.field) !== '—')).toBe(true)
					}
				}
			}
		}), runs())
	})

	it('records built from the schema’s own field names fill the form and the table', () => {
		fc.assert(fc.property(schemaDoc, fc.array(value, { minLength: 1, maxLength: 20 }), (doc, vals) => {
			const s = normalizeSchema(doc)
			const leaves = leafFields(s)
			const r = {}
			leaves.forEach((f, i) => {
				r[f.name] = vals[i % vals.length]
			})
			const values = initialValues(s, r)
			for (const f of leaves) {
				expect(Object.hasOwn(values, f.name)).toBe(true)
				if (f.widget === 'multiselect' || f.widget === 'tags') {
					expect(Array.isArray(values[f.name])).toBe(true)
				}
				if (f.widget === 'checkbox') {
					expect(typeof values[f.name]).toBe('boolean')
				}
				if (r[f.name] !== undefined) {
					expect(recordValue(r, f)).toBe(r[f.name])
				}
			}
			const body = toPayload(s, values)
			for (const f of leaves.filter((x) => x.readOnly)) {
				expect(Object.hasOwn(body, f.path[0]) && f.path.length === 1).toBe(false)
			}
			const { columns } = tableColumns(s, [r])
			expect(columns.length).toBeGreaterThan(0)
		}), runs())
	})
})

// --- the v1 document under other descriptor conventions --------------------------------

const pick = (list) => fc.constantFrom(...list)
const fieldRenames = fc.record({
	name: pick(['name', 'key', 'id', 'source', 'map-key']),
	type: pick(['type', 'kind', 'widget']),
	label: pick(['label', 'title', 'display_name']),
	help: pick(['help_text', 'help', 'description']),
	options: pick(['options', 'choices-display', 'choices-pairs', 'enum', 'oneOf', 'choices-map']),
	required: pick(['flag', 'list']),
	container: pick(['flat', 'constraints', 'validation', 'validators']),
	min: pick(['min', 'minimum', 'min_value']),
	max: pick(['max', 'maximum', 'max_value']),
	maxLength: pick(['max_length', 'maxLength']),
	step: pick(['step', 'multipleOf']),
	default: pick(['default', 'initial', 'default_value']),
})

function rewrite(doc, plans) {
	const required = []
	const mapKeys = plans.some((p) => p.name === 'map-key')
	const fields = doc.fields.map((f, i) => {
		const p = plans[i % plans.length]
		const out = {}
		const cons = {}
		const put = (k, v) => {
			if (['min', 'max', 'max_length', 'step', 'exclusive_min'].includes(k) && p.container !== 'flat') {
				cons[k] = v
			} else {
				out[k] = v
			}
		}
		for (const [k, v] of Object.entries(f)) {
			switch (k) {
			case 'name':
				if (!mapKeys) {
					out[p.name === 'map-key' ? 'name' : p.name] = v
				}
				break
			case 'type': out[p.type] = v; break
			case 'label': out[p.label] = v; break
			case 'help_text': out[p.help] = v; break
			case 'default': out[p.default] = v; break
			case 'required':
				if (p.required === 'flag') {
					out.required = v
				} else if (v) {
					required.push(f.name)
				}
				break
			case 'options':
				if (p.options === 'options') {
					out.options = v
				} else if (p.options === 'choices-display') {
					out.choices = v.map((o) => ({ value: o.value, display_name: o.label }))
				} else if (p.options === 'choices-pairs') {
					out.choices = v.map((o) => [o.value, o.label])
				} else if (p.options === 'enum') {
					out.enum = v.map((o) => o.value)
					out.enumNames = v.map((o) => o.label)
				} else if (p.options === 'oneOf') {
					out.oneOf = v.map((o) => ({ const: o.value, title: o.label }))
				} else {
					out.choices = Object.fromEntries(v.map((o) => [o.value, o.label]))
				}
				break
			case 'min': put(p.min === 'min' ? 'min' : p.min, v); break
			case 'max': put(p.max === 'max' ? 'max' : p.max, v); break
			case 'max_length': put(p.maxLength, v); break
			case 'step': put(p.step, v); break
			default: put(k, v)
			}
		}
		if (Object.keys(cons).length > 0) {
			out[p.container] = cons
		}
		return out
	})
	const result = { schema_version: doc.schema_version, title: doc.title }
	result.fields = mapKeys ? Object.fromEntries(fields.map((f, i) => [doc.fields[i].name, f])) : fields
	if (required.length > 0) {
		result.required = required
	}
	return result
}

describe('the v1 document under other descriptor conventions', () => {
	const summary = (s) => leafFields(s).map((f) => ({
		name: f.name, widget: f.widget, required: f.required, readOnly: f.readOnly, label: f.label, helpText: f.helpText,
		options: f.options.map((o) => [o.value, o.label]), min: f.min, max: f.max, exclusiveMin: f.exclusiveMin, maxLength: f.maxLength, step: f.step, unit: f.unit, defaultValue: f.defaultValue,
	}))
	const want = summary(normalizeSchema(v1))
	it('normalises to the same fields', () => {
		fc.assert(fc.property(fc.array(fieldRenames, { minLength: 1, maxLength: 9 }), (plans) => {
			const s = normalizeSchema(rewrite(v1, plans))
			expect(s.ok).toBe(true)
			expect(s.unusable).toEqual([])
			expect(summary(s)).toEqual(want)
		}), runs(300))
	})
})
