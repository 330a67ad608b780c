/**
 * The farm table's columns: never a blank table, whatever the records and
 * the schema look like.
 *
 * tableColumns prefers the schema's fields (those the records have a value
 * for; textarea, JSON and not understood fields left out); with fewer than two of those (or
 * no schema) the columns come from the records' own keys, scalars first.
 * The id and name columns are always there when the records have them, and
 * a record with any scalar value always shows at least one of them.
 *
 *   Column = { key, label, field: Field|null, get: (record) => any, numeric }
 */
import { t } from '@nextcloud/l10n'
import { recordValue } from './mapping.js'
import { humanize, isObject, leafFields, own } from './schema.js'
import { ID_KEYS, NAME_KEYS } from './records.js'

const SCAN = 200 // records looked at to choose columns
const SUMMARY = 60
const TEXT = 120

const isScalar = (v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
const hasScalar = (v) => (typeof v === 'string' && v !== '') || typeof v === 'number' || typeof v === 'boolean'

function recordsOf(records) {
	if (Array.isArray(records)) {
		return records
	}
	for (const k of ['results', 'data', 'items']) {
		if (Array.isArray(own(records, k))) {
			return own(records, k)
		}
	}
	return []
}

function keysOf(records) {
	const keys = []
	const seen = new Set()
	for (const r of records.slice(0, SCAN)) {
		if (!isObject(r)) {
			continue
		}
		for (const k of Object.keys(r)) {
			if (!seen.has(k)) {
				seen.add(k)
				keys.push(k)
			}
		}
	}
	return keys
}

function numericColumn(records, get) {
	let any = false
	for (const r of records.slice(0, SCAN)) {
		const v = get(r)
		if (v === null || v === undefined || v === '') {
			continue
		}
		if (typeof v !== 'number') {
			return false
		}
		any = true
	}
	return any
}

/**
 * tableColumns chooses the table's columns.
 *
 * @param {object|null} schema a normalized (possibly mapped) schema
 * @param {any[]} records the farms (a DRF page {results} is accepted too)
 * @param {{max?: number}} [options] max: columns wanted (id and name are always added;
 *   a record that would show nothing adds one more)
 * @return {{columns: object[], from: 'schema'|'records'}}
 */
export function tableColumns(schema, records, { max = 6 } = {}) {
	const list = recordsOf(records)
	const scan = list.slice(0, SCAN)
	const limit = Number.isFinite(max) && max >= 1 ? Math.floor(max) : 6
	const leaves = isObject(schema) && schema.ok !== false ? leafFields(schema).filter((f) => typeof f.name === 'string') : []
	const byName = new Map(leaves.map((f) => [f.name, f]))
	const keys = keysOf(scan)
	const columns = []
	const used = new Set()
	const uniqueKey = (k) => {
		let key = k
		for (let i = 2; used.has(key); i++) {
			key = `${k}#${i}`
		}
		used.add(key)
		return key
	}
	const fieldColumn = (f) => {
		const get = (r) => recordValue(r, f)
		return { key: uniqueKey(f.name), label: typeof f.label === 'string' && f.label !== '' ? f.label : humanize(f.name), field: f, get, numeric: f.widget === 'number' || numericColumn(scan, get) }
	}
	const keyColumn = (k) => {
		const f = byName.get(k) ?? null
		const get = (r) => own(r, k)
		return { key: uniqueKey(k), label: f && typeof f.label === 'string' && f.label !== '' ? f.label : humanize(k), field: f, get, numeric: f?.widget === 'number' || numericColumn(scan, get) }
	}

	// Schema columns: fields with a value in some record.
	// (Fields whose type was not understood are left out too: their values may be anything.)
	const candidates = leaves.filter((f) => !['textarea', 'json', 'group'].includes(f.widget) && (f.unknownType === null || f.unknownType === undefined) && scan.some((r) => recordValue(r, f) !== undefined))
	const from = candidates.length >= 2 ? 'schema' : 'records'
	const idKey = ID_KEYS.find((k) => keys.includes(k)) ?? keys.find((k) => k.endsWith('_id')) ?? null
	const nameKey = NAME_KEYS.find((k) => keys.includes(k)) ?? null
	// Does a schema column already show this record key?
	const covers = (f, k) => [f.name, f.sendAs, ...(Array.isArray(f.aliases) ? f.aliases : []), Array.isArray(f.path) ? f.path[f.path.length - 1] : null].includes(k)
	let body = []
	if (from === 'schema') {
		body = candidates.map(fieldColumn)
	} else {
		const scalarKeys = keys.filter((k) => scan.every((r) => !isObject(r) || own(r, k) === undefined || own(r, k) === null || isScalar(own(r, k))))
		const nestedKeys = keys.filter((k) => !scalarKeys.includes(k))
		body = [...scalarKeys, ...nestedKeys].filter((k) => k !== idKey && k !== nameKey).map(keyColumn)
	}
	const fixed = []
	for (const k of [idKey, nameKey]) {
		if (k === null) {
			continue
		}
		const at = body.findIndex((c) => (c.field ? covers(c.field, k) : c.key === k))
		if (at >= 0) {
			fixed.push(body.splice(at, 1)[0])
		} else {
			fixed.push(keyColumn(k))
		}
	}
	columns.push(...fixed, ...body.slice(0, Math.max(0, limit - fixed.length)))
	for (const c of body.slice(Math.max(0, limit - fixed.length))) {
		used.delete(c.key)
	}

	// Never a record that shows nothing while it has something to show.
	const shows = (r) => columns.some((c) => formatCell(c.get(r), c.field) !== '—')
	for (const r of list) {
		if (shows(r)) {
			continue
		}
		if (isObject(r)) {
			const k = Object.keys(r).find((x) => hasScalar(r[x]))
			if (k !== undefined) {
				columns.push(keyColumn(k))
			}
		} else if (r !== null && r !== undefined && !columns.some((c) => c.key === '#value')) {
			columns.push(valueColumn(uniqueKey('#value')))
		}
	}
	if (columns.length === 0 && list.length > 0) {
		columns.push(valueColumn(uniqueKey('#value')))
	}
	return { columns, from }
}

function valueColumn(key) {
	return { key, label: t('weather_apis', 'Value'), field: null, get: (r) => r, numeric: false }
}

function scalarText(v) {
	if (typeof v === 'string') {
		return v
	}
	if (typeof v === 'number' || typeof v === 'boolean') {
		return String(v)
	}
	return ''
}

const withUnit = (s, unit) => (typeof unit === 'string' && unit !== '' ? (/^[°%′″']$/.test(unit) ? s + unit : `${s} ${unit}`) : s)
const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/

function shortText(s) {
	return s.length > TEXT ? s.slice(0, TEXT - 1) + '…' : s
}

function inner(v) {
	if (v === null || v === undefined || v === '') {
		return '—'
	}
	if (Array.isArray(v)) {
		return `[${v.length}]`
	}
	if (isObject(v)) {
		return '{…}'
	}
	if (typeof v === 'boolean') {
		return v ? t('weather_apis', 'Yes') : t('weather_apis', 'No')
	}
	return shortText(scalarText(v))
}

function summarize(obj) {
	const keys = Object.keys(obj)
	if (keys.length === 0) {
		return '—'
	}
	let text = '{'
	for (let i = 0; i < keys.length; i++) {
		const part = `${i > 0 ? ', ' : ''}${keys[i]}: ${inner(obj[keys[i]])}`
		if (text.length + part.length + 1 > SUMMARY) {
			return text + (i > 0 ? ', …}' : '…}')
		}
		text += part
	}
	return text + '}'
}

function scalarCell(value, field) {
	const options = Array.isArray(field?.options) ? field.options : []
	if (options.length > 0 && isScalar(value)) {
		const o = options.find((x) => x?.value === String(value))
		if (o && typeof o.label === 'string' && o.label !== '') {
			return o.label
		}
	}
	if (typeof value === 'boolean') {
		return value ? t('weather_apis', 'Yes') : t('weather_apis', 'No')
	}
	if (typeof value === 'number') {
		return withUnit(String(value), field?.unit)
	}
	if (typeof value === 'string') {
		const m = ISO.exec(value)
		if (m && field?.widget === 'date') {
			return m[1]
		}
		if (m && (!field || field.widget === 'datetime' || field.widget === 'text')) {
			const zone = m[3] === undefined ? '' : m[3] === 'Z' || /^[+-]00:?00$/.test(m[3]) ? ' UTC' : ` ${m[3]}`
			return `${m[1]} ${m[2]}${zone}`
		}
		return shortText(field?.widget === 'number' ? withUnit(value, field.unit) : value)
	}
	return '—'
}

/**
 * formatCell is a value's text in the table: '—' for none (null, '',
 * undefined, an empty list or object), a choice's label, Yes/No, a number
 * with the field's unit, an ISO date-time as "YYYY-MM-DD HH:MM UTC", a list
 * as "a, b, c +N", an object as "{k: v, …}" (at most 60 characters).
 *
 * @param {any} value the value
 * @param {object|null} [field] the Field the value belongs to
 * @return {string}
 */
export function formatCell(value, field = null) {
	const f = isObject(field) ? field : null
	if (value === null || value === undefined || value === '') {
		return '—'
	}
	if (Array.isArray(value)) {
		const items = value.filter((x) => x !== null && x !== undefined && x !== '')
		if (items.length === 0) {
			return '—'
		}
		const shown = items.slice(0, 3).map((x) => (isObject(x) || Array.isArray(x) ? inner(x) : scalarCell(x, f)))
		return shown.join(', ') + (items.length > 3 ? ` +${items.length - 3}` : '')
	}
	if (isObject(value)) {
		return summarize(value)
	}
	return scalarCell(value, f)
}
