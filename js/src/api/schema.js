/**
 * The farm form schema, read defensively (GET /api/v1/admin/farms/schema).
 *
 * normalizeSchema reads whatever the farm service sends and never throws: the
 * DRF demo's v1 ({schema_version, fields: [...]}) and v2 (sections), other
 * descriptor conventions (key/title/description, constraints nested under
 * `constraints`, `required` as a list, choices as [{value, display_name}],
 * [value, label] pairs or a {value: label} object, fields as an object
 * name → descriptor, sections called `groups` or `fieldsets`), a JSON Schema
 * (draft 2020-12) object document, and DRF's OPTIONS metadata (actions.POST).
 * The result (the Schema of js/form-model.md) is what SchemaForm draws:
 *
 *   { ok, version, layout, known, title, description,
 *     sections: [{id, title, description, fields}], unusable, problems, actions }
 *
 * A Field is {name, path, label, helpText, placeholder, widget, type, required,
 * readOnly, options, valueType, min, max, exclusiveMin, exclusiveMax, step,
 * maxLength, minLength, minItems, maxItems, pattern, unit, decimal, rows,
 * width, defaultValue, aliases, unknownType, notes[, children]} with widget one
 * of WIDGETS or 'group' (children: Field[]). Anything not understood degrades
 * for that field alone: the field gets a note, the note is also in problems.
 * A descriptor that cannot be rendered at all is listed in unusable with its
 * reason. Nothing here knows farm field names: every rule is generic.
 *
 * Problem codes (Problem = {code, field?, type?, section?, detail?}); the
 * variables each code fills are in brackets:
 *
 *   not_object             the document is not a JSON object []
 *   no_fields              the document has no usable field at all []
 *   no_version             the document states no version (not emitted for DRF metadata) []
 *   unknown_version        the version is not in SUPPORTED_VERSIONS [type: the version]
 *   bad_section            a section is not an object; left out [section: its 1-based number]
 *   fields_not_list        fields of the document/section are neither a list nor an object [section]
 *   field_without_name     a descriptor without a usable name; listed in unusable [section?, detail: its 1-based position]
 *   bad_field              the descriptor under a name is not an object; listed in unusable [field]
 *   duplicate_field        a second descriptor with a name already used; listed in unusable [field]
 *   reserved_name          a name the form cannot hold (__proto__); listed in unusable [field]
 *   unknown_type           type not understood: shown as a text (or JSON) input [field, type]
 *   unknown_type_fallback  type not understood: its fallback fields are shown instead [field, type]
 *   bad_options            choices are neither a list nor an object [field]
 *   bad_option             one choice is malformed or repeats a value; left out [field, detail: its 1-based position]
 *   select_without_options a choice field without usable choices: shown as a text input (tags for a multiple choice) [field]
 *   bad_constraint         a constraint is not a number (or not a valid pattern); ignored [field, type: the key]
 *   unresolved_ref         a JSON Schema $ref that does not resolve in the document; shown as a JSON input [field, type: the ref]
 *   union_type             oneOf/anyOf of several types: the first one is used [field]
 *   empty_group            an object whose nested fields are all unusable: shown as a JSON input [field]
 *   too_deep               nesting deeper than the UI draws: shown as a JSON input [field]
 *
 * mapToContract (mapping.js) adds, as notes of the field and in the mapped
 * schema's problems (all but missing_required also in its notAccepted):
 *
 *   not_in_contract        the serializer has no such field: the value is not sent [field]
 *   ambiguous_name         the name matches several serializer fields: not sent [field, detail: "a, b"]
 *   claimed_twice          another form field matches the same serializer field equally well: neither is sent [field, type: the serializer field]
 *   claimed_by_other       another form field matches that serializer field better: this one is not sent [field, type: the serializer field, detail: the other form field]
 *   read_only_in_contract  the serializer field is read-only: shown, not sent [field, type: the serializer field]
 *   missing_required       the serializer requires a field no form field is sent as [field: the serializer field, detail: its label]
 *
 * normalizeMetadata (metadata.js) reports, in the contract's problems:
 * not_object, no_actions (neither actions.POST nor actions.PUT is an object)
 * [], no_fields, bad_field [field], reserved_name [field], bad_option /
 * bad_options [field, detail].
 */
import { mapToContract, recordValue } from './mapping.js'

export const SUPPORTED_VERSIONS = ['1', '2']

/** The input widgets (a Field's widget is one of these or 'group'). */
export const WIDGETS = ['text', 'textarea', 'number', 'email', 'url', 'tel', 'date', 'datetime', 'checkbox', 'select', 'multiselect', 'tags', 'json']

const WIDTHS = ['full', 'half', 'third']
const MAX_DEPTH = 4 // nesting levels of groups drawn; deeper objects are JSON inputs
const MAX_REFS = 8
const MAX_FIELDS = 2000 // fields read from one document, at most (a $ref to '#' nests without end)
const RESERVED = new Set(['__proto__'])

