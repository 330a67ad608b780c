import { describe, expect, it } from 'vitest'
import { readAnswer } from '../src/api/envelope.js'
import { humanize, initialValues, leafFields, normalizeSchema, schemaUnderstood, SUPPORTED_VERSIONS, toPayload, WIDGETS } from '../src/api/schema.js'
import choicesMap from './fixtures/conv-choices-map.json'
import constraintsDoc from './fixtures/conv-constraints.json'
import jsonNested from './fixtures/conv-jsonschema-nested.json'
import optionsDoc from './fixtures/conv-options.json'
import groupsDoc from './fixtures/conv-sections-groups.json'
import metadata from './fixtures/drf-options-farms.json'
import choiceObjects from './fixtures/drf-schema-choice-objects.json'
import dotted from './fixtures/drf-schema-dotted-groups.json'
import enumNames from './fixtures/drf-schema-enum-names.json'
import noVersion from './fixtures/drf-schema-no-version.json'
import renamed from './fixtures/drf-schema-renamed-keys.json'
import drfV1 from './fixtures/drf-schema-v1.json'
import drfV2 from './fixtures/drf-schema-v2.json'
import v3 from './fixtures/drf-schema-v3-jsonschema.json'
import v1 from './fixtures/schema-v1.json'
import v2 from './fixtures/schema-v2.json'

// schema-v1/v2 are the DRF demo's original documents; drf-schema-* are what
// the farm service serves in each of its layouts (deploy/drf/farms/schema_variants.py).

const byName = (s) => Object.fromEntries(leafFields(s).map((f) => [f.name, f]))
const one = (descriptor, doc = {}) => {
	const s = normalizeSchema({ schema_version: 1, fields: [descriptor], ...doc })
	return { s, f: leafFields(s)[0] }
}

describe('normalizeSchema: the DRF demo', () => {
	it('reads v1 (flat field list)', () => {
		const s = normalizeSchema(v1)
		expect(s).toMatchObject({ ok: true, version: '1', layout: 'fields', known: true, title: 'Farm', problems: [], unusable: [] })
		expect(s.sections).toHaveLength(1)
		expect(leafFields(s).map((f) => [f.name, f.widget])).toEqual([
			['name', 'text'], ['owner', 'text'], ['crop', 'select'], ['area_ha', 'number'], ['latitude', 'number'],
			['longitude', 'number'], ['irrigated', 'checkbox'], ['notes', 'textarea'], ['created_at', 'date'],
		])
		const crop = leafFields(s).find((f) => f.name === 'crop')
		expect(crop.options).toHaveLength(11)
		expect(crop.options[0]).toMatchObject({ value: 'wheat', label: 'Wheat' })
		expect(crop.valueType).toBe('string')
		expect(leafFields(s).find((f) => f.name === 'created_at').readOnly).toBe(true)
		expect(leafFields(s).find((f) => f.name === 'area_ha')).toMatchObject({ unit: 'ha', min: 0, exclusiveMin: true, max: 100000, step: 0.01, decimal: true, width: 'third', required: true, path: ['area_ha'] })
		expect(s.actions.map((a) => a.id)).toEqual(['create', 'save', 'delete'])
	})

	it('reads v2 (sections; geo_point falls back to latitude + longitude)', () => {
		const s = normalizeSchema(v2)
		expect(s).toMatchObject({ ok: true, version: '2', layout: 'sections', known: true })
		expect(s.sections.map((x) => x.title)).toEqual(['Identity', 'Land', 'Notes'])
		const location = s.sections[1].fields.find((f) => f.name === 'location')
		expect(location).toMatchObject({ widget: 'group', unknownType: 'geo_point', label: 'Location' })
		expect(location.children.map((f) => f.name)).toEqual(['latitude', 'longitude'])
		expect(location.notes).toEqual([{ code: 'unknown_type_fallback', field: 'location', type: 'geo_point' }])
		expect(s.problems).toEqual([{ code: 'unknown_type_fallback', field: 'location', type: 'geo_point' }])
		expect(leafFields(s).map((f) => f.name)).toContain('latitude')
	})
})

