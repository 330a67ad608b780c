/**
 * What identifies a record of an unknown layout. The farm service may rename
 * its keys; these generic rules find a record's id and display name without
 * knowing the farm model: the id is `id`, `pk`, `uuid`, else the first key
 * ending in `_id`/`Id` with a scalar value; the name is `name`, `title`,
 * `label` or `display_name`.
 */

export const ID_KEYS = ['id', 'pk', 'uuid']
export const NAME_KEYS = ['name', 'title', 'label', 'display_name']

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const scalar = (v) => typeof v === 'string' ? v !== '' : (typeof v === 'number' && Number.isFinite(v))

/**
 * idKey names the key holding the record's id, or null.
 *
 * @param {any} record a record
 * @return {string|null}
 */
export function idKey(record) {
	if (!isObject(record)) {
		return null
	}
	const exact = ID_KEYS.find((k) => scalar(record[k]))
	if (exact) {
		return exact
	}
	return Object.keys(record).find((k) => /(_id|Id)$/.test(k) && scalar(record[k])) ?? null
}

/**
 * nameKey names the key holding the record's display name, or null.
 *
 * @param {any} record a record
 * @return {string|null}
 */
export function nameKey(record) {
	if (!isObject(record)) {
		return null
	}
	return NAME_KEYS.find((k) => scalar(record[k])) ?? null
}

/**
 * recordId is the record's id (string or number), or null.
 *
 * @param {any} record a record
 * @return {string|number|null}
 */
export function recordId(record) {
	const k = idKey(record)
	return k === null ? null : record[k]
}

/**
 * recordName is the record's display name as a string, or null.
 *
 * @param {any} record a record
 * @return {string|null}
 */
export function recordName(record) {
	const k = nameKey(record)
	return k === null ? null : String(record[k])
}
