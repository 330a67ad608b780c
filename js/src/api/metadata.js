/**
 * DRF's OPTIONS metadata (SimpleMetadata), read defensively: the farm
 * serializer's write contract (GET /api/v1/admin/farms/metadata).
 *
 *   { name, description, renders, parses,
 *     actions: { POST: { <field>: { type, required, read_only, label,
 *       help_text, max_length, min_length, min_value, max_value,
 *       choices: [{value, display_name}], child: {…}, children: {<field>: {…}} } } } }
 *
 * normalizeMetadata gives the Contract of js/form-model.md:
 *
 *   { ok, name, description, method: 'POST'|'PUT'|null,
 *     fields: { [serializer name]: { name, type, required, readOnly, label, helpText,
 *       maxLength, minLength, min, max, choices: [{value, label}], child, children } },
 *     problems }
 *
 * child is the contract field of a list's items (or null), children the
 * nested serializer's fields (or null). Problem codes: not_object, no_actions
 * (neither actions.POST nor actions.PUT is an object), bad_field [field] (a
 * member that is not a descriptor; left out), reserved_name [field], bad_option
 * [field, detail], no_fields.
 */
import { humanize, isObject, normalizeSchema, num, own, readOptions } from './schema.js'

const MAX_DEPTH = 4
const str = (v) => (typeof v === 'string' ? v : '')

function readField(name, raw, problems, depth) {
	const min = num(own(raw, 'min_value') ?? own(raw, 'min'))
	const max = num(own(raw, 'max_value') ?? own(raw, 'max'))
	const choicesRaw = own(raw, 'choices')
	let choices = []
	if (choicesRaw !== undefined && choicesRaw !== null) {
		const { options, values } = readOptions({ value: choicesRaw, names: null }, (code, detail) => problems.push({ code, field: name, ...(detail !== undefined ? { detail } : {}) }))
		choices = options.map((o, i) => ({ value: Array.isArray(choicesRaw) ? values[i] : o.value, label: o.label }))
	}
	const field = {
		name,
		type: str(own(raw, 'type')),
		required: own(raw, 'required') === true,
		readOnly: own(raw, 'read_only') === true || own(raw, 'readOnly') === true,
		label: str(own(raw, 'label')) || humanize(name),
		helpText: str(own(raw, 'help_text')) || str(own(raw, 'description')),
		maxLength: num(own(raw, 'max_length')),
		minLength: num(own(raw, 'min_length')),
		min,
		max,
		choices,
		child: null,
		children: null,
	}
	const child = own(raw, 'child')
	if (isObject(child) && depth < MAX_DEPTH) {
		field.child = readField(name, child, problems, depth + 1)
	}
	const children = own(raw, 'children')
	if (isObject(children) && depth < MAX_DEPTH) {
		field.children = readFields(children, problems, depth + 1, name + '.')
	}
	return field
}

function readFields(map, problems, depth, prefix = '') {
	const fields = {}
	for (const k of Object.keys(map)) {
		if (k === '__proto__') {
			problems.push({ code: 'reserved_name', field: prefix + k })
			continue
		}
		if (!isObject(map[k])) {
			problems.push({ code: 'bad_field', field: prefix + k })
			continue
		}
		fields[k] = readField(k, map[k], problems, depth)
	}
	return fields
}

/**
 * normalizeMetadata reads an OPTIONS answer (actions.POST, else actions.PUT).
 *
 * @param {any} doc the metadata document
 * @return {object} the Contract (see the file comment)
 */
export function normalizeMetadata(doc) {
	const problems = []
	const contract = { ok: false, name: '', description: '', method: null, fields: {}, problems }
	if (!isObject(doc)) {
		problems.push({ code: 'not_object' })
		return contract
	}
	contract.name = str(own(doc, 'name'))
	contract.description = str(own(doc, 'description'))
	const actions = own(doc, 'actions')
	contract.method = ['POST', 'PUT'].find((m) => isObject(own(actions, m))) ?? null
	if (contract.method === null) {
		problems.push({ code: 'no_actions' })
		return contract
	}
	contract.fields = readFields(own(actions, contract.method), problems, 0)
	contract.ok = Object.keys(contract.fields).length > 0
	if (!contract.ok) {
		problems.push({ code: 'no_fields' })
	}
	return contract
}

function descriptorOf(cf, depth) {
	const d = {
		type: cf.type,
		required: cf.required === true,
		read_only: cf.readOnly === true,
		label: cf.label,
		help_text: cf.helpText,
	}
	for (const [from, to] of [['maxLength', 'max_length'], ['minLength', 'min_length'], ['min', 'min_value'], ['max', 'max_value']]) {
		if (typeof cf[from] === 'number') {
			d[to] = cf[from]
		}
	}
	if (Array.isArray(cf.choices) && (cf.choices.length > 0 || cf.type === 'choice' || cf.type === 'multiple choice')) {
		d.choices = cf.choices.map((c) => ({ value: c?.value, display_name: c?.label }))
	}
	if (isObject(cf.child) && depth < MAX_DEPTH) {
		d.child = descriptorOf(cf.child, depth + 1)
	}
	if (isObject(cf.children) && depth < MAX_DEPTH) {
		d.children = {}
		for (const k of Object.keys(cf.children)) {
			if (isObject(cf.children[k]) && k !== '__proto__') {
				d.children[k] = descriptorOf(cf.children[k], depth + 1)
			}
		}
	}
	return d
}

/**
 * schemaFromMetadata builds a form from the contract alone (when the schema
 * cannot be used): layout 'drf-metadata', version null, writable and read-only
 * fields, the same normaliser as for schema documents.
 *
 * @param {object} contract normalizeMetadata()'s contract
 * @return {object} a Schema
 */
export function schemaFromMetadata(contract) {
	const fields = {}
	if (isObject(contract) && isObject(contract.fields)) {
		for (const k of Object.keys(contract.fields)) {
			if (isObject(contract.fields[k]) && k !== '__proto__') {
				fields[k] = descriptorOf(contract.fields[k], 0)
			}
		}
	}
	const method = isObject(contract) && (contract.method === 'PUT' || contract.method === 'POST') ? contract.method : 'POST'
	return normalizeSchema({
		name: isObject(contract) ? str(contract.name) : '',
		description: isObject(contract) ? str(contract.description) : '',
		actions: { [method]: fields },
	})
}