describe('normalizeSchema: every layout the farm service serves', () => {
	const v1Names = leafFields(normalizeSchema(drfV1)).map((f) => f.name)
	const required = ['name', 'crop', 'area_ha', 'latitude', 'longitude']
	const layouts = {
		v1: { doc: drfV1, layout: 'fields', version: '1', known: true },
		v2: { doc: drfV2, layout: 'sections', version: '2', known: true },
		'v3-jsonschema': { doc: v3, layout: 'json-schema', version: '3', known: false },
		'renamed-keys': { doc: renamed, layout: 'fields', version: '1', known: true },
		'choice-objects': { doc: choiceObjects, layout: 'fields', version: '1', known: true },
		'no-version': { doc: noVersion, layout: 'fields', version: null, known: false },
		'dotted-groups': { doc: dotted, layout: 'sections', version: '4', known: false },
		'enum-names': { doc: enumNames, layout: 'fields', version: '5', known: false },
		'OPTIONS metadata': { doc: metadata, layout: 'drf-metadata', version: null, known: false },
	}
	// A layout's field for a v1 name: by name, last dotted segment, or documented alias.
	const find = (s, name) => leafFields(s).find((f) => f.name === name || f.path.at(-1) === name || f.aliases.includes(name))
	for (const [id, c] of Object.entries(layouts)) {
		it(`${id}: ok, every v1 field, crop a select of 11 labelled choices, area in ha, required flags`, () => {
			const s = normalizeSchema(c.doc)
			expect(s).toMatchObject({ ok: true, layout: c.layout, version: c.version, known: c.known, unusable: [] })
			for (const name of v1Names) {
				expect(find(s, name), name).toBeDefined()
			}
			const crop = find(s, 'crop')
			expect(crop.widget).toBe('select')
			expect(crop.options).toHaveLength(11)
			expect(crop.options.every((o) => o.label !== o.value)).toBe(true)
			expect(crop.options.find((o) => o.value === 'soy').label).toBe('Soybean')
			const area = find(s, 'area_ha')
			expect(area.widget).toBe('number')
			if (id !== 'OPTIONS metadata') {
				expect(area.unit).toBe('ha') // the metadata knows no units
				expect(area).toMatchObject({ min: 0, exclusiveMin: true, max: 100000 })
			}
			for (const name of v1Names) {
				expect(find(s, name).required, name).toBe(required.includes(name))
			}
			expect(find(s, 'irrigated').widget).toBe('checkbox')
			expect(find(s, 'created_at').readOnly).toBe(true)
			expect(find(s, 'latitude')).toMatchObject({ widget: 'number', min: -90, max: 90 })
		})
	}
	it('dotted-groups: groups become sections, dotted names paths, markdown degrades with a note', () => {
		const s = normalizeSchema(dotted)
		expect(s.sections.map((x) => [x.id, x.title])).toEqual([['farm', 'Farm'], ['site', 'Site'], ['meta', 'Record']])
		const f = byName(s)
		expect(f['site.location.latitude'].path).toEqual(['site', 'location', 'latitude'])
		expect(f['farm.notes']).toMatchObject({ widget: 'text', unknownType: 'markdown', notes: [{ code: 'unknown_type', field: 'farm.notes', type: 'markdown' }] })
		expect(f['farm.irrigated'].defaultValue).toBe(false)
		expect(f['site.area_ha'].step).toBe(0.01)
		expect(s.problems.map((p) => p.code)).toEqual(['unknown_version', 'unknown_type'])
	})
	it('enum-names: source becomes an alias', () => {
		const f = byName(normalizeSchema(enumNames))
		expect(f.owner_name.aliases).toEqual(['owner'])
	})
	it('v3-jsonschema: x-ui widget refines string into textarea, format date', () => {
		const f = byName(normalizeSchema(v3))
		expect(f.notes.widget).toBe('textarea')
		expect(f.created_at).toMatchObject({ widget: 'date', readOnly: true, type: 'string' })
		expect(f.name).toMatchObject({ maxLength: 120, width: 'full', label: 'Farm name' })
	})
})

