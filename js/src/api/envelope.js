/**
 * The one defensive reader of weather_apis API answers (contract §3).
 *
 * readAnswer turns whatever came back over HTTP into an Answer. It never
 * throws, and it never reports a bare "unable to parse":
 *
 *   Answer = {
 *     ok: boolean,               // true only for an envelope with error === null and a 2xx/3xx status
 *     kind: 'data' | 'envelope-error' | 'not-envelope' | 'network',
 *     status: number,            // HTTP status, 0 when there was no answer
 *     data: any,                 // envelope.data (null unless ok)
 *     error: null | {code, message, status, retryable, details},
 *     source: string|null,       // upstream | cache | stale | local
 *     schemaVersion: string|null // envelope.version.schema
 *     appVersion: string|null,
 *     requestId: string|null,    // envelope.request_id, else the X-Request-Id header
 *     stale: boolean,            // source === 'stale' or X-Cache: STALE
 *     staleSince: Date|null,     // now - Age seconds, when stale
 *     xCache: string|null, age: number|null,
 *     contentType: string|null, bodyPreview: string, // for answers that are not envelopes
 *   }
 */

const PREVIEW = 160

/**
 * isEnvelope reports whether a parsed JSON value has the envelope shape.
 *
 * @param {any} v the parsed body
 * @return {boolean}
 */
export function isEnvelope(v) {
	if (v === null || typeof v !== 'object' || Array.isArray(v)) {
		return false
	}
	if (!('data' in v) || !('error' in v) || !('source' in v)) {
		return false
	}
	if (v.error !== null && (typeof v.error !== 'object' || typeof v.error.code !== 'string')) {
		return false
	}
	return v.version === undefined || (v.version !== null && typeof v.version === 'object')
}

/**
 * header reads one header from a Headers object, an axios header bag or a plain object.
 *
 * @param {any} headers the headers
 * @param {string} name the header name
 * @return {string|null}
 */
export function header(headers, name) {
	if (!headers) {
		return null
	}
	if (typeof headers.get === 'function') {
		const v = headers.get(name)
		if (v !== undefined && v !== null) {
			return String(v)
		}
	}
	const lower = name.toLowerCase()
	for (const key of Object.keys(headers)) {
		if (key.toLowerCase() === lower && headers[key] !== undefined && headers[key] !== null) {
			return String(headers[key])
		}
	}
	return null
}

function preview(text) {
	const flat = String(text ?? '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()
	return flat.length > PREVIEW ? flat.slice(0, PREVIEW) + '…' : flat
}

function base(status, headers) {
	const ageText = header(headers, 'Age')
	const age = ageText !== null && /^\d+$/.test(ageText.trim()) ? Number(ageText) : null
	return {
		ok: false,
		kind: 'not-envelope',
		status: Number.isInteger(status) ? status : 0,
		data: null,
		error: null,
		source: null,
		schemaVersion: null,
		appVersion: null,
		requestId: header(headers, 'X-Request-Id'),
		stale: false,
		staleSince: null,
		xCache: header(headers, 'X-Cache'),
		age,
		contentType: header(headers, 'Content-Type'),
		bodyPreview: '',
	}
}

/**
 * readAnswer classifies one HTTP answer.
 *
 * @param {number} status the HTTP status
 * @param {any} headers response headers
 * @param {string|object|null|undefined} body the raw body text (an already parsed object is accepted too)
 * @param {Date} [now] the clock, for "stale since"
 * @return {object} an Answer (see the file comment)
 */
export function readAnswer(status, headers, body, now = new Date()) {
	const a = base(status, headers)
	let parsed = body
	if (typeof body === 'string') {
		try {
			parsed = body.trim() === '' ? undefined : JSON.parse(body)
		} catch {
			parsed = undefined
		}
	}
	if (!isEnvelope(parsed)) {
		a.bodyPreview = typeof body === 'string' ? preview(body) : preview(body === undefined || body === null ? '' : JSON.stringify(body))
		return a
	}
	a.source = typeof parsed.source === 'string' ? parsed.source : null
	a.schemaVersion = parsed.version?.schema === undefined || parsed.version?.schema === null ? null : String(parsed.version.schema)
	a.appVersion = parsed.version?.app ?? null
	a.requestId = typeof parsed.request_id === 'string' && parsed.request_id !== '' ? parsed.request_id : a.requestId
	a.stale = a.source === 'stale' || (a.xCache ?? '').toUpperCase() === 'STALE'
	if (a.stale && a.age !== null) {
		a.staleSince = new Date(now.getTime() - a.age * 1000)
	}
	if (parsed.error !== null) {
		a.kind = 'envelope-error'
		a.error = {
			code: parsed.error.code,
			message: typeof parsed.error.message === 'string' ? parsed.error.message : '',
			status: Number.isInteger(parsed.error.status) ? parsed.error.status : a.status,
			retryable: parsed.error.retryable === true,
			details: parsed.error.details ?? null,
		}
		return a
	}
	if (a.status >= 400 || a.status === 0) {
		// An envelope that says "no error" on a failing status is a lie; say so.
		a.kind = 'envelope-error'
		a.error = { code: 'INCONSISTENT_ANSWER', message: '', status: a.status, retryable: false, details: null }
		return a
	}
	a.ok = true
	a.kind = 'data'
	a.data = parsed.data
	return a
}

/**
 * networkFailure is the Answer for a request that got no HTTP answer at all.
 *
 * @param {string} reason the browser's message
 * @return {object} an Answer
 */
export function networkFailure(reason) {
	const a = base(0, null)
	a.kind = 'network'
	a.bodyPreview = preview(reason)
	return a
}

/**
 * fieldErrors extracts DRF field errors ({"field": ["msg", ...]}) from a
 * VALIDATION_FAILED/BAD_REQUEST answer: {field: [messages]} plus a list of
 * messages that belong to no field (non_field_errors, detail, nested values).
 *
 * @param {object} answer an Answer
 * @return {{fields: Object<string, string[]>, general: string[]}}
 */
export function fieldErrors(answer) {
	const out = { fields: {}, general: [] }
	const details = answer?.error?.details
	if (!details || typeof details !== 'object' || Array.isArray(details)) {
		return out
	}
	for (const [key, value] of Object.entries(details)) {
		const messages = flattenMessages(value)
		if (messages.length === 0) {
			continue
		}
		if (key === 'non_field_errors' || key === 'detail' || key === '__all__') {
			out.general.push(...messages)
		} else {
			out.fields[key] = messages
		}
	}
	return out
}

function flattenMessages(value) {
	if (value === null || value === undefined) {
		return []
	}
	if (Array.isArray(value)) {
		return value.flatMap(flattenMessages)
	}
	if (typeof value === 'object') {
		return Object.entries(value).flatMap(([k, v]) => flattenMessages(v).map((m) => `${k}: ${m}`))
	}
	return [String(value)]
}