// canonical type name → widget, or a marker: 'object' (group with nested
// fields, else JSON), 'field' (generic: group/select/else unknown), 'group'.
const TYPES = {
	text: 'text', string: 'text', str: 'text', char: 'text', slug: 'text', regex: 'text', uuid: 'text',
	time: 'text', duration: 'text', password: 'text', ipaddress: 'text', ip_address: 'text', hostname: 'text',
	textarea: 'textarea', longtext: 'textarea', long_text: 'textarea', multiline: 'textarea',
	number: 'number', integer: 'number', int: 'number', float: 'number', decimal: 'number', double: 'number', long: 'number',
	email: 'email', url: 'url', uri: 'url', tel: 'tel', phone: 'tel', telephone: 'tel',
	date: 'date', datetime: 'datetime', date_time: 'datetime', timestamp: 'datetime',
	boolean: 'checkbox', bool: 'checkbox', checkbox: 'checkbox', toggle: 'checkbox', switch: 'checkbox',
	choice: 'select', select: 'select', enum: 'select', radio: 'select', dropdown: 'select',
	multiple_choice: 'multiselect', multiplechoice: 'multiselect', multiselect: 'multiselect', multi_select: 'multiselect', checkboxes: 'multiselect',
	array: 'tags', list: 'tags', tags: 'tags',
	json: 'json', geojson: 'json', hstore: 'json',
	object: 'object', nested_object: 'object', dict: 'object', nested: 'object',
	field: 'field', group: 'group', fieldset: 'group',
}
// Data types (not widgets): choices turn them into a select.
const DATA_TYPES = new Set(['', 'string', 'str', 'char', 'integer', 'int', 'number', 'float', 'decimal', 'double', 'long', 'field', 'enum'])
const INTEGER_TYPES = new Set(['integer', 'int', 'long'])
const BOOLEAN_TYPES = new Set(['boolean', 'bool', 'checkbox', 'toggle', 'switch'])
const NUMBER_TYPES = new Set(['number', 'integer', 'int', 'float', 'decimal', 'double', 'long'])
// JSON Schema `format` of a string
const FORMATS = { date: 'date', date_time: 'datetime', datetime: 'datetime', email: 'email', idn_email: 'email', uri: 'url', url: 'url', iri: 'url', uri_reference: 'url', tel: 'tel', phone: 'tel', textarea: 'textarea' }
// A UI widget hint may refine a data type's widget into one of these.
// (Only refinements that send the same kind of value: a hint never turns a
// number into text or one value into a list.)
const REFINES = {
	text: ['textarea', 'email', 'url', 'tel', 'date', 'datetime'],
}

/**
 * isObject: a plain JSON object (not null, not an array).
 *
 * @param {any} v the value
 * @return {boolean}
 */
export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * own reads an own member of an object (never an inherited one such as
 * `constructor`), undefined otherwise.
 *
 * @param {any} o the object
 * @param {string} k the member name
 * @return {any}
 */
export const own = (o, k) => (o !== null && typeof o === 'object' && Object.hasOwn(o, k) ? o[k] : undefined)

const str = (v) => (typeof v === 'string' ? v : '')
const filled = (v) => typeof v === 'string' && v.trim() !== ''
const isScalar = (v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean'
const NUMERIC = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/

/**
 * num reads a finite number (a numeric string counts), else null.
 *
 * @param {any} v the value
 * @return {number|null}
 */
export function num(v) {
	if (typeof v === 'number') {
		return Number.isFinite(v) ? v : null
	}
	if (typeof v === 'string' && NUMERIC.test(v)) {
		const n = Number(v)
		return Number.isFinite(n) ? n : null
	}
	return null
}

/**
 * canon lowercases a type name and joins its words with '_' (a Django-style
 * "…Field" suffix is dropped when the rest is a known type).
 *
 * @param {string} s the type
 * @return {string}
 */
function canon(s) {
	const c = s.trim().toLowerCase().replace(/[\s-]+/g, '_')
	if (!Object.hasOwn(TYPES, c) && c.length > 5 && c.endsWith('field')) {
		const base = c.slice(0, -5).replace(/_$/, '')
		if (Object.hasOwn(TYPES, base)) {
			return base
		}
	}
	return c
}

const typeWidget = (s) => (filled(s) && Object.hasOwn(TYPES, canon(s)) ? TYPES[canon(s)] : null)

/**
 * splitPath splits a dotted name into its path; a name with an empty
 * segment ("a..b", ".a") is not split.
 *
 * @param {string} name the name
 * @return {string[]}
 */
export function splitPath(name) {
	const parts = String(name).split('.')
	return parts.some((p) => p === '') ? [String(name)] : parts
}

const lastSegment = (name) => {
	const p = splitPath(name)
	return p[p.length - 1]
}

/**
 * humanize makes a label of a name: its last dotted segment, words split
 * on '_', '-' and camelCase, first letter upper case ("area_ha" → "Area ha").
 *
 * @param {string} name the name
 * @return {string}
 */
export function humanize(name) {
	const last = lastSegment(typeof name === 'string' ? name : '')
	if (/^(id|pk|uuid|url)$/i.test(last)) {
		return last.toUpperCase()
	}
	const words = last.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_\-\s]+/g, ' ').trim()
	if (words === '') {
		return typeof name === 'string' ? name : ''
	}
	return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase()
}

/**
 * cloneJson copies a JSON value (undefined → null).
 *
 * @param {any} v the value
 * @return {any}
 */
function cloneJson(v) {
	if (v === undefined) {
		return null
	}
	if (v === null || typeof v !== 'object') {
		return typeof v === 'number' && !Number.isFinite(v) ? null : v
	}
	try {
		return JSON.parse(JSON.stringify(v))
	} catch {
		return null
	}
}

const firstOwn = (objects, keys) => {
	for (const o of objects) {
		for (const k of keys) {
			const v = own(o, k)
			if (v !== undefined) {
				return { key: k, value: v }
			}
		}
	}
	return null
}

const firstString = (objects, keys) => {
	for (const o of objects) {
		for (const k of keys) {
			const v = own(o, k)
			if (filled(v)) {
				return v
			}
		}
	}
	return ''
}

const stringList = (v) => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter(filled) : [])

// --- JSON Schema $ref / allOf / anyOf / oneOf ---------------------------------

function resolvePointer(root, ref) {
	if (!ref.startsWith('#')) {
		return undefined
	}
	let cur = root
	const parts = ref.slice(1).split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
	for (const p of parts) {
		cur = Array.isArray(cur) ? cur[Number(p)] : own(cur, p)
		if (cur === undefined) {
			return undefined
		}
	}
	return cur
}

const isNullSchema = (s) => isObject(s) && (own(s, 'type') === 'null' || (Object.hasOwn(s, 'const') && own(s, 'const') === null))

/**
 * expand resolves $ref (local JSON pointers), merges allOf and a single
 * (nullable) oneOf/anyOf alternative into the descriptor. Own keys win.
 *
 * @param {object} raw the descriptor
 * @param {object} root the document, for $ref
 * @return {{raw: object, notes: object[]}} notes: {code, type?} without field
 */