describe('normalizeSchema: descriptor conventions', () => {
	it.each([
		['name', { name: 'a', type: 'text' }],
		['key', { key: 'a', type: 'text' }],
		['id', { id: 'a', type: 'text' }],
		['source', { source: 'a', type: 'text' }],
	])('name from %s', (_, d) => {
		expect(one(d).f.name).toBe('a')
	})
	it('source next to a name is an alias; so are maps_to, aliases and x-aliases', () => {
		expect(one({ name: 'a', source: 'b', maps_to: 'c', aliases: ['d'], 'x-aliases': 'e', type: 'text' }).f.aliases).toEqual(['b', 'c', 'd', 'e'])
		expect(one({ name: 'a', source: '*', type: 'text' }).f.aliases).toEqual([])
	})
	it('a group’s maps_to gives its fallback children their aliases', () => {
		const { s } = one({ name: 'pos', type: 'point', maps_to: { lat: 'y', lon: 'x' }, fallback: [{ name: 'lat', type: 'number' }, { name: 'lon', type: 'number' }] })
		expect(s.sections[0].fields[0].children.map((c) => [c.name, c.aliases])).toEqual([['lat', ['y']], ['lon', ['x']]])
	})
	it.each([
		['type', { type: 'integer' }, 'number'],
		['kind', { kind: 'email' }, 'email'],
		['widget', { widget: 'tel' }, 'tel'],
		['format', { format: 'date' }, 'date'],
		['ui.widget over a data type', { type: 'string', ui: { widget: 'textarea' } }, 'textarea'],
		['x-ui.widget over a data type', { type: 'string', 'x-ui': { widget: 'url' } }, 'url'],
		['widget next to type', { type: 'text', widget: 'textarea' }, 'textarea'],
		['JSON Schema format', { type: 'string', format: 'date-time' }, 'datetime'],
		['a hint never turns a number into text', { type: 'integer', ui: { widget: 'text' } }, 'number'],
	])('type from %s', (_, d, widget) => {
		expect(one({ name: 'a', ...d }).f.widget).toBe(widget)
	})
	it.each([
		['string', 'text'], ['char', 'text'], ['Text', 'text'], ['slug', 'text'], ['CharField', 'text'],
		['textarea', 'textarea'], ['longtext', 'textarea'],
		['integer', 'number'], ['int', 'number'], ['number', 'number'], ['float', 'number'], ['decimal', 'number'], ['IntegerField', 'number'],
		['email', 'email'], ['url', 'url'], ['uri', 'url'], ['tel', 'tel'], ['phone', 'tel'],
		['date', 'date'], ['datetime', 'datetime'], ['date-time', 'datetime'],
		['boolean', 'checkbox'], ['bool', 'checkbox'], ['checkbox', 'checkbox'], ['toggle', 'checkbox'], ['switch', 'checkbox'],
		['array', 'tags'], ['list', 'tags'], ['tags', 'tags'],
		['json', 'json'], ['JSONField', 'json'], ['object', 'json'], ['dict', 'json'], ['geojson', 'json'], ['nested object', 'json'],
	])('type %s → %s', (type, widget) => {
		const { f, s } = one({ name: 'a', type })
		expect(f.widget).toBe(widget)
		expect(f.type).toBe(type)
		expect(s.problems).toEqual([])
	})
	it.each([
		['choice'], ['select'], ['enum'], ['radio'],
	])('type %s with choices → select', (type) => {
		expect(one({ name: 'a', type, choices: ['x'] }).f.widget).toBe('select')
	})
	it.each([
		['multiple choice'], ['multiselect'], ['multiple_choice'], ['checkboxes'],
	])('type %s with choices → multiselect', (type) => {
		expect(one({ name: 'a', type, choices: ['x'] }).f.widget).toBe('multiselect')
	})
	it('decimal is true for float/decimal/number and false for integers', () => {
		expect(['float', 'decimal', 'number', 'integer'].map((type) => one({ name: 'a', type }).f.decimal)).toEqual([true, true, true, false])
		expect(one({ name: 'a', type: 'integer', step: 0.5 }).f.decimal).toBe(true)
	})
	it.each([
		['label', { label: 'L' }], ['title', { title: 'L' }], ['display_name', { display_name: 'L' }],
	])('label from %s', (_, d) => {
		expect(one({ name: 'a', type: 'text', ...d }).f.label).toBe('L')
	})
	it('label falls back to the humanised name', () => {
		expect(one({ name: 'area_ha', type: 'text' }).f.label).toBe('Area ha')
		expect(one({ name: 'site.maxSpeed', type: 'text' }).f.label).toBe('Max speed')
		expect(humanize('id')).toBe('ID')
	})
	it.each([
		['help', { help: 'H' }], ['help_text', { help_text: 'H' }], ['description', { description: 'H' }],
	])('help from %s', (_, d) => {
		expect(one({ name: 'a', type: 'text', ...d }).f.helpText).toBe('H')
	})
	it('required from a flag, a document list, a section list and an object’s list', () => {
		expect(one({ name: 'a', type: 'text', required: true }).f.required).toBe(true)
		expect(one({ name: 'a', type: 'text', required: 'yes' }).f.required).toBe(false)
		expect(one({ name: 'a', type: 'text' }, { required: ['a'] }).f.required).toBe(true)
		const s = normalizeSchema({ sections: [{ id: 's', required: ['b'], fields: [{ name: 'a', type: 'text' }, { name: 'b', type: 'text' }] }] })
		expect(leafFields(s).map((f) => f.required)).toEqual([false, true])
		const o = normalizeSchema({ type: 'object', properties: { o: { type: 'object', required: ['x'], properties: { x: { type: 'string' }, y: { type: 'string' } } } } })
		expect(leafFields(o).map((f) => [f.name, f.required])).toEqual([['o.x', true], ['o.y', false]])
	})
	it('a read-only field is never required', () => {
		expect(one({ name: 'a', type: 'text', required: true, read_only: true }).f).toMatchObject({ required: false, readOnly: true })
		expect(one({ name: 'a', type: 'text', readOnly: true }).f.readOnly).toBe(true)
		expect(one({ name: 'a', type: 'text', editable: false }).f.readOnly).toBe(true)
	})
	it.each([
		['min/max', { min: 1, max: 2 }],
		['minimum/maximum', { minimum: 1, maximum: 2 }],
		['min_value/max_value', { min_value: 1, max_value: 2 }],
		['constraints', { constraints: { min: 1, max: 2 } }],
		['validation', { validation: { minimum: 1, maximum: 2 } }],
		['validators', { validators: { min_value: 1, max_value: 2 } }],
		['numeric strings', { min_value: '1', max_value: '2.0' }],
	])('bounds from %s', (_, d) => {
		expect(one({ name: 'a', type: 'number', ...d }).f).toMatchObject({ min: 1, max: 2, exclusiveMin: false, exclusiveMax: false })
	})
	it('exclusive bounds as flags (v1) and as numbers (JSON Schema 2020-12)', () => {
		expect(one({ name: 'a', type: 'number', min: 0, exclusive_min: true }).f).toMatchObject({ min: 0, exclusiveMin: true })
		expect(one({ name: 'a', type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 5 }).f).toMatchObject({ min: 0, exclusiveMin: true, max: 5, exclusiveMax: true })
	})
	it('the constraints fixture', () => {
		const s = normalizeSchema(constraintsDoc)
		const f = byName(s)
		expect(f.flat).toMatchObject({ min: 1, max: 9, step: 2 })
		expect(f.in_constraints).toMatchObject({ min: 0, max: 10, step: 5, decimal: false })
		expect(f.in_validation).toMatchObject({ min: -1, max: 1, exclusiveMax: true })
		expect(f.in_validators).toMatchObject({ minLength: 2, maxLength: 8, pattern: '^[a-z]+$' })
		expect(f.lengths).toMatchObject({ minLength: 1, maxLength: 3 })
		expect(f.items).toMatchObject({ widget: 'tags', minItems: 1, maxItems: 4 })
		expect(f.drf_list).toMatchObject({ widget: 'tags', valueType: 'number', minItems: 2, maxItems: 3, maxLength: null })
		expect(f.money).toMatchObject({ step: 0.01, max: 1000 })
		expect(f.bad).toMatchObject({ min: null, pattern: null })
		expect(f.bad.notes).toEqual([{ code: 'bad_constraint', field: 'bad', type: 'min' }, { code: 'bad_constraint', field: 'bad', type: 'pattern' }])
		expect(s.problems).toEqual(f.bad.notes)
	})
	it.each([
		['default', { default: 'x' }], ['initial', { initial: 'x' }], ['default_value', { default_value: 'x' }],
	])('default from %s', (_, d) => {
		expect(one({ name: 'a', type: 'text', ...d }).f.defaultValue).toBe('x')
	})
	it('unit, width and rows from the descriptor, ui and x-ui', () => {
		expect(one({ name: 'a', type: 'number', unit: 'ha' }).f.unit).toBe('ha')
		expect(one({ name: 'a', type: 'number', 'x-unit': 'm' }).f.unit).toBe('m')
		expect(one({ name: 'a', type: 'number', ui: { unit: '°', width: 'half' } }).f).toMatchObject({ unit: '°', width: 'half' })
		expect(one({ name: 'a', type: 'number', ui: { width: 'huge' } }).f.width).toBe('full')
		expect(one({ name: 'a', type: 'textarea', 'x-ui': { rows: 7 } }).f.rows).toBe(7)
		expect(one({ name: 'a', type: 'textarea' }).f.rows).toBe(4)
	})
	it('dotted names give paths', () => {
		expect(one({ name: 'location.latitude', type: 'number' }).f.path).toEqual(['location', 'latitude'])
		expect(one({ name: 'a..b', type: 'number' }).f.path).toEqual(['a..b'])
	})
	it('fields ordered by ui.order when every field has one', () => {
		const s = normalizeSchema({ fields: [{ name: 'b', type: 'text', ui: { order: 2 } }, { name: 'a', type: 'text', ui: { order: 1 } }] })
		expect(leafFields(s).map((f) => f.name)).toEqual(['a', 'b'])
	})
})

