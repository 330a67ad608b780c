/**
 * The schema's fields mapped onto the write contract (DRF's OPTIONS metadata,
 * metadata.js): which serializer field each form field is sent as.
 *
 * The schema and the serializer are maintained by different people and drift
 * apart; a field is mapped only when the match is unambiguous, by generic
 * rules (never by known field names), tried in this order:
 *
 *   exact        the schema name is a serializer field ("location.latitude"
 *                also matches a nested serializer field's child);
 *   alias        exactly one of the names the schema documents for the field
 *                (source, maps_to, aliases, x-aliases) is a serializer field;
 *   last-segment exactly one serializer field has the name's last dotted
 *                segment as its own last segment ("location.latitude" → "latitude").
 *
 * A rule that finds two serializer fields maps nothing (ambiguous_name). A
 * serializer field claimed by two schema fields goes to the one matched by the
 * earlier rule (a writable field before a read-only one); a tie maps neither.
 *
 * Problem codes added here (see schema.js for the others), as notes of the
 * field and in the schema's problems:
 *
 *   not_in_contract        the serializer has no field for this form field: it is not sent [field]
 *   ambiguous_name         the name matches several serializer fields: not sent [field, detail: "a, b"]
 *   claimed_twice          another form field matches the same serializer field as well: neither is sent [field, type: the serializer field]
 *   claimed_by_other       a better match for the serializer field exists: this one is not sent [field, type: the serializer field, detail: the other form field]
 *   read_only_in_contract  the serializer field is read-only: the value is shown, not sent [field, type: the serializer field]
 *   missing_required       the serializer requires a field no form field maps to [field: the serializer field]
 */
import { humanize, isObject, leafFields, own, splitPath } from './schema.js'

const RULES = ['exact', 'alias', 'last-segment']
const last = (name) => {
	const p = splitPath(name)
	return p[p.length - 1]
}

/**
 * walk reads a path of own members; undefined when any step is missing.
 *
 * @param {any} record the record
 * @param {string[]} path the path
 * @return {any}
 */
function walk(record, path) {
	let cur = record
	for (const k of path) {
		if (!isObject(cur)) {
			return undefined
		}
		cur = own(cur, k)
		if (cur === undefined) {
			return undefined
		}
	}
	return cur
}

/**
 * recordValue finds a field's value in a record (an API answer's object):
 * the exact name as a key, then the field's path, its sendAs (as a key, then
 * as a path), each alias (likewise), then the last segment of its name —
 * the first one present. Only own members count (a field called
 * "constructor" finds nothing in a record without one).
 *
 * @param {any} record the record
 * @param {object} field a Field
 * @return {any} undefined when the record has no value for the field
 */
export function recordValue(record, field) {
	if (!isObject(record) || !isObject(field) || typeof field.name !== 'string') {
		return undefined
	}
	const tries = [field.name]
	const paths = [Array.isArray(field.path) ? field.path.filter((p) => typeof p === 'string') : splitPath(field.name)]
	if (typeof field.sendAs === 'string' && field.sendAs !== '') {
		tries.push(field.sendAs)
		paths.push(splitPath(field.sendAs))
	}
	for (const a of Array.isArray(field.aliases) ? field.aliases : []) {
		if (typeof a === 'string' && a !== '') {
			tries.push(a)
			paths.push(splitPath(a))
		}
	}
	const v0 = own(record, tries[0])
	if (v0 !== undefined) {
		return v0
	}
	const v1 = paths[0].length > 1 ? walk(record, paths[0]) : undefined
	if (v1 !== undefined) {
		return v1
	}
	for (let i = 1; i < tries.length; i++) {
		const v = own(record, tries[i]) ?? (paths[i].length > 1 ? walk(record, paths[i]) : undefined)
		if (v !== undefined) {
			return v
		}
	}
	return own(record, last(field.name))
}

function cloneField(f) {
	const c = { ...f, notes: Array.isArray(f.notes) ? [...f.notes] : [], aliases: Array.isArray(f.aliases) ? [...f.aliases] : [] }
	if (Array.isArray(f.children)) {
		c.children = f.children.filter(isObject).map(cloneField)
	}
	return c
}

function cloneSchema(schema) {
	const s = isObject(schema) ? schema : {}
	return {
		...s,
		sections: (Array.isArray(s.sections) ? s.sections : []).filter(isObject).map((x) => ({
			...x,
			fields: (Array.isArray(x.fields) ? x.fields : []).filter(isObject).map(cloneField),
		})),
		unusable: Array.isArray(s.unusable) ? [...s.unusable] : [],
		problems: Array.isArray(s.problems) ? [...s.problems] : [],
	}
}

/**
 * targetsOf lists the contract's field names, nested children as dotted names.
 *
 * @param {object} fields contract.fields
 * @return {Map<string, object>} name → contract field
 */
function targetsOf(fields) {
	const targets = new Map()
	const add = (map, prefix, depth, readOnly) => {
		for (const k of Object.keys(map)) {
			const cf = map[k]
			if (!isObject(cf) || k === '__proto__' || k === '' || k.includes('.')) {
				continue // (a dotted serializer name could not be told from a nested one)
			}
			// A child of a read-only nested field cannot be written either.
			const ro = readOnly || cf.readOnly === true
			targets.set(prefix + k, { ...cf, readOnly: ro })
			if (isObject(cf.children) && depth < 4) {
				add(cf.children, prefix + k + '.', depth + 1, ro)
			}
		}
	}
	add(fields, '', 0, false)
	return targets
}