function expand(raw, root) {
	const notes = []
	let out = raw
	for (let i = 0; i < MAX_REFS && typeof own(out, '$ref') === 'string'; i++) {
		const ref = own(out, '$ref')
		const target = resolvePointer(root, ref)
		const rest = { ...out }
		delete rest.$ref
		if (!isObject(target)) {
			notes.push({ code: 'unresolved_ref', type: ref })
			return { raw: { ...rest, type: 'json' }, notes }
		}
		out = { ...target, ...rest }
		if (i === MAX_REFS - 1 && typeof own(out, '$ref') === 'string') {
			notes.push({ code: 'unresolved_ref', type: own(out, '$ref') })
			return { raw: { ...out, type: 'json' }, notes }
		}
	}
	const allOf = own(out, 'allOf')
	if (Array.isArray(allOf)) {
		let merged = {}
		for (const part of allOf) {
			if (isObject(part)) {
				const e = expand(part, root)
				notes.push(...e.notes)
				merged = { ...merged, ...e.raw }
			}
		}
		const rest = { ...out }
		delete rest.allOf
		out = { ...merged, ...rest }
	}
	for (const key of ['oneOf', 'anyOf']) {
		const alts = own(out, key)
		if (!Array.isArray(alts) || alts.some((a) => isObject(a) && Object.hasOwn(a, 'const'))) {
			continue // const alternatives are choices (readChoiceSource)
		}
		const real = alts.filter((a) => isObject(a) && !isNullSchema(a))
		if (real.length === 0) {
			continue
		}
		if (real.length > 1) {
			notes.push({ code: 'union_type' })
		}
		const e = expand(real[0], root)
		notes.push(...e.notes)
		const rest = { ...out }
		delete rest[key]
		out = { ...e.raw, ...rest }
	}
	return { raw: out, notes }
}

// --- choices --------------------------------------------------------------

/**
 * choiceSource finds where a descriptor keeps its choices.
 *
 * @param {object} raw the descriptor
 * @return {{value: any, names: any}|null} names: enumNames when value is an enum
 */
function choiceSource(raw) {
	for (const k of ['choices', 'options']) {
		const v = own(raw, k)
		if (v !== undefined && v !== null) {
			return { value: v, names: null }
		}
	}
	const e = own(raw, 'enum')
	if (e !== undefined && e !== null) {
		return { value: e, names: own(raw, 'enumNames') ?? own(raw, 'x-enumNames') ?? null }
	}
	for (const k of ['oneOf', 'anyOf']) {
		const alts = own(raw, k)
		if (Array.isArray(alts) && alts.some((a) => isObject(a) && Object.hasOwn(a, 'const'))) {
			return { value: alts.filter((a) => !isNullSchema(a)), names: null }
		}
	}
	for (const k of ['items', 'child']) {
		const inner = own(raw, k)
		if (isObject(inner)) {
			const s = choiceSource(inner)
			if (s) {
				return s
			}
		}
	}
	return null
}

const VALUE_KEYS = ['value', 'const', 'id', 'key', 'code']
const LABEL_KEYS = ['label', 'display_name', 'title', 'name', 'text']
const HELP_KEYS = ['help_text', 'description', 'help']

/**
 * readOptions reads choices in any of the conventions: a list of [value,
 * label] pairs (Django optgroups too), {value, label|display_name|title},
 * {const, title}, bare scalars; or a whole {value: label} object.
 *
 * @param {{value: any, names: any}} source from choiceSource
 * @param {Function} note (code, detail?) records a problem of the field
 * @return {{options: object[], values: any[]}} values: the raw values, for valueType
 */
export function readOptions(source, note = () => {}) {
	const options = []
	const values = []
	const seen = new Set()
	const add = (value, label, help, pos) => {
		if (!isScalar(value)) {
			note('bad_option', String(pos))
			return
		}
		const v = String(value)
		if (seen.has(v)) {
			note('bad_option', String(pos))
			return
		}
		seen.add(v)
		values.push(value)
		options.push({ value: v, label: isScalar(label) && String(label).trim() !== '' ? String(label) : v, helpText: str(help) })
	}
	const raw = source?.value
	if (Array.isArray(raw)) {
		const names = Array.isArray(source.names) ? source.names : []
		const walk = (list, depth) => list.forEach((o, i) => {
			const pos = i + 1
			if (o === null || o === undefined) {
				return // a nullable enum's null
			}
			if (isScalar(o)) {
				add(o, depth === 0 ? names[i] : undefined, '', pos)
			} else if (Array.isArray(o)) {
				if (o.length === 2 && isScalar(o[0]) && Array.isArray(o[1]) && depth === 0) {
					walk(o[1], depth + 1)
				} else if (o.length >= 1) {
					add(o[0], o[1], '', pos)
				} else {
					note('bad_option', String(pos))
				}
			} else if (isObject(o)) {
				const vk = VALUE_KEYS.find((k) => own(o, k) !== undefined)
				if (vk === undefined) {
					note('bad_option', String(pos))
					return
				}
				add(own(o, vk), firstString([o], LABEL_KEYS.filter((k) => k !== vk)), firstString([o], HELP_KEYS), pos)
			} else {
				note('bad_option', String(pos))
			}
		})
		walk(raw, 0)
	} else if (isObject(raw)) {
		Object.keys(raw).forEach((k, i) => {
			const l = raw[k]
			add(k, isObject(l) ? firstString([l], LABEL_KEYS) : l, isObject(l) ? firstString([l], HELP_KEYS) : '', i + 1)
		})
	} else {
		note('bad_options')
	}
	return { options, values }
}

function valueTypeOf(values) {
	const types = new Set(values.map((v) => typeof v))
	return types.size === 1 ? [...types][0] : null
}

const hintOf = (type) => {
	if (!filled(type)) {
		return null
	}
	const c = canon(type)
	return NUMBER_TYPES.has(c) ? 'number' : BOOLEAN_TYPES.has(c) ? 'boolean' : ['string', 'str', 'char', 'text', 'slug'].includes(c) ? 'string' : null
}

// --- one descriptor ---------------------------------------------------------

