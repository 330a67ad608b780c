/**
 * useFarmSchema loads the farm form schema and keeps it in step with the
 * data. Rules (issue 5): a schema the UI does not understand (unknown
 * version, malformed, or disagreeing with its envelope's version.schema) is
 * refetched once bypassing the cache, then explained; when farm data comes
 * back produced under another schema version than the form's, the schema is
 * refetched once bypassing the cache for that version, then explained.
 */
import { reactive } from 'vue'
import { normalizeSchema, schemaUnderstood } from '../api/schema.js'

const PATH = '/api/v1/admin/farms/schema'

/**
 * @param {object} client the API client (api/client.js)
 * @return {{state: object, load: Function, noteDataVersion: Function}}
 */
export function useFarmSchema(client) {
	const state = reactive({
		loading: false,
		answer: null, // the last schema Answer
		schema: null, // normalized schema of the last ok answer
		refetched: false, // the last load needed a cache-bypassing refetch
		understood: false,
		dataVersion: null, // a data version the schema could not be brought in line with
	})
	const triedVersions = new Set()

	async function load({ bypassCache = false } = {}) {
		state.loading = true
		try {
			const r = bypassCache
				? { answer: await client.request('GET', PATH, { bypassCache: true }), refetched: true }
				: await client.getUnderstood(PATH, schemaUnderstood)
			state.answer = r.answer
			state.refetched = r.refetched
			state.understood = r.answer.ok && schemaUnderstood(r.answer)
			if (r.answer.ok) {
				state.schema = normalizeSchema(r.answer.data)
			}
			if (state.schema && state.dataVersion === state.schema.version) {
				state.dataVersion = null
			}
		} finally {
			state.loading = false
		}
	}

	/**
	 * noteDataVersion is called with the version.schema of every farm answer.
	 *
	 * @param {string|null} version the version the data was produced under
	 * @return {Promise<void>}
	 */
	async function noteDataVersion(version) {
		if (!version || !state.schema || state.loading || version === state.schema.version) {
			return
		}
		if (triedVersions.has(version)) {
			state.dataVersion = version
			return
		}
		triedVersions.add(version)
		await load({ bypassCache: true })
		if (state.schema && state.schema.version !== version) {
			state.dataVersion = version
		}
	}

	return { state, load, noteDataVersion }
}