function candidates(f, targets) {
	const out = {}
	out.exact = targets.has(f.name) ? [f.name] : []
	out.alias = [...new Set((Array.isArray(f.aliases) ? f.aliases : []).filter((a) => typeof a === 'string' && targets.has(a)))]
	const seg = last(f.name)
	out['last-segment'] = [...targets.keys()].filter((t) => last(t) === seg)
	return out
}

/**
 * mapToContract maps a schema's leaf fields onto the contract. Each leaf
 * field of the returned copy gains sendAs (the serializer name it is sent as,
 * or null) and mappedBy ('exact' | 'alias' | 'last-segment' | null); a field
 * mapped to a read-only serializer field becomes read-only, one mapped to a
 * required writable one required, and missing min/max/maxLength/minLength
 * come from the contract. Without a usable contract every field is sent under
 * its own name (sendAs = name, mappedBy = null). Input is not changed.
 *
 * @param {object} schema a normalized schema
 * @param {object|null} contract normalizeMetadata()'s contract
 * @return {{schema: object, mapped: object[], notAccepted: object[], missingRequired: string[]}}
 *   mapped: [{field, to, rule}]; notAccepted: [{field, reason: Problem}] (writable form fields not sent)
 */
export function mapToContract(schema, contract) {
	const out = cloneSchema(schema)
	const leaves = leafFields(out).filter((f) => typeof f.name === 'string')
	const report = { schema: out, mapped: [], notAccepted: [], missingRequired: [] }
	if (!isObject(contract) || contract.ok !== true || !isObject(contract.fields)) {
		for (const f of leaves) {
			f.sendAs = f.name
			f.mappedBy = null
		}
		return report
	}
	const targets = targetsOf(contract.fields)
	const note = (f, p) => {
		f.notes.push(p)
		out.problems.push(p)
		if (f.readOnly !== true) {
			report.notAccepted.push({ field: f.name, reason: p })
		}
	}
	// First pass: each field's unambiguous candidate, by the first rule that finds any.
	const claims = new Map() // target → [{f, rank}]
	const pending = new Map() // f → problem when no claim
	for (const f of leaves) {
		f.sendAs = null
		f.mappedBy = null
		const c = candidates(f, targets)
		const rule = RULES.find((r) => c[r].length > 0)
		if (!rule) {
			pending.set(f, { code: 'not_in_contract', field: f.name })
		} else if (c[rule].length > 1) {
			pending.set(f, { code: 'ambiguous_name', field: f.name, detail: c[rule].join(', ') })
		} else {
			const to = c[rule][0]
			const rank = RULES.indexOf(rule) * 2 + (f.readOnly === true ? 1 : 0)
			if (!claims.has(to)) {
				claims.set(to, [])
			}
			claims.get(to).push({ f, rule, rank })
		}
	}
	// Second pass: one form field per serializer field.
	for (const [to, list] of claims) {
		const best = Math.min(...list.map((x) => x.rank))
		const winners = list.filter((x) => x.rank === best)
		for (const x of list) {
			if (winners.length === 1 && x === winners[0]) {
				x.f.sendAs = to
				x.f.mappedBy = x.rule
			} else if (x.rank === best) {
				pending.set(x.f, { code: 'claimed_twice', field: x.f.name, type: to })
			} else {
				pending.set(x.f, { code: 'claimed_by_other', field: x.f.name, type: to, ...(winners.length === 1 ? { detail: winners[0].f.name } : {}) })
			}
		}
	}
	for (const f of leaves) {
		if (f.sendAs === null) {
			const p = pending.get(f)
			if (p && f.readOnly !== true) {
				note(f, p)
			}
			continue
		}
		const cf = targets.get(f.sendAs)
		report.mapped.push({ field: f.name, to: f.sendAs, rule: f.mappedBy })
		if (cf.readOnly === true) {
			if (f.readOnly !== true) {
				note(f, { code: 'read_only_in_contract', field: f.name, type: f.sendAs })
			}
			f.readOnly = true
			f.required = false
			continue
		}
		if (cf.required === true) {
			f.required = true
		}
		for (const k of ['min', 'max', 'maxLength', 'minLength']) {
			if ((f[k] === null || f[k] === undefined) && typeof cf[k] === 'number' && Number.isFinite(cf[k]) && f.widget !== 'tags' && f.widget !== 'multiselect') {
				f[k] = cf[k]
			}
		}
	}
	const sent = leaves.filter((f) => f.sendAs !== null && f.readOnly !== true).map((f) => f.sendAs)
	for (const k of Object.keys(contract.fields)) {
		const cf = contract.fields[k]
		if (!isObject(cf) || cf.required !== true || cf.readOnly === true || k === '__proto__') {
			continue
		}
		if (!sent.some((s) => s === k || s.startsWith(k + '.'))) {
			report.missingRequired.push(k)
			out.problems.push({ code: 'missing_required', field: k, detail: typeof cf.label === 'string' && cf.label !== '' ? cf.label : humanize(k) })
		}
	}
	return report
}
