/**
 * The farm form schema, read defensively (GET /api/v1/admin/farms/schema).
 *
 * normalizeSchema accepts both shapes of the DRF demo (v1: {schema_version,
 * fields}; v2: {schema_version, sections:[{id,title,description,fields}]})
 * and anything else without throwing. The result is what the renderer
 * (SchemaForm.vue) draws:
 *
 *   { ok, version, known, title, description, sections: [{id, title, description, fields}], problems }
 *
 * A field is {name, label, widget, required, readOnly, helpText, placeholder,
 * options, min, max, step, unit, rows, maxLength, width, defaultValue,
 * unknownType} with widget one of WIDGETS, or a group {name, label, widget:
 * 'group', unknownType, helpText, children} for an unknown type that names
 * fallback fields (v2's geo_point → latitude + longitude). An unknown type
 * without a fallback becomes a plain text input. problems lists what was
 * degraded or dropped, as {code, field?, type?, section?} for the UI to explain.
 */

export const SUPPORTED_VERSIONS = ['1', '2']

export const WIDGETS = ['text', 'textarea', 'number', 'select', 'checkbox', 'date', 'email', 'url', 'tel']

const TYPE_TO_WIDGET = {
	text: 'text', string: 'text', char: 'text', slug: 'text',
	textarea: 'textarea', longtext: 'textarea',
	number: 'number', integer: 'number', int: 'number', float: 'number', decimal: 'number',
	select: 'select', choice: 'select', enum: 'select',
	checkbox: 'checkbox', boolean: 'checkbox', bool: 'checkbox',
	date: 'date', email: 'email', url: 'url', tel: 'tel',
}

const WIDTHS = ['full', 'half', 'third']

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const str = (v) => (typeof v === 'string' ? v : '')
const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null)

function normalizeOptions(raw, name, problems) {
	if (!Array.isArray(raw)) {
		if (raw !== undefined) {
			problems.push({ code: 'bad_options', field: name })
		}
		return []
	}
	const out = []
	for (const o of raw) {
		if (typeof o === 'string' || typeof o === 'number') {
			out.push({ value: String(o), label: String(o), helpText: '' })
		} else if (isObject(o) && (typeof o.value === 'string' || typeof o.value === 'number')) {
			out.push({ value: String(o.value), label: str(o.label) || String(o.value), helpText: str(o.help_text) })
		} else {
			problems.push({ code: 'bad_option', field: name })
		}
	}
	return out
}

function normalizeField(raw, problems, depth = 0) {
	if (!isObject(raw) || typeof raw.name !== 'string' || raw.name.trim() === '') {
		problems.push({ code: 'field_without_name' })
		return null
	}
	const name = raw.name
	const type = typeof raw.type === 'string' ? raw.type : ''
	const ui = isObject(raw.ui) ? raw.ui : {}
	const common = {
		name,
		label: str(raw.label) || name,
		required: raw.required === true,
		readOnly: raw.read_only === true,
		helpText: str(raw.help_text),
		width: WIDTHS.includes(ui.width) ? ui.width : 'full',
		unknownType: null,
	}
	let widget = TYPE_TO_WIDGET[type.toLowerCase()]
	if (!widget) {
		if (Array.isArray(raw.fallback) && raw.fallback.length > 0 && depth === 0) {
			const children = raw.fallback.map((f) => normalizeField(f, problems, depth + 1)).filter(Boolean)
			if (children.length > 0) {
				problems.push({ code: 'unknown_type_fallback', field: name, type })
				return { ...common, widget: 'group', unknownType: type || '?', children }
			}
		}
		problems.push({ code: 'unknown_type', field: name, type })
		widget = 'text'
		common.unknownType = type || '?'
	}
	const field = {
		...common,
		widget,
		placeholder: str(raw.placeholder),
		options: widget === 'select' ? normalizeOptions(raw.options, name, problems) : [],
		min: num(raw.min),
		max: num(raw.max),
		step: num(raw.step),
		unit: str(raw.unit),
		rows: num(raw.rows) ?? 4,
		maxLength: num(raw.max_length),
		defaultValue: raw.default === undefined ? null : raw.default,
	}
	if (widget === 'select' && field.options.length === 0) {
		// A choice without choices cannot be answered: let the admin type it.
		problems.push({ code: 'select_without_options', field: name })
		field.widget = 'text'
	}
	return field
}

