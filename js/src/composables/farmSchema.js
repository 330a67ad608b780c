/**
 * useFarmForm loads what the farms admin is built from and keeps it in step
 * with the data:
 *
 * - the farm form schema (GET /api/v1/admin/farms/schema), in whatever layout
 *   the farm service sends (api/schema.js reads many);
 * - DRF's metadata (GET /api/v1/admin/farms/metadata, the serializer's
 *   OPTIONS answer): the write contract. Schema fields are mapped onto it
 *   (api/mapping.js); when the schema cannot be used at all, the form is built
 *   from the metadata alone.
 *
 * Rules (README "Farms admin"): a schema the UI cannot use, or whose version
 * disagrees with its envelope's version.schema, is refetched once bypassing
 * the cache, then explained; when farm data comes back produced under another
 * schema version than the form's, the schema is refetched once bypassing the
 * cache for that version, then explained.
 */
import { reactive } from 'vue'
import { mapToContract } from '../api/mapping.js'
import { normalizeMetadata, schemaFromMetadata } from '../api/metadata.js'
import { normalizeSchema } from '../api/schema.js'

export const SCHEMA_PATH = '/api/v1/admin/farms/schema'
export const METADATA_PATH = '/api/v1/admin/farms/metadata'

/**
 * usable is the getUnderstood() predicate for schema answers: the document
 * has usable fields and does not contradict the version its envelope states.
 *
 * @param {object} answer an ok Answer
 * @return {boolean}
 */
export function usable(answer) {
	const s = normalizeSchema(answer.data)
	return s.ok && (answer.schemaVersion === null || s.version === null || answer.schemaVersion === s.version)
}

/**
 * @param {object} client the API client (api/client.js)
 * @return {{state: object, load: Function, noteDataVersion: Function}}
 */
export function useFarmForm(client) {
	const state = reactive({
		loading: false,
		answer: null, // the last schema Answer
		metadataAnswer: null, // the last metadata Answer
		schema: null, // normalized schema document of the last ok answer (may be !ok)
		contract: null, // normalized metadata, or null
		form: null, // the Schema the form and the table are built from (mapped), or null
		from: null, // 'schema' | 'metadata' | null: what the form was built from
		mapping: null, // mapToContract's report, or null
		refetched: false, // the last load needed a cache-bypassing refetch
		understood: false, // the schema answer is usable and consistent
		dataVersion: null, // a data version the schema could not be brought in line with
	})
	const triedVersions = new Set()

	function build() {
		const contract = state.contract?.ok ? state.contract : null
		let base = null
		state.from = null
		if (state.schema?.ok) {
			base = state.schema
			state.from = 'schema'
		} else if (contract) {
			// DRF's metadata describes its view ("/api/v1/farms/ and …"), not the
			// form: the page explains where this form came from instead.
			base = { ...schemaFromMetadata(contract), description: '' }
			state.from = base.ok ? 'metadata' : null
			base = base.ok ? base : null
		}
		if (!base) {
			state.form = null
			state.mapping = null
			return
		}
		const m = mapToContract(base, contract)
		state.form = m.schema
		state.mapping = contract && state.from === 'schema' ? m : null
	}

	async function loadMetadata(bypassCache) {
		const a = await client.request('GET', METADATA_PATH, { bypassCache })
		state.metadataAnswer = a
		state.contract = a.ok ? normalizeMetadata(a.data) : null
	}

	async function loadSchema(bypassCache) {
		const r = bypassCache
			? { answer: await client.request('GET', SCHEMA_PATH, { bypassCache: true }), refetched: true }
			: await client.getUnderstood(SCHEMA_PATH, usable)
		state.answer = r.answer
		state.refetched = r.refetched
		state.understood = r.answer.ok && usable(r.answer)
		state.schema = r.answer.ok ? normalizeSchema(r.answer.data) : null
	}

	async function load({ bypassCache = false } = {}) {
		state.loading = true
		try {
			await Promise.all([loadSchema(bypassCache), loadMetadata(bypassCache)])
			build()
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
		const mine = state.schema?.version ?? state.answer?.schemaVersion ?? null
		if (!version || !state.schema || state.loading || mine === null || version === mine) {
			return
		}
		if (triedVersions.has(version)) {
			state.dataVersion = version
			return
		}
		triedVersions.add(version)
		await load({ bypassCache: true })
		const now = state.schema?.version ?? state.answer?.schemaVersion ?? null
		if (now !== version) {
			state.dataVersion = version
		}
	}

	return { state, load, noteDataVersion }
}