function rawTypeOf(raw) {
	for (const k of ['type', 'kind', 'widget', 'format']) {
		let v = own(raw, k)
		if (Array.isArray(v)) {
			v = v.find((x) => filled(x) && x.trim().toLowerCase() !== 'null')
		}
		if (filled(v)) {
			return { key: k, type: v.trim() }
		}
	}
	return { key: null, type: '' }
}

function uiHints(raw, typeKey) {
	const hints = []
	for (const ui of [own(raw, 'ui'), own(raw, 'x-ui')]) {
		if (isObject(ui) && filled(own(ui, 'widget'))) {
			hints.push(own(ui, 'widget'))
		}
	}
	if (filled(own(raw, 'ui:widget'))) {
		hints.push(own(raw, 'ui:widget'))
	}
	if (typeKey !== 'widget' && filled(own(raw, 'widget'))) {
		hints.push(own(raw, 'widget'))
	}
	return hints
}

function nestedSource(raw) {
	for (const k of ['properties', 'fields', 'children']) {
		const v = own(raw, k)
		if (isObject(v) || (Array.isArray(v) && k !== 'properties')) {
			return v
		}
	}
	return null
}

const sizeOf = (c) => (Array.isArray(c) ? c.length : isObject(c) ? Object.keys(c).length : 0)

/**
 * resolveWidget decides how a descriptor is drawn.
 *
 * @param {object} raw the (expanded) descriptor
 * @return {{widget: string|null, type: string, unknown: boolean, integer: boolean}}
 *   widget null means "not understood"; 'object'/'group' mean nested fields
 */
function resolveWidget(raw) {
	const { key, type } = rawTypeOf(raw)
	const c = filled(type) ? canon(type) : ''
	let widget = typeWidget(type)
	const hasChoices = choiceSource(raw) !== null
	const nested = nestedSource(raw)
	if (widget === null && type !== '') {
		// Another key may say what the first one does not.
		for (const k of ['kind', 'widget', 'format']) {
			if (k !== key && typeWidget(own(raw, k)) && !['object', 'field', 'group'].includes(typeWidget(own(raw, k)))) {
				widget = typeWidget(own(raw, k))
				break
			}
		}
		for (const h of widget === null ? uiHints(raw, key) : []) {
			if (typeWidget(h) && !['object', 'field', 'group'].includes(typeWidget(h))) {
				widget = typeWidget(h)
				break
			}
		}
	}
	if (type === '') {
		// No type at all: nested fields make an object, choices a select.
		widget = nested !== null ? 'object' : hasChoices ? 'select' : null
		for (const h of widget === null ? uiHints(raw, key) : []) {
			if (typeWidget(h) && !['object', 'field', 'group'].includes(typeWidget(h))) {
				widget = typeWidget(h)
				break
			}
		}
	}
	if (widget === 'text' && (c === 'string' || c === 'str') && filled(own(raw, 'format'))) {
		const f = canon(own(raw, 'format'))
		widget = Object.hasOwn(FORMATS, f) ? FORMATS[f] : widget
	}
	if (widget === 'field') {
		widget = nested !== null ? 'object' : hasChoices ? 'select' : null
	}
	if (widget === 'group') {
		widget = nested !== null ? 'object' : null
	}
	if (hasChoices && DATA_TYPES.has(c) && (widget === 'text' || widget === 'number')) {
		widget = 'select'
	}
	if (hasChoices && widget === 'tags') {
		widget = 'multiselect'
	}
	if (widget !== null && Object.hasOwn(REFINES, widget)) {
		for (const h of uiHints(raw, key)) {
			const w = typeWidget(h)
			if (w && REFINES[widget].includes(w)) {
				widget = w
				break
			}
		}
	}
	return { widget, type, unknown: widget === null, integer: INTEGER_TYPES.has(c) }
}

function itemsOf(raw) {
	const items = own(raw, 'items') ?? own(raw, 'child')
	return isObject(items) ? items : null
}

/**
 * Context of a descriptor list: ctx = {problems, unusable, names: Set, root,
 * section, depth, prefix, required: Set, readOnly, registry}.
 */
function unusableEntry(ctx, name, label, reason) {
	ctx.problems.push(reason)
	ctx.unusable.push({ name, label, reason })
}

/**
 * readEntry turns one list entry or object member into a named descriptor.
 *
 * @return {{name: string, raw: object, alias: string|null}|null} null: already reported unusable
 */
function readEntry(entry, key, pos, ctx) {
	if (key !== null && key.trim() === '') {
		unusableEntry(ctx, null, isObject(entry) ? firstString([entry], ['label', 'title', 'display_name']) : '', { code: 'field_without_name', ...(ctx.section ? { section: ctx.section } : {}), detail: String(pos) })
		return null
	}
	if (key !== null) {
		if (typeof entry === 'string') {
			return { name: key, raw: { type: entry }, alias: null }
		}
		if (!isObject(entry)) {
			unusableEntry(ctx, key, humanize(key), { code: 'bad_field', field: key })
			return null
		}
		const inner = firstString([entry], ['name', 'key'])
		return { name: key, raw: entry, alias: inner && inner !== key ? inner : null }
	}
	let raw = entry
	let name = ''
	if (typeof entry === 'string' && entry.trim() !== '') {
		const ref = ctx.registry?.take(entry)
		raw = ref ?? {}
		name = entry
	} else if (Array.isArray(entry) && entry.length === 2 && filled(entry[0]) && isObject(entry[1])) {
		raw = entry[1]
		name = entry[0]
	} else if (isObject(entry)) {
		name = firstString([entry], ['name', 'key', 'id', 'source'])
	}
	if (!isObject(raw) || name === '') {
		const label = isObject(entry) ? firstString([entry], ['label', 'title', 'display_name']) : ''
		unusableEntry(ctx, null, label, { code: 'field_without_name', ...(ctx.section ? { section: ctx.section } : {}), detail: String(pos) })
		return null
	}
	return { name, raw, alias: null }
}

/**
 * normalizeList reads a list (array) or map (object) of descriptors.
 *
 * @return {object[]} Fields
 */