describe('normalizeSchema: choices', () => {
	const opts = (d) => one({ name: 'c', type: 'select', ...d }).f.options.map((o) => [o.value, o.label])
	it.each([
		['[value, label] pairs', { choices: [['a', 'A'], ['b', 'B']] }],
		['{value, label}', { options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }] }],
		['{value, display_name}', { choices: [{ value: 'a', display_name: 'A' }, { value: 'b', display_name: 'B' }] }],
		['{value, title}', { options: [{ value: 'a', title: 'A' }, { value: 'b', title: 'B' }] }],
		['{const, title} in oneOf', { oneOf: [{ const: 'a', title: 'A' }, { const: 'b', title: 'B' }] }],
		['{const, title} in anyOf', { anyOf: [{ const: 'a', title: 'A' }, { const: 'b', title: 'B' }] }],
		['enum + enumNames', { enum: ['a', 'b'], enumNames: ['A', 'B'] }],
		['a {value: label} object', { choices: { a: 'A', b: 'B' } }],
	])('%s', (_, d) => {
		expect(opts(d)).toEqual([['a', 'A'], ['b', 'B']])
	})
	it('bare scalars, items.enum and Django optgroups', () => {
		expect(opts({ options: ['a', 2] })).toEqual([['a', 'a'], ['2', '2']])
		expect(one({ name: 'c', type: 'array', items: { enum: ['x', 'y'] } }).f).toMatchObject({ widget: 'multiselect', options: [{ value: 'x' }, { value: 'y' }] })
		expect(opts({ choices: [['Group', [['a', 'A'], ['b', 'B']]]] })).toEqual([['a', 'A'], ['b', 'B']])
	})
	it('help text of a choice', () => {
		expect(one({ name: 'c', type: 'select', options: [{ value: 'a', label: 'A', help_text: 'H' }] }).f.options[0].helpText).toBe('H')
	})
	it('valueType from the values, or from the declared type for a {value: label} object', () => {
		expect(one({ name: 'c', type: 'select', options: [1, 2] }).f.valueType).toBe('number')
		expect(one({ name: 'c', type: 'select', options: [true, false] }).f.valueType).toBe('boolean')
		expect(one({ name: 'c', type: 'select', options: ['a', 1] }).f.valueType).toBe(null)
		expect(one({ name: 'c', type: 'integer', choices: { 1: 'One' } }).f.valueType).toBe('number')
	})
	it('a data type with choices is a select, an explicit text widget is not', () => {
		expect(one({ name: 'c', type: 'string', enum: ['a'] }).f.widget).toBe('select')
		expect(one({ name: 'c', type: 'integer', enum: [1, 2] }).f).toMatchObject({ widget: 'select', valueType: 'number' })
		expect(one({ name: 'c', enum: ['a'] }).f.widget).toBe('select')
		expect(one({ name: 'c', type: 'text', options: ['a'] }).f.widget).toBe('text')
	})
	it('the choices-map fixture', () => {
		const s = normalizeSchema(choicesMap)
		const f = byName(s)
		expect(s).toMatchObject({ ok: true, layout: 'fields', problems: [] })
		expect(f.soil.options.map((o) => o.label)).toEqual(['Clay', 'Loam', 'Sandy'])
		expect(f.tier).toMatchObject({ widget: 'select', valueType: 'number' })
		expect(f.season.options.map((o) => o.value)).toEqual(['spring', 'autumn'])
		expect(f.grade.options.map((o) => o.label)).toEqual(['Grade A', 'Grade B', 'c'])
		expect(f.note).toMatchObject({ widget: 'text', type: 'text' })
	})
	it('the options fixture (fieldsets)', () => {
		const s = normalizeSchema(optionsDoc)
		const f = byName(s)
		expect(s).toMatchObject({ ok: true, layout: 'sections', known: true, problems: [] })
		expect(s.sections.map((x) => x.title)).toEqual(['Basics'])
		expect(f.color).toMatchObject({ widget: 'select', options: [{ value: 'red', label: 'Red', helpText: 'Warm' }, { value: 'blue', label: 'Blue', helpText: '' }] })
		expect(f.flags).toMatchObject({ widget: 'multiselect', defaultValue: ['x'], valueType: 'string' })
		expect(f.weight).toMatchObject({ widget: 'select', valueType: 'number' })
		expect(f.ratio).toMatchObject({ widget: 'multiselect', valueType: 'number' })
	})
})

