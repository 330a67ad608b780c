/**
 * describeAnswer turns a failed Answer (envelope.js) into what the UI shows:
 * {type: 'error'|'warning', heading, lines}. Every text goes through t().
 * An error envelope names its code, source and request id; an answer that
 * is not an envelope is described as what it is, with its HTTP status.
 */
import { t } from '@nextcloud/l10n'

/**
 * @param {object} answer a failed Answer
 * @param {string} [what] what was being done, e.g. t('weather_apis', 'Loading the farms')
 * @return {{type: string, heading: string, lines: string[], code: string|null}}
 */
export function describeAnswer(answer, what = '') {
	const heading = what ? t('weather_apis', '{what} failed', { what }) : t('weather_apis', 'The request failed')
	if (answer.kind === 'network') {
		return {
			type: 'error',
			heading,
			code: null,
			lines: [t('weather_apis', 'Nextcloud did not answer: {reason}. Check your connection and reload the page.', { reason: answer.bodyPreview || t('weather_apis', 'no details') })],
		}
	}
	if (answer.kind === 'not-envelope') {
		const lines = [t('weather_apis', 'HTTP {status}: the answer is not a weather_apis API answer ({type}). It probably comes from a proxy or from Nextcloud itself, not from the ExApp.', {
			status: answer.status,
			type: answer.contentType || t('weather_apis', 'no content type'),
		})]
		lines.push(answer.bodyPreview
			? t('weather_apis', 'It starts with: {text}', { text: answer.bodyPreview })
			: t('weather_apis', 'The answer was empty.'))
		if (answer.status === 401 || answer.status === 403) {
			lines.push(t('weather_apis', 'Your session may have expired: reload the page and log in again.'))
		} else if (answer.status >= 500 || answer.status === 404) {
			lines.push(t('weather_apis', 'Check that the ExApp is enabled and running (Administration settings → AppAPI).'))
		}
		if (answer.requestId) {
			lines.push(t('weather_apis', 'Request ID: {id}', { id: answer.requestId }))
		}
		return { type: 'error', heading, code: null, lines }
	}
	const e = answer.error ?? { code: 'UNKNOWN', message: '' }
	const lines = []
	if (e.code === 'INCONSISTENT_ANSWER') {
		lines.push(t('weather_apis', 'HTTP {status}, but the answer claims success. The ExApp or a proxy is misbehaving.', { status: answer.status }))
	} else {
		lines.push(e.message ? `${e.code}: ${e.message}` : e.code)
	}
	lines.push(t('weather_apis', 'HTTP {status} · source: {source} · request ID: {id}', {
		status: answer.status,
		source: answer.source ?? '?',
		id: answer.requestId ?? '?',
	}))
	if (e.code === 'NOT_IMPLEMENTED') {
		lines.push(t('weather_apis', 'This running version of the ExApp does not offer this feature yet.'))
	} else if (e.retryable) {
		lines.push(t('weather_apis', 'This is usually temporary: try again in a moment.'))
	}
	return { type: e.code === 'NOT_IMPLEMENTED' ? 'warning' : 'error', heading, code: e.code, lines }
}

/**
 * describeSchemaProblem explains one normalizeSchema() problem to an admin.
 *
 * @param {{code: string, field?: string, type?: string, section?: string}} p the problem
 * @return {string}
 */