function normalizeList(list, ctx) {
	const fields = []
	if (Array.isArray(list)) {
		list.forEach((entry, i) => {
			const e = readEntry(entry, null, i + 1, ctx)
			const f = e && normalizeField(e, ctx)
			if (f) {
				fields.push(f)
			}
		})
	} else if (isObject(list)) {
		Object.keys(list).forEach((k, i) => {
			const e = readEntry(list[k], k, i + 1, ctx)
			const f = e && normalizeField(e, ctx)
			if (f) {
				fields.push(f)
			}
		})
	}
	const order = (f) => f._order
	if (fields.length > 1 && fields.every((f) => order(f) !== null)) {
		fields.sort((a, b) => order(a) - order(b))
	}
	for (const f of fields) {
		delete f._order
	}
	return fields
}

/**
 * normalizeField reads one named descriptor.
 *
 * @return {object|null} a Field, or null when it went to unusable
 */
function normalizeField({ name: localName, raw: given, alias }, ctx) {
	const name = ctx.prefix + localName
	const expanded = expand(given, ctx.root)
	const raw = expanded.raw
	const label = firstString([raw], ['label', 'title', 'display_name', 'verbose_name']) || humanize(localName)
	if (RESERVED.has(localName) || splitPath(name).some((p) => RESERVED.has(p))) {
		unusableEntry(ctx, name, label, { code: 'reserved_name', field: name })
		return null
	}
	if (ctx.names.has(name)) {
		unusableEntry(ctx, name, label, { code: 'duplicate_field', field: name })
		return null
	}
	ctx.names.add(name)
	ctx.budget.n++
	const notes = []
	const note = (code, extra = {}) => {
		const p = { code, field: name, ...extra }
		notes.push(p)
		ctx.problems.push(p)
		return p
	}
	for (const n of expanded.notes) {
		note(n.code, n.type !== undefined ? { type: n.type } : {})
	}
	const uis = [own(raw, 'ui'), own(raw, 'x-ui')].filter(isObject)
	const cons = [raw, ...['constraints', 'validation', 'validators'].map((k) => own(raw, k)).filter(isObject)]
	const readOnly = ctx.readOnly || [own(raw, 'read_only'), own(raw, 'readOnly'), own(raw, 'readonly')].includes(true) || own(raw, 'editable') === false
	const required = !readOnly && (own(raw, 'required') === true || ctx.required.has(localName) || ctx.required.has(name))
	const r = resolveWidget(raw)
	const orderAt = firstOwn([...uis, raw], ['order'])
	const aliases = new Set()
	const source = own(raw, 'source')
	if (filled(source) && source !== '*' && source !== name) {
		aliases.add(source)
	}
	if (alias) {
		aliases.add(alias)
	}
	const mapsTo = own(raw, 'maps_to')
	if (filled(mapsTo)) {
		aliases.add(mapsTo)
	} else if (isObject(mapsTo) && !nestedSource(raw) && !Array.isArray(own(raw, 'fallback'))) {
		Object.values(mapsTo).filter(filled).forEach((v) => aliases.add(v))
	}
	for (const k of ['aliases', 'x-aliases']) {
		stringList(own(raw, k)).forEach((a) => aliases.add(a))
	}
	aliases.delete(name)
	const defaultAt = firstOwn([raw], ['default', 'initial', 'default_value'])
	const field = {
		name,
		path: splitPath(name),
		label,
		helpText: firstString([raw], ['help', 'help_text', 'description', 'helpText']),
		placeholder: firstString([raw, ...uis], ['placeholder']) || firstString([raw], ['ui:placeholder']),
		widget: r.widget,
		type: r.type,
		required,
		readOnly,
		options: [],
		valueType: null,
		min: null,
		max: null,
		exclusiveMin: false,
		exclusiveMax: false,
		step: null,
		maxLength: null,
		minLength: null,
		minItems: null,
		maxItems: null,
		pattern: null,
		unit: firstString([raw, ...uis], ['unit', 'x-unit', 'units']),
		decimal: false,
		rows: 4,
		width: 'full',
		defaultValue: defaultAt ? cloneJson(defaultAt.value) : null,
		aliases: [],
		unknownType: null,
		notes,
		_order: orderAt ? num(orderAt.value) : null,
	}
	const width = firstOwn([...uis, raw], ['width'])
	field.width = width && WIDTHS.includes(width.value) ? width.value : 'full'
	const rows = num(firstOwn([raw, ...uis], ['rows'])?.value)
	field.rows = rows !== null && rows >= 1 ? Math.round(rows) : 4

	// Nested fields: an object (group of dotted children) or an unknown type's fallback.
	const fallback = own(raw, 'fallback')
	if (r.widget === null && (Array.isArray(fallback) || isObject(fallback)) && sizeOf(fallback) > 0 && ctx.depth < MAX_DEPTH && ctx.budget.n < MAX_FIELDS) {
		const children = normalizeList(fallback, { ...ctx, depth: ctx.depth + 1, prefix: '', required: new Set(), readOnly, registry: null })
		if (children.length > 0) {
			note('unknown_type_fallback', { type: r.type })
			field.widget = 'group'
			field.unknownType = r.type || '?'
			field.children = children
			distributeMapsTo(field, mapsTo)
			field.aliases = [...aliases]
			return field
		}
	}
	if (r.widget === 'object') {
		const nested = nestedSource(raw)
		if (sizeOf(nested) === 0) {
			field.widget = 'json'
		} else if (ctx.depth >= MAX_DEPTH || ctx.budget.n >= MAX_FIELDS) {
			note('too_deep')
			field.widget = 'json'
		} else {
			const req = new Set(stringList(own(raw, 'required')))
			const children = normalizeList(nested, { ...ctx, depth: ctx.depth + 1, prefix: name + '.', required: req, readOnly, registry: null })
			if (children.length > 0) {
				field.widget = 'group'
				field.children = children
				distributeMapsTo(field, mapsTo)
				field.aliases = [...aliases]
				return field
			}
			note('empty_group')
			field.widget = 'json'
		}
	}
	field.aliases = [...aliases]
	if (r.widget === null) {
		const d = field.defaultValue
		field.widget = d !== null && typeof d === 'object' ? 'json' : 'text'
		field.unknownType = r.type || '?'
		note('unknown_type', { type: r.type })
	}
	readConstraints(field, raw, cons, r, note)
	if (field.widget === 'select' || field.widget === 'multiselect') {
		const src = choiceSource(raw) ?? { value: undefined, names: null }
		const { options, values } = readOptions(src, (code, detail) => note(code, detail !== undefined ? { detail } : {}))
		field.options = options
		const items = itemsOf(raw)
		const hint = field.widget === 'multiselect' && items ? hintOf(rawTypeOf(items).type) : hintOf(r.type)
		// A {value: label} object has string keys: the declared type says what they are.
		field.valueType = options.length === 0 ? null : isObject(src.value) ? (hint ?? 'string') : valueTypeOf(values)
		if (options.length === 0) {
			// A choice without choices cannot be answered: let the admin type it.
			note('select_without_options')
			field.widget = field.widget === 'select' ? 'text' : 'tags'
			field.valueType = field.widget === 'tags' ? hint : null
		}
	} else if (field.widget === 'tags') {
		const items = itemsOf(raw)
		const it = items ? resolveWidget(items) : null
		if (it && (it.widget === 'object' || it.widget === 'json' || it.widget === 'tags')) {
			field.widget = 'json' // a list of objects or lists
		} else {
			field.valueType = items ? hintOf(rawTypeOf(items).type) : null
		}
	}
	if (field.widget === 'number') {
		field.decimal = !r.integer || (field.step !== null && !Number.isInteger(field.step))
	}
	return field
}