describe('normalizeSchema: whole documents', () => {
	it('JSON Schema with nested object, enum + enumNames, $ref, unions, arrays', () => {
		const s = normalizeSchema(jsonNested)
		expect(s).toMatchObject({ ok: true, layout: 'json-schema', title: 'Station', version: null, unusable: [] })
		expect(s.problems).toEqual([{ code: 'no_version' }, { code: 'unresolved_ref', field: 'broken', type: '#/$defs/missing' }])
		const top = s.sections[0].fields
		const position = top.find((f) => f.name === 'position')
		expect(position).toMatchObject({ widget: 'group', label: 'Position', required: true })
		expect(position.children.map((c) => [c.name, c.required, c.unit])).toEqual([['position.lat', true, '°'], ['position.lon', false, '°'], ['position.elevation', false, 'm']])
		const f = byName(s)
		expect(f['position.lat']).toMatchObject({ widget: 'number', min: -90, max: 90, label: 'Latitude' })
		expect(f['position.elevation']).toMatchObject({ widget: 'number', step: 0.5 })
		expect(f.code).toMatchObject({ required: true, pattern: '^[A-Z]{3}$', minLength: 3, maxLength: 3 })
		expect(f.kind).toMatchObject({ widget: 'select', required: true, options: [{ value: 'auto', label: 'Automatic' }, { value: 'manual', label: 'Manual' }] })
		expect(f.level).toMatchObject({ widget: 'select', valueType: 'number', options: [{ value: '1', label: 'Low' }, { value: '2', label: 'High' }] })
		expect(f.installed).toMatchObject({ widget: 'datetime', readOnly: true })
		expect(f.contact.widget).toBe('email')
		expect(f.homepage).toMatchObject({ widget: 'url', width: 'half' })
		expect(f.sensors).toMatchObject({ widget: 'multiselect', minItems: 1, valueType: 'string' })
		expect(f.tags).toMatchObject({ widget: 'tags', valueType: 'number', maxItems: 5 })
		expect(f.settings.widget).toBe('json')
		expect(f.limits.widget).toBe('json')
		expect(f.broken).toMatchObject({ widget: 'json', notes: [{ code: 'unresolved_ref' }] })
	})
	it('a union of several types uses the first, with a note', () => {
		const s = normalizeSchema({ type: 'object', properties: { a: { oneOf: [{ type: 'integer' }, { type: 'string' }] } } })
		expect(leafFields(s)[0]).toMatchObject({ widget: 'number', notes: [{ code: 'union_type', field: 'a' }] })
	})
	it('a $ref cycle ends', () => {
		const s = normalizeSchema({ type: 'object', properties: { a: { $ref: '#/properties/a' }, b: { $ref: '#' } } })
		expect(s.ok).toBe(true)
		expect(leafFields(s).length).toBeGreaterThan(0)
	})
	it('sections called groups, keyed descriptors, a per-group required list', () => {
		const s = normalizeSchema(groupsDoc)
		expect(s).toMatchObject({ ok: true, layout: 'sections', version: '2', known: true })
		expect(s.sections.map((x) => [x.id, x.title, x.description])).toEqual([['main', 'Main', 'What the parcel is called.'], ['extra', 'Extra', '']])
		expect(s.problems).toEqual([{ code: 'bad_section', section: '3' }])
		const f = byName(s)
		expect(f.label.required).toBe(true) // the document's list
		expect(f.size).toMatchObject({ required: true, widget: 'number', decimal: true, min: 0, exclusiveMin: true, unit: 'ha' })
		expect(f['extra.comment']).toMatchObject({ widget: 'textarea', rows: 6, path: ['extra', 'comment'] })
		expect(f['extra.visible']).toMatchObject({ widget: 'checkbox', defaultValue: true })
	})
	it('fieldsets that name fields of the document', () => {
		const s = normalizeSchema({ fields: { a: { type: 'text' }, b: { type: 'number' }, c: { type: 'text' } }, fieldsets: [['First', { fields: ['b'] }], { title: 'Second', fields: ['a', 'zz'] }] })
		expect(s.sections.map((x) => [x.title, x.fields.map((f) => f.name)])).toEqual([['First', ['b']], ['Second', ['a', 'zz']], ['', ['c']]])
		expect(byName(s).zz).toMatchObject({ widget: 'text', unknownType: '?' })
	})
	it('DRF OPTIONS metadata', () => {
		const s = normalizeSchema(metadata)
		expect(s).toMatchObject({ ok: true, layout: 'drf-metadata', version: null, known: false, title: 'Farm', problems: [] })
		const f = byName(s)
		expect(f.id).toMatchObject({ widget: 'number', readOnly: true, decimal: false })
		expect(f.crop.options[3]).toEqual({ value: 'soy', label: 'Soybean', helpText: '' })
		expect(f.created_at).toMatchObject({ widget: 'datetime', readOnly: true })
		expect(f.name.maxLength).toBe(120)
	})
	it('DRF metadata child/children', () => {
		const doc = { actions: { POST: {
			tags: { type: 'list', child: { type: 'integer' } },
			kinds: { type: 'multiple choice', choices: [{ value: 1, display_name: 'One' }] },
			pick: { type: 'list', child: { type: 'choice', choices: [{ value: 'a', display_name: 'A' }] } },
			geo: { type: 'nested object', children: { lat: { type: 'float', required: true }, lon: { type: 'float' } } },
			blob: { type: 'nested object' },
			rows: { type: 'list', child: { type: 'nested object', children: { x: { type: 'integer' } } } },
			owner: { type: 'field', required: false },
		} } }
		const f = byName(normalizeSchema(doc))
		expect(f.tags).toMatchObject({ widget: 'tags', valueType: 'number' })
		expect(f.kinds).toMatchObject({ widget: 'multiselect', valueType: 'number' })
		expect(f.pick).toMatchObject({ widget: 'multiselect', valueType: 'string', options: [{ value: 'a', label: 'A' }] })
		expect(f['geo.lat']).toMatchObject({ widget: 'number', required: true, path: ['geo', 'lat'] })
		expect(f.blob.widget).toBe('json')
		expect(f.rows.widget).toBe('json')
		expect(f.owner).toMatchObject({ widget: 'text', unknownType: 'field' })
	})
	it('fields as an object of name → descriptor or name → type', () => {
		const s = normalizeSchema({ fields: { a: { type: 'integer' }, b: 'boolean', c: 5 } })
		expect(leafFields(s).map((f) => [f.name, f.widget])).toEqual([['a', 'number'], ['b', 'checkbox']])
		expect(s.unusable).toEqual([{ name: 'c', label: 'C', reason: { code: 'bad_field', field: 'c' } }])
	})
})

