/**
 * Human labels for the evidence keys the ExApp reports (GET
 * /api/v1/admin/diagnostics layers[].evidence, GET /api/v1/admin/cache
 * upstream/token counters). The raw key stays available as a tooltip, so an
 * admin can quote it to an operator or grep the logs for it.
 *
 * Keys the UI does not know (a newer ExApp, a route added to the route table)
 * are humanised ("lock_waits" → "Lock waits"), never hidden. Route-scoped keys
 * of the backend contract layer ("farm_list_drift_count") are labelled as
 * "<label of the suffix> (farm_list)".
 */
import { t } from '@nextcloud/l10n'
import { humanize } from './schema.js'

const LABELS = {
	access: () => t('weather_apis', 'Access token'),
	access_expires: () => t('weather_apis', 'Access token expires'),
	access_expires_in_s: () => t('weather_apis', 'Access token expires in (s)'),
	app_id: () => t('weather_apis', 'App ID'),
	attempts: () => t('weather_apis', 'Attempts'),
	breaker: () => t('weather_apis', 'Circuit breaker'),
	breaker_since: () => t('weather_apis', 'Circuit breaker state since'),
	bypass: () => t('weather_apis', 'Cache bypasses'),
	calls: () => t('weather_apis', 'Calls'),
	checked: () => t('weather_apis', 'Checked'),
	contract_configured: () => t('weather_apis', 'Contract configured'),
	contract_hash: () => t('weather_apis', 'Contract fingerprint'),
	contract_mode: () => t('weather_apis', 'Contract mode'),
	contract_operations: () => t('weather_apis', 'Operations in the contract'),
	contract_source: () => t('weather_apis', 'Contract source'),
	contract_violations: () => t('weather_apis', 'Contract violations'),
	drift: () => t('weather_apis', 'Shape changes (drift)'),
	drift_count: () => t('weather_apis', 'Shape changes (drift)'),
	enabled: () => t('weather_apis', 'Enabled in AppAPI'),
	envelope_version: () => t('weather_apis', 'Envelope version'),
	epoch_rotations: () => t('weather_apis', 'Cache epoch rotations'),
	error: () => t('weather_apis', 'Error'),
	error_code: () => t('weather_apis', 'Error code'),
	failing_request: () => t('weather_apis', 'Failing request'),
	failing_schema_version: () => t('weather_apis', 'Failing schema version'),
	failures: () => t('weather_apis', 'Failures'),
	fallbacks: () => t('weather_apis', 'Fallbacks to a local token'),
	farm_schema: () => t('weather_apis', 'Farm form schema'),
	farm_state_last_drift: () => t('weather_apis', 'Last NDVI state shape change'),
	fence: () => t('weather_apis', 'Token fence (refresh generation)'),
	fenced: () => t('weather_apis', 'Fenced token writes'),
	generation: () => t('weather_apis', 'Cache generation'),
	goroutines: () => t('weather_apis', 'Concurrent tasks (goroutines)'),
	heap_mb: () => t('weather_apis', 'Memory in use (MB)'),
	hits: () => t('weather_apis', 'Cache hits'),
	kind: () => t('weather_apis', 'Kind'),
	last_drift: () => t('weather_apis', 'Last shape change'),
	last_signed_request_age_s: () => t('weather_apis', 'Last signed request from Nextcloud (s ago)'),
	last_violation: () => t('weather_apis', 'Last contract violation'),
	latency_ms: () => t('weather_apis', 'Latency (ms)'),
	lock_waits: () => t('weather_apis', 'Waits for the refresh lock'),
	misses: () => t('weather_apis', 'Cache misses'),
	name: () => t('weather_apis', 'Name'),
	obtained_at: () => t('weather_apis', 'Token obtained at'),
	obtains: () => t('weather_apis', 'Tokens obtained'),
	present: () => t('weather_apis', 'Token present'),
	print: () => t('weather_apis', 'Shape fingerprint'),
	probe: () => t('weather_apis', 'Last probe'),
	refresh: () => t('weather_apis', 'Refresh token'),
	refresh_rejected: () => t('weather_apis', 'Refreshes rejected by the backend'),
	refreshes: () => t('weather_apis', 'Token refreshes'),
	rejects: () => t('weather_apis', 'Rejected calls'),
	retries: () => t('weather_apis', 'Retries'),
	route: () => t('weather_apis', 'Route'),
	schema_version: () => t('weather_apis', 'Schema version'),
	scopes: () => t('weather_apis', 'Scopes'),
	shapes_error: () => t('weather_apis', 'Shape records unreadable'),
	shared: () => t('weather_apis', 'Shared through Redis'),
	stale: () => t('weather_apis', 'Stale answers served'),
	status: () => t('weather_apis', 'HTTP status'),
	type: () => t('weather_apis', 'Type'),
	uptime_s: () => t('weather_apis', 'Uptime (s)'),
	url: () => t('weather_apis', 'URL'),
	validation_failures: () => t('weather_apis', 'Answers rejected by validation'),
	version: () => t('weather_apis', 'Version'),
}

// Suffixes of route-scoped keys, longest first so "last_drift" wins over "drift".
const SUFFIXES = Object.keys(LABELS).filter((k) => k.includes('_') || ['print', 'probe', 'drift'].includes(k)).sort((a, b) => b.length - a.length)

/**
 * evidenceLabel gives the label of an evidence key.
 *
 * @param {string} key the raw key
 * @return {string}
 */
export function evidenceLabel(key) {
	const k = String(key)
	if (LABELS[k]) {
		return LABELS[k]()
	}
	const dot = k.lastIndexOf('.')
	if (dot > 0) {
		// Flattened counters ("token.refreshes"): the inner key's label, its group in brackets.
		return t('weather_apis', '{label} ({scope})', { label: evidenceLabel(k.slice(dot + 1)), scope: k.slice(0, dot) })
	}
	for (const suffix of SUFFIXES) {
		if (k.endsWith('_' + suffix) && k.length > suffix.length + 1) {
			return t('weather_apis', '{label} ({scope})', { label: LABELS[suffix](), scope: k.slice(0, -suffix.length - 1) })
		}
	}
	return humanize(k)
}