/**
 * distributeMapsTo gives each child of a group the alias its parent's
 * maps_to documents for it ({child name: serializer name}).
 */
function distributeMapsTo(group, mapsTo) {
	if (!isObject(mapsTo)) {
		return
	}
	for (const child of group.children) {
		for (const k of [child.name, lastSegment(child.name)]) {
			const to = own(mapsTo, k)
			if (filled(to) && to !== child.name && !child.aliases.includes(to)) {
				child.aliases.push(to)
				break
			}
		}
	}
}

function readConstraints(field, raw, cons, r, note) {
	const numberAt = (keys) => {
		const at = firstOwn(cons, keys)
		if (!at || at.value === null || typeof at.value === 'boolean') {
			return null
		}
		const n = num(at.value)
		if (n === null) {
			note('bad_constraint', { type: at.key })
		}
		return n
	}
	field.min = numberAt(['min', 'minimum', 'min_value', 'minValue'])
	field.max = numberAt(['max', 'maximum', 'max_value', 'maxValue'])
	const exMin = firstOwn(cons, ['exclusive_min', 'exclusiveMinimum', 'exclusive_minimum'])
	if (exMin?.value === true) {
		field.exclusiveMin = field.min !== null
	} else if (exMin && num(exMin.value) !== null) {
		field.min = num(exMin.value)
		field.exclusiveMin = true
	}
	const exMax = firstOwn(cons, ['exclusive_max', 'exclusiveMaximum', 'exclusive_maximum'])
	if (exMax?.value === true) {
		field.exclusiveMax = field.max !== null
	} else if (exMax && num(exMax.value) !== null) {
		field.max = num(exMax.value)
		field.exclusiveMax = true
	}
	const step = numberAt(['step', 'multipleOf', 'multiple_of'])
	field.step = step !== null && step > 0 ? step : null
	const places = num(firstOwn(cons, ['decimal_places'])?.value)
	if (field.step === null && places !== null && places >= 0 && places <= 20 && Number.isInteger(places)) {
		field.step = Number((10 ** -places).toFixed(places))
	}
	const list = field.widget === 'tags' || field.widget === 'multiselect'
	const minLen = numberAt(['min_length', 'minLength', 'minlength'])
	const maxLen = numberAt(['max_length', 'maxLength', 'maxlength'])
	field.minItems = numberAt(['min_items', 'minItems']) ?? (list ? minLen : null)
	field.maxItems = numberAt(['max_items', 'maxItems']) ?? (list ? maxLen : null)
	field.minLength = list ? null : minLen
	field.maxLength = list ? null : maxLen
	const pattern = firstOwn(cons, ['pattern'])
	if (pattern && typeof pattern.value === 'string') {
		try {
			RegExp(pattern.value, 'u')
			field.pattern = pattern.value
		} catch {
			note('bad_constraint', { type: 'pattern' })
		}
	} else if (pattern && pattern.value !== null) {
		note('bad_constraint', { type: 'pattern' })
	}
}

// --- documents --------------------------------------------------------------

function readVersion(doc) {
	for (const k of ['schema_version', 'version', 'x-schema-version', 'schemaVersion']) {
		const v = own(doc, k)
		if ((typeof v === 'number' && Number.isFinite(v)) || filled(v)) {
			return String(v)
		}
	}
	return null
}

/**
 * metadataFields finds DRF OPTIONS metadata's field map (actions.POST, else PUT).
 *
 * @param {object} doc the document
 * @return {object|null}
 */
export function metadataFields(doc) {
	const actions = own(doc, 'actions')
	for (const m of ['POST', 'PUT']) {
		if (isObject(own(actions, m))) {
			return { method: m, fields: own(actions, m) }
		}
	}
	return null
}

/**
 * A registry of descriptors named elsewhere (doc.fields when sections list
 * field names): take(name) hands each out once; rest() is what no section took.
 */
function registryOf(collection) {
	const map = new Map()
	if (Array.isArray(collection)) {
		for (const e of collection) {
			const n = isObject(e) ? firstString([e], ['name', 'key', 'id', 'source']) : ''
			if (n !== '' && !map.has(n)) {
				map.set(n, e)
			}
		}
	} else if (isObject(collection)) {
		for (const k of Object.keys(collection)) {
			if (isObject(collection[k])) {
				map.set(k, { ...collection[k], name: k })
			}
		}
	}
	const taken = new Set()
	return {
		size: map.size,
		take(name) {
			if (!map.has(name) || taken.has(name)) {
				return null
			}
			taken.add(name)
			return map.get(name)
		},
		rest(collection_) {
			if (Array.isArray(collection_)) {
				return collection_.filter((e) => !(isObject(e) && taken.has(firstString([e], ['name', 'key', 'id', 'source']))))
			}
			const out = {}
			for (const k of Object.keys(collection_)) {
				if (!taken.has(k)) {
					out[k] = collection_[k]
				}
			}
			return out
		},
	}
}