export function describeSchemaProblem(p) {
	const vars = { field: p?.field ?? '?', type: p?.type ?? '?', section: p?.section ?? '?', detail: p?.detail ?? '?' }
	switch (p?.code) {
	case 'unknown_type_fallback':
		return t('weather_apis', 'Field “{field}” has the type “{type}”, which this admin UI cannot edit; its fallback fields are shown instead.', vars)
	case 'unknown_type':
		return t('weather_apis', 'Field “{field}” has the type “{type}”, which this admin UI does not know, so it is edited as plain text.', vars)
	case 'field_without_name':
		return p.detail
			? t('weather_apis', 'Field number {detail} has no name, so it cannot be shown or saved.', vars)
			: t('weather_apis', 'A field without a name was left out.')
	case 'bad_field':
		return t('weather_apis', 'The description of field “{field}” is not an object, so the field cannot be shown.', vars)
	case 'duplicate_field':
		return t('weather_apis', 'Field “{field}” is described twice; only the first description is used.', vars)
	case 'reserved_name':
		return t('weather_apis', 'Field “{field}” has a name the browser cannot hold, so it is left out.', vars)
	case 'bad_options':
	case 'bad_option':
		return t('weather_apis', 'Some choices of field “{field}” are malformed and were left out.', vars)
	case 'select_without_options':
		return t('weather_apis', 'Field “{field}” is a choice without any choices, so any value can be typed.', vars)
	case 'bad_constraint':
		return t('weather_apis', 'The rule “{type}” of field “{field}” is not valid and is not checked here; the farm service still checks it.', vars)
	case 'unresolved_ref':
		return t('weather_apis', 'Field “{field}” refers to “{type}”, which the schema does not define, so it is edited as JSON.', vars)
	case 'union_type':
		return t('weather_apis', 'Field “{field}” allows several types; the form uses the first one.', vars)
	case 'empty_group':
		return t('weather_apis', 'None of the nested fields of “{field}” can be shown, so it is edited as JSON.', vars)
	case 'too_deep':
		return t('weather_apis', 'Field “{field}” is nested too deeply to draw, so it is edited as JSON.', vars)
	case 'not_in_contract':
		return t('weather_apis', 'The farm service does not accept a field “{field}”, so its value is not sent.', vars)
	case 'ambiguous_name':
		return t('weather_apis', 'Field “{field}” matches several fields the farm service accepts ({detail}), so it is not sent.', vars)
	case 'claimed_twice':
		return t('weather_apis', 'Field “{field}” and another form field both match “{type}”, so neither is sent.', vars)
	case 'claimed_by_other':
		return t('weather_apis', 'Field “{detail}” is sent as “{type}”, so field “{field}” is not sent.', vars)
	case 'read_only_in_contract':
		return t('weather_apis', 'The farm service sets “{type}” itself, so field “{field}” is shown but not sent.', vars)
	case 'missing_required':
		return t('weather_apis', 'The farm service requires “{field}”, which the form schema does not contain; saving may fail at that field.', vars)
	case 'fields_not_list':
		return t('weather_apis', 'The fields of section “{section}” are not a list and were left out.', vars)
	case 'bad_section':
		return t('weather_apis', 'Section {section} is malformed and was left out.', vars)
	case 'no_version':
		return t('weather_apis', 'The schema does not say which version it is.')
	case 'unknown_version':
		return t('weather_apis', 'The schema has version {type}, newer than this admin UI was written for; the form is built from what the schema describes.', vars)
	case 'no_actions':
		return t('weather_apis', 'The farm service’s metadata does not describe what it accepts for a new farm.')
	case 'not_object':
		return t('weather_apis', 'The schema is not a JSON object.')
	case 'no_fields':
		return t('weather_apis', 'The schema describes no fields.')
	default:
		return t('weather_apis', 'Not understood: {code}', { code: String(p?.code ?? '?') })
	}
}

/**
 * layoutName names a schema layout (Schema.layout, api/schema.js) for the
 * farms page's "Form schema: version 3, JSON Schema" line.
 *
 * @param {string|undefined} layout the layout id
 * @return {string}
 */
export function layoutName(layout) {
	switch (layout) {
	case 'fields':
		return t('weather_apis', 'field list')
	case 'sections':
		return t('weather_apis', 'fields in sections')
	case 'json-schema':
		return t('weather_apis', 'JSON Schema')
	case 'drf-metadata':
		return t('weather_apis', 'DRF metadata')
	default:
		return t('weather_apis', 'unrecognised layout')
	}
}

const nameOf = (f) => (f && typeof f === 'object' ? String(f.name ?? '?') : String(f ?? '?'))

/**
 * describeUnusable explains a field that could not be rendered at all.
 *
 * @param {{name: string|null, label: string, reason: object}} u an entry of Schema.unusable
 * @return {string}
 */
export function describeUnusable(u) {
	const reason = u?.reason && typeof u.reason === 'object' ? describeSchemaProblem(u.reason) : String(u?.reason ?? '')
	return t('weather_apis', 'Not shown: “{field}”. {reason}', { field: u?.label || u?.name || '?', reason })
}

/**
 * describeMapping explains how the form's fields were matched to what the
 * farm service's serializer accepts (api/mapping.js): every match that is not
 * an exact name, every field that is not sent, and every required
 * serializer field the form does not have.
 *
 * @param {{mapped: object[], notAccepted: object[], missingRequired: string[]}} m the report
 * @return {string[]}
 */
export function describeMapping(m) {
	const out = []
	const mapped = Array.isArray(m?.mapped) ? m.mapped : []
	const pairs = (rule) => mapped.filter((e) => e.rule === rule).map((e) => `${nameOf(e.field)} → ${String(e.to ?? '?')}`).join(', ')
	if (pairs('last-segment')) {
		out.push(t('weather_apis', 'Sent under the farm service’s field names (the same last name part): {pairs}.', { pairs: pairs('last-segment') }))
	}
	if (pairs('alias')) {
		out.push(t('weather_apis', 'Sent under the names the schema documents for them: {pairs}.', { pairs: pairs('alias') }))
	}
	for (const e of Array.isArray(m?.notAccepted) ? m.notAccepted : []) {
		out.push(e.reason && typeof e.reason === 'object'
			? describeSchemaProblem(e.reason)
			: describeSchemaProblem({ code: 'not_in_contract', field: nameOf(e.field) }))
	}
	for (const name of Array.isArray(m?.missingRequired) ? m.missingRequired : []) {
		out.push(describeSchemaProblem({ code: 'missing_required', field: String(name) }))
	}
	return out
}
