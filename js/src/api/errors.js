/**
 * placeErrors puts DRF's field errors where the admin sees them. DRF keys its
 * errors by the serializer's field names; the form shows the schema's fields,
 * which may carry other names (api/mapping.js records the serializer name as
 * field.sendAs). An error is placed at the leaf or group whose sendAs, name or
 * last sendAs segment equals its key; every other error is listed in general
 * as "key: message", never dropped.
 *
 * @param {object} schema a (mapped) form model, see api/schema.js
 * @param {{fields: Object<string, string[]>, general: string[]}} fe from envelope.js fieldErrors()
 * @return {{fields: Object<string, string[]>, general: string[]}} errors keyed by form field name
 */
export function placeErrors(schema, fe) {
	const targets = new Map()
	const claim = (key, name) => {
		if (typeof key === 'string' && key !== '' && !targets.has(key)) {
			targets.set(key, name)
		}
	}
	const walk = (fields) => {
		for (const f of Array.isArray(fields) ? fields : []) {
			claim(f.sendAs, f.name)
			claim(f.name, f.name)
			if (typeof f.sendAs === 'string' && f.sendAs.includes('.')) {
				claim(f.sendAs.slice(0, f.sendAs.indexOf('.')), f.name)
			}
			if (f.widget === 'group') {
				walk(f.children)
			}
		}
	}
	for (const s of Array.isArray(schema?.sections) ? schema.sections : []) {
		walk(s.fields)
	}
	const out = { fields: {}, general: [...(fe?.general ?? [])] }
	for (const [key, messages] of Object.entries(fe?.fields ?? {})) {
		const name = targets.get(key)
		if (name !== undefined) {
			out.fields[name] = [...(out.fields[name] ?? []), ...messages]
		} else {
			out.general.push(...messages.map((m) => `${key}: ${m}`))
		}
	}
	return out
}