/**
 * normalizeSchema reads a schema document (envelope data).
 *
 * @param {any} doc the document
 * @return {object} the Schema (see the file comment)
 */
export function normalizeSchema(doc) {
	const problems = []
	const unusable = []
	const result = { ok: false, version: null, layout: 'unknown', known: false, title: '', description: '', sections: [], unusable, problems, actions: [] }
	if (!isObject(doc)) {
		problems.push({ code: 'not_object' })
		return result
	}
	const drf = metadataFields(doc)
	const ctx = { problems, unusable, names: new Set(), root: doc, section: null, depth: 0, prefix: '', required: new Set(stringList(own(doc, 'required'))), readOnly: false, registry: null, budget: { n: 0 } }
	result.version = drf ? null : readVersion(doc)
	if (!drf) {
		if (result.version === null) {
			problems.push({ code: 'no_version' })
		} else if (!SUPPORTED_VERSIONS.includes(result.version)) {
			problems.push({ code: 'unknown_version', type: result.version })
		}
	}
	result.title = str(own(doc, 'title')) || str(own(doc, 'name'))
	result.description = str(own(doc, 'description'))
	result.actions = Array.isArray(own(doc, 'actions')) ? own(doc, 'actions') : []
	const sectionKey = ['sections', 'groups', 'fieldsets'].find((k) => Array.isArray(own(doc, k)) || isObject(own(doc, k)))
	const sectionList = sectionKey ? { key: sectionKey, value: own(doc, sectionKey) } : null
	const fields = own(doc, 'fields')
	const properties = own(doc, 'properties')
	const addSection = (id, title, description, list, extra = {}) => {
		if (!Array.isArray(list) && !isObject(list)) {
			problems.push({ code: 'fields_not_list', section: id })
			return
		}
		const f = normalizeList(list, { ...ctx, section: id, ...extra })
		result.sections.push({ id, title, description, fields: f })
	}
	if (drf) {
		result.layout = 'drf-metadata'
		addSection('fields', '', '', drf.fields)
	} else if (isObject(properties) && (typeof own(doc, '$schema') === 'string' || own(doc, 'type') === 'object' || (sectionList === null && fields === undefined))) {
		result.layout = 'json-schema'
		addSection('properties', '', '', properties)
	} else if (sectionList !== null) {
		result.layout = 'sections'
		const registryDoc = fields !== undefined ? fields : properties
		const registry = registryOf(registryDoc)
		ctx.registry = registry
		const list = sectionList.value
		const entries = Array.isArray(list) ? list.map((s, i) => [null, s, i]) : Object.keys(list).map((k, i) => [k, list[k], i])
		for (const [key, s0, i] of entries) {
			let s = s0
			if (Array.isArray(s0) && s0.length === 2 && typeof s0[0] === 'string' && isObject(s0[1])) {
				s = { title: s0[0], ...s0[1] } // Django admin's (title, {fields}) fieldset
			}
			if (!isObject(s)) {
				problems.push({ code: 'bad_section', section: key ?? String(i + 1) })
				continue
			}
			const id = firstString([s], ['id', 'key', 'name']) || key || `section-${i + 1}`
			const list_ = firstOwn([s], ['fields', 'properties', 'children'])?.value
			const req = new Set([...ctx.required, ...stringList(own(s, 'required'))])
			addSection(id, firstString([s], ['title', 'label']) || (key ?? ''), firstString([s], ['description', 'help_text', 'help']), list_, { required: req })
		}
		if (registry.size > 0) {
			const rest = registry.rest(registryDoc)
			if (sizeOf(rest) > 0) {
				addSection('fields', '', '', rest)
			}
		}
	} else if (fields !== undefined) {
		result.layout = 'fields'
		addSection('fields', '', '', fields)
	} else {
		problems.push({ code: 'no_fields' })
	}
	result.sections = result.sections.filter((s) => s.fields.length > 0)
	result.ok = result.sections.length > 0
	if (!result.ok && !problems.some((p) => p.code === 'no_fields')) {
		problems.push({ code: 'no_fields' })
	}
	result.known = result.ok && result.version !== null && SUPPORTED_VERSIONS.includes(result.version)
	return result
}

/**
 * leafFields lists the input fields of a schema (groups expanded, depth first).
 *
 * @param {object} schema a normalized schema
 * @return {object[]}
 */
export function leafFields(schema) {
	const out = []
	const walk = (list, depth) => {
		for (const f of Array.isArray(list) ? list : []) {
			if (!isObject(f)) {
				continue
			}
			if (f.widget === 'group') {
				if (depth < 16) {
					walk(f.children, depth + 1)
				}
			} else {
				out.push(f)
			}
		}
	}
	for (const s of Array.isArray(schema?.sections) ? schema.sections : []) {
		walk(s?.fields, 0)
	}
	return out
}

// --- form values --------------------------------------------------------------

const ISO_DATETIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}))?/

function textOf(v) {
	if (v === null || v === undefined) {
		return ''
	}
	if (typeof v === 'string') {
		return v
	}
	if (typeof v === 'number' || typeof v === 'boolean') {
		return String(v)
	}
	try {
		return JSON.stringify(v) ?? ''
	} catch {
		return ''
	}
}

function itemText(v) {
	return typeof v === 'string' ? v : textOf(v)
}

/**
 * formValue turns a stored value into what the field's input edits.
 *
 * @param {object} f the Field
 * @param {any} v the value (undefined/null: none)
 * @return {any}
 */