function normalizeFields(raw, problems, section) {
	if (!Array.isArray(raw)) {
		problems.push({ code: 'fields_not_list', section })
		return []
	}
	return raw.map((f) => normalizeField(f, problems)).filter(Boolean)
}

/**
 * normalizeSchema reads a schema document (envelope data).
 *
 * @param {any} doc the document
 * @return {object} the normalized schema (see the file comment)
 */
export function normalizeSchema(doc) {
	const problems = []
	const result = { ok: false, version: null, known: false, title: '', description: '', sections: [], problems }
	if (!isObject(doc)) {
		problems.push({ code: 'not_object' })
		return result
	}
	const v = doc.schema_version
	result.version = (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '') ? String(v) : null
	if (result.version === null) {
		problems.push({ code: 'no_version' })
	} else if (!SUPPORTED_VERSIONS.includes(result.version)) {
		problems.push({ code: 'unknown_version', type: result.version })
	}
	result.title = str(doc.title)
	result.description = str(doc.description)
	if (Array.isArray(doc.sections)) {
		doc.sections.forEach((s, i) => {
			if (!isObject(s)) {
				problems.push({ code: 'bad_section', section: String(i + 1) })
				return
			}
			const id = str(s.id) || `section-${i + 1}`
			result.sections.push({ id, title: str(s.title), description: str(s.description), fields: normalizeFields(s.fields, problems, id) })
		})
	} else if (doc.fields !== undefined) {
		result.sections.push({ id: 'fields', title: '', description: '', fields: normalizeFields(doc.fields, problems, 'fields') })
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
 * leafFields lists the input fields of a schema (groups expanded).
 *
 * @param {object} schema a normalized schema
 * @return {object[]}
 */
export function leafFields(schema) {
	return schema.sections.flatMap((s) => s.fields.flatMap((f) => (f.widget === 'group' ? f.children : [f])))
}

/**
 * initialValues gives the form values for a new farm (defaults) or an existing one.
 *
 * @param {object} schema a normalized schema
 * @param {object} [record] the farm being edited
 * @return {object} field name → value (strings for text-like inputs)
 */
export function initialValues(schema, record = null) {
	const values = {}
	for (const f of leafFields(schema)) {
		const v = record && record[f.name] !== undefined ? record[f.name] : f.defaultValue
		if (f.widget === 'checkbox') {
			values[f.name] = v === true
		} else if (f.widget === 'select') {
			values[f.name] = v === null || v === undefined ? null : String(v)
		} else if (f.widget === 'date' && typeof v === 'string') {
			values[f.name] = v.slice(0, 10)
		} else if (v === null || v === undefined) {
			values[f.name] = ''
		} else {
			values[f.name] = typeof v === 'object' ? JSON.stringify(v) : String(v)
		}
	}
	return values
}

/**
 * toPayload turns form values into the JSON body for POST/PUT: read-only
 * fields are left out, numbers become numbers (empty → null), checkboxes
 * booleans; a number the browser could not parse is sent as typed so the
 * server reports it at its field.
 *
 * @param {object} schema a normalized schema
 * @param {object} values field name → value
 * @return {object}
 */
export function toPayload(schema, values) {
	const body = {}
	for (const f of leafFields(schema)) {
		if (f.readOnly) {
			continue
		}
		const v = values[f.name]
		if (f.widget === 'checkbox') {
			body[f.name] = v === true
		} else if (f.widget === 'number') {
			const s = v === null || v === undefined ? '' : String(v).trim()
			body[f.name] = s === '' ? null : (Number.isFinite(Number(s)) ? Number(s) : s)
		} else if (f.widget === 'select') {
			body[f.name] = v === '' || v === undefined ? null : v
		} else {
			body[f.name] = v === null || v === undefined ? '' : String(v)
		}
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
	const s = normalizeSchema(answer.data)
	return s.known && (answer.schemaVersion === null || answer.schemaVersion === s.version)
}
