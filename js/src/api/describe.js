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
	const vars = { field: p.field ?? '?', type: p.type ?? '?', section: p.section ?? '?' }
	switch (p.code) {
	case 'unknown_type_fallback':
		return t('weather_apis', 'Field “{field}” has the type “{type}”, which this admin UI cannot edit; its fallback fields are shown instead.', vars)
	case 'unknown_type':
		return t('weather_apis', 'Field “{field}” has the unknown type “{type}” and is shown as a text input.', vars)
	case 'field_without_name':
		return t('weather_apis', 'A field without a name was left out.')
	case 'bad_options':
	case 'bad_option':
		return t('weather_apis', 'Some choices of field “{field}” are malformed and were left out.', vars)
	case 'select_without_options':
		return t('weather_apis', 'Field “{field}” is a choice without any choices and is shown as a text input.', vars)
	case 'fields_not_list':
		return t('weather_apis', 'The fields of section “{section}” are not a list and were left out.', vars)
	case 'bad_section':
		return t('weather_apis', 'Section {section} is malformed and was left out.', vars)
	case 'no_version':
		return t('weather_apis', 'The schema does not say which version it is.')
	case 'unknown_version':
		return t('weather_apis', 'The schema has version {type}; this admin UI knows versions 1 and 2.', vars)
	case 'not_object':
		return t('weather_apis', 'The schema is not a JSON object.')
	case 'no_fields':
		return t('weather_apis', 'The schema describes no fields.')
	default:
		return p.code
	}
}