function formValue(f, v) {
	switch (f.widget) {
	case 'checkbox':
		return v === true || v === 'true'
	case 'select':
		return isScalar(v) && v !== '' ? String(v) : null
	case 'multiselect':
	case 'tags':
		if (Array.isArray(v)) {
			return v.filter((x) => x !== null && x !== undefined).map(itemText)
		}
		if (typeof v === 'string') {
			return v.split(/[,\n]/).map((s) => s.trim()).filter((s) => s !== '')
		}
		return isScalar(v) ? [String(v)] : []
	case 'json':
		if (v === null || v === undefined) {
			return ''
		}
		try {
			return JSON.stringify(v, null, 2) ?? ''
		} catch {
			return ''
		}
	case 'date':
		if (typeof v === 'string') {
			const m = ISO_DATETIME.exec(v)
			return m ? m[1] : v
		}
		return textOf(v)
	case 'datetime': {
		if (typeof v === 'string') {
			const m = ISO_DATETIME.exec(v)
			return m ? `${m[1]}T${m[2] ?? '00:00'}` : v
		}
		if (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) < 8.64e15) {
			return new Date(v).toISOString().slice(0, 16)
		}
		return textOf(v)
	}
	default:
		return textOf(v)
	}
}

/**
 * initialValues gives the form values for a new farm (defaults) or an
 * existing one (recordValue finds each field's value in the record).
 * Text-like inputs get strings, checkboxes booleans, a select its value as a
 * string (null for none), multiselect/tags arrays of strings, a JSON field
 * its value as indented JSON text, a datetime "YYYY-MM-DDTHH:MM" (the wall
 * clock as written, no time zone conversion) for <input type=datetime-local>.
 *
 * @param {object} schema a normalized schema
 * @param {object} [record] the farm being edited
 * @return {object} field name → value
 */
export function initialValues(schema, record = null) {
	const values = {}
	for (const f of leafFields(schema)) {
		if (typeof f.name !== 'string' || RESERVED.has(f.name)) {
			continue
		}
		let v = record !== null && record !== undefined ? recordValue(record, f) : undefined
		if (v === undefined) {
			v = f.defaultValue
		}
		values[f.name] = formValue(f, v)
	}
	return values
}

function typed(v, valueType) {
	if (valueType === 'number') {
		const n = num(v)
		return n !== null ? n : v
	}
	if (valueType === 'boolean') {
		return v === 'true' ? true : v === 'false' ? false : v
	}
	return v
}

/**
 * payloadValue turns a form value into the JSON value sent for the field.
 *
 * @param {object} f the Field
 * @param {any} v the form value
 * @return {any}
 */
function payloadValue(f, v) {
	switch (f.widget) {
	case 'checkbox':
		return v === true || v === 'true'
	case 'number': {
		if (typeof v === 'number') {
			return Number.isFinite(v) ? v : null
		}
		const s = textOf(v).trim()
		// A number the browser could not parse is sent as typed: the server reports it at its field.
		return s === '' ? null : (num(s) !== null ? num(s) : s)
	}
	case 'select':
		if (v === '' || v === null || v === undefined) {
			return null
		}
		return typed(isScalar(v) ? (typeof v === 'string' ? v : String(v)) : textOf(v), f.valueType)
	case 'multiselect':
	case 'tags': {
		const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[,\n]/).map((s) => s.trim()).filter((s) => s !== '') : []
		return list.filter((x) => x !== null && x !== undefined && x !== '').map((x) => typed(itemText(x), f.valueType))
	}
	case 'json': {
		if (typeof v !== 'string') {
			return v === undefined ? null : cloneJson(v)
		}
		if (v.trim() === '') {
			return null
		}
		try {
			return JSON.parse(v)
		} catch {
			return v // the server reports it at the field
		}
	}
	case 'date':
	case 'datetime': {
		const s = textOf(v).trim()
		return s === '' ? null : s
	}
	default:
		return textOf(v)
	}
}

function setPath(body, path, value) {
	let cur = body
	for (let i = 0; i < path.length; i++) {
		const k = path[i]
		if (RESERVED.has(k)) {
			return
		}
		const last = i === path.length - 1
		const there = own(cur, k)
		if (last) {
			if (there === undefined) {
				cur[k] = value
			}
			return
		}
		if (there === undefined) {
			cur[k] = {}
		} else if (!isObject(there)) {
			return // a value is already there: the first field wins
		}
		cur = cur[k]
	}
}

/**
 * toPayload turns form values into the JSON body for POST/PUT. Read-only
 * fields are left out; numbers become numbers (empty → null), checkboxes
 * booleans, selects their typed value (empty → null), multiselect/tags arrays
 * typed by valueType, JSON fields parsed JSON (text that does not parse is
 * sent as typed, so the server reports it at the field), dates null when
 * empty, text ''. A mapped schema (mapping.js) sends each field under its
 * sendAs (dotted → nested objects) and leaves out fields with sendAs null;
 * given a contract, the schema is mapped onto it first.
 *
 * @param {object} schema a normalized (possibly mapped) schema
 * @param {object} values field name → value
 * @param {object} [contract] normalizeMetadata()'s contract
 * @return {object}
 */
export function toPayload(schema, values, contract = null) {
	const s = contract ? mapToContract(schema, contract).schema : schema
	const body = {}
	const vals = isObject(values) ? values : {}
	for (const f of leafFields(s)) {
		if (f.readOnly === true || typeof f.name !== 'string') {
			continue
		}
		const target = Object.hasOwn(f, 'sendAs') ? f.sendAs : f.name
		if (typeof target !== 'string' || target === '') {
			continue
		}
		setPath(body, splitPath(target), payloadValue(f, own(vals, f.name)))
	}
	return body
}

/**
 * schemaUnderstood is the getUnderstood() predicate for schema answers: the
 * document is renderable, of a known version, and agrees with the version
 * the envelope says the data was produced under.
 *
 * @param {object} answer an ok Answer
 * @return {boolean}
 */
export function schemaUnderstood(answer) {
	const s = normalizeSchema(answer?.data)
	return s.known && (answer.schemaVersion === null || answer.schemaVersion === undefined || answer.schemaVersion === s.version)
}