describe('normalizeSchema: unknown types', () => {
	it('degrades an unknown type without fallback to a text input', () => {
		const s = normalizeSchema({ schema_version: 2, sections: [{ id: 'x', fields: [{ name: 'boundary', label: 'Boundary', type: 'polygon' }] }] })
		expect(s.sections[0].fields[0]).toMatchObject({ name: 'boundary', widget: 'text', unknownType: 'polygon', notes: [{ code: 'unknown_type', field: 'boundary', type: 'polygon' }] })
		expect(s.problems).toEqual([{ code: 'unknown_type', field: 'boundary', type: 'polygon' }])
		expect(s.known).toBe(true)
	})
	it('an unknown type with an object default is a JSON input', () => {
		expect(one({ name: 'b', type: 'polygon', default: { type: 'Polygon' } }).f).toMatchObject({ widget: 'json', unknownType: 'polygon' })
	})
	it('treats a missing type as unknown', () => {
		const s = normalizeSchema({ schema_version: 1, fields: [{ name: 'x' }] })
		expect(s.sections[0].fields[0]).toMatchObject({ widget: 'text', unknownType: '?', label: 'X' })
	})
	it('maps type aliases', () => {
		const s = normalizeSchema({ schema_version: 1, fields: [{ name: 'a', type: 'integer' }, { name: 'b', type: 'boolean' }, { name: 'c', type: 'choice', options: ['x', 'y'] }] })
		expect(leafFields(s).map((f) => f.widget)).toEqual(['number', 'checkbox', 'select'])
		expect(leafFields(s)[2].options).toEqual([{ value: 'x', label: 'x', helpText: '' }, { value: 'y', label: 'y', helpText: '' }])
	})
	it('every leaf widget is one of WIDGETS', () => {
		for (const doc of [v1, v2, v3, dotted, jsonNested, groupsDoc, choicesMap, optionsDoc, constraintsDoc, metadata]) {
			for (const f of leafFields(normalizeSchema(doc))) {
				expect(WIDGETS).toContain(f.widget)
			}
		}
		expect(SUPPORTED_VERSIONS).toEqual(['1', '2'])
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
		{ name: 'repeated options', doc: { schema_version: 1, fields: [{ name: 'c', type: 'select', options: ['a', 'a'] }] }, codes: ['bad_option'], ok: true, known: true },
		{ name: 'a select without options', doc: { schema_version: 1, fields: [{ name: 'c', type: 'select', options: 'abc' }] }, codes: ['bad_options', 'select_without_options'], ok: true, known: true },
		{ name: 'an empty fallback', doc: { schema_version: 2, sections: [{ fields: [{ name: 'g', type: 'geo_point', fallback: [] }] }] }, codes: ['unknown_type'], ok: true, known: true },
		{ name: 'a duplicate name', doc: { schema_version: 1, fields: [{ name: 'a', type: 'text' }, { name: 'a', type: 'number' }] }, codes: ['duplicate_field'], ok: true, known: true },
		{ name: 'a reserved name', doc: { schema_version: 1, fields: [{ name: '__proto__', type: 'text' }, { name: 'a', type: 'text' }] }, codes: ['reserved_name'], ok: true, known: true },
		{ name: 'an object of unusable fields', doc: { schema_version: 1, fields: [{ name: 'o', type: 'object', fields: [null] }] }, codes: ['field_without_name', 'empty_group'], ok: true, known: true },
		{ name: 'DRF metadata without fields', doc: { actions: { POST: {} } }, codes: ['no_fields'] },
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
		const f = normalizeSchema({ schema_version: 1, fields: [{ name: 'c', type: 'select', options: [] }] }).sections[0].fields[0]
		expect(f.widget).toBe('text')
		expect(f.notes).toEqual([{ code: 'select_without_options', field: 'c' }])
		expect(normalizeSchema({ schema_version: 1, fields: [{ name: 'c', type: 'multiselect', options: [] }] }).sections[0].fields[0].widget).toBe('tags')
	})
	it('lists what it could not render, with a reason', () => {
		const s = normalizeSchema({ schema_version: 1, fields: [null, { label: 'Nameless' }, { name: 'a', type: 'text' }, { name: 'a', label: 'Again' }] })
		expect(s.unusable).toEqual([
			{ name: null, label: '', reason: { code: 'field_without_name', section: 'fields', detail: '1' } },
			{ name: null, label: 'Nameless', reason: { code: 'field_without_name', section: 'fields', detail: '2' } },
			{ name: 'a', label: 'Again', reason: { code: 'duplicate_field', field: 'a' } },
		])
	})
	it('does not change its input', () => {
		const doc = JSON.parse(JSON.stringify(jsonNested))
		normalizeSchema(doc)
		expect(doc).toEqual(jsonNested)
	})
	it('deep nesting ends in a JSON input', () => {
		let props = { leaf: { type: 'string' } }
		for (let i = 0; i < 8; i++) {
			props = { [`o${i}`]: { type: 'object', properties: props } }
		}
		const s = normalizeSchema({ type: 'object', properties: props })
		expect(s.ok).toBe(true)
		expect(s.problems.map((p) => p.code)).toContain('too_deep')
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

	const rich = normalizeSchema({ fields: [
		{ name: 'tags', type: 'tags' },
		{ name: 'ids', type: 'list', child: { type: 'integer' } },
		{ name: 'levels', type: 'multiple choice', choices: [[1, 'One'], [2, 'Two']] },
		{ name: 'level', type: 'choice', choices: [[1, 'One'], [2, 'Two']] },
		{ name: 'flag', type: 'choice', choices: [[true, 'On'], [false, 'Off']] },
		{ name: 'extra', type: 'json' },
		{ name: 'at', type: 'datetime' },
		{ name: 'day', type: 'date' },
		{ name: 'geo.lat', type: 'number' },
		{ name: 'geo.lon', type: 'number' },
	] })
	it('initial values: arrays for lists, pretty JSON, datetime-local text', () => {
		expect(initialValues(rich)).toEqual({ tags: [], ids: [], levels: [], level: null, flag: null, extra: '', at: '', day: '', 'geo.lat': '', 'geo.lon': '' })
		const v = initialValues(rich, { tags: ['a', 'b'], ids: [1, 2], levels: [2], level: 1, flag: false, extra: { a: [1] }, at: '2026-12-06T15:31:03.211083Z', day: '2026-12-06T00:00:00Z', geo: { lat: 4.5, lon: 6 } })
		expect(v).toEqual({ tags: ['a', 'b'], ids: ['1', '2'], levels: ['2'], level: '1', flag: 'false', extra: '{\n  "a": [\n    1\n  ]\n}', at: '2026-12-06T15:31', day: '2026-12-06', 'geo.lat': '4.5', 'geo.lon': '6' })
		expect(initialValues(rich, { tags: 'x, y', at: '2026-12-06' })).toMatchObject({ tags: ['x', 'y'], at: '2026-12-06T00:00' })
		expect(initialValues(rich, { lat: 1 })['geo.lat']).toBe('1') // the last segment, when the record is flat
	})
	it('payload: typed arrays, parsed JSON (raw text when it does not parse), nested dotted names', () => {
		const v = { ...initialValues(rich), tags: ['a', 'b'], ids: ['1', 'x'], levels: ['2'], level: '1', flag: 'false', extra: '{"a": 1}', at: '2026-12-06T15:31', 'geo.lat': '4.5' }
		expect(toPayload(rich, v)).toEqual({ tags: ['a', 'b'], ids: [1, 'x'], levels: [2], level: 1, flag: false, extra: { a: 1 }, at: '2026-12-06T15:31', day: null, geo: { lat: 4.5, lon: null } })
		expect(toPayload(rich, { ...v, extra: '{oops' }).extra).toBe('{oops')
		expect(toPayload(rich, { ...v, extra: '' }).extra).toBe(null)
		expect(toPayload(rich, {})).toEqual({ tags: [], ids: [], levels: [], level: null, flag: null, extra: null, at: null, day: null, geo: { lat: null, lon: null } })
	})
	it('payload: a field whose path collides with another is left out, not thrown', () => {
		const c = normalizeSchema({ fields: [{ name: 'a', type: 'text' }, { name: 'a.b', type: 'text' }] })
		expect(toPayload(c, { a: 'x', 'a.b': 'y' })).toEqual({ a: 'x' })
	})
	it('payload with a contract: only what the serializer accepts and can write', () => {
		const body = toPayload(normalizeSchema(dotted), initialValues(normalizeSchema(dotted)), { ok: true, fields: { name: { readOnly: false }, crop: { readOnly: false }, created_at: { readOnly: true } } })
		expect(Object.keys(body).sort()).toEqual(['crop', 'name'])
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
