import { describe, expect, it } from 'vitest'
import { createClient } from '../src/api/client.js'
import { METADATA_PATH, SCHEMA_PATH, useFarmForm } from '../src/composables/farmSchema.js'
import metadata from './fixtures/drf-options-farms.json'
import v1 from './fixtures/schema-v1.json'
import v2 from './fixtures/schema-v2.json'

// A transport that serves the schema (cached until bypassed, like the ExApp)
// and DRF's metadata.
function server({ cached, fresh, meta = metadata }) {
	const calls = []
	const answer = (data, source, schema) => ({ status: 200, headers: {}, body: JSON.stringify({ data, error: null, source, version: { app: '1', schema, envelope: 1 }, request_id: 'r' }) })
	const send = async (method, url, { headers }) => {
		const bypass = headers['Cache-Control'] === 'no-cache'
		calls.push({ url, bypass })
		if (url.endsWith(METADATA_PATH)) {
			return meta === null
				? { status: 502, headers: {}, body: JSON.stringify({ data: null, error: { code: 'UPSTREAM_ERROR', message: 'x', status: 502 }, source: 'upstream', version: {}, request_id: 'r' }) }
				: answer(meta, 'cache', null)
		}
		const doc = bypass ? fresh : cached
		return answer(doc, bypass ? 'upstream' : 'cache', doc && doc.schema_version !== undefined ? String(doc.schema_version) : '1')
	}
	return { calls, schemaCalls: () => calls.filter((c) => c.url.endsWith(SCHEMA_PATH)), client: createClient({ baseUrl: '', send }) }
}

describe('useFarmForm', () => {
	it('loads a usable schema from the cache without a refetch and maps it onto the metadata', async () => {
		const s = server({ cached: v1, fresh: v2 })
		const f = useFarmForm(s.client)
		await f.load()
		expect(f.state).toMatchObject({ refetched: false, understood: true, from: 'schema' })
		expect(f.state.schema.version).toBe('1')
		expect(s.schemaCalls()).toHaveLength(1)
		expect(f.state.form.sections.flatMap((x) => x.fields).find((x) => x.name === 'area_ha').sendAs).toBe('area_ha')
	})

	it('takes a schema of a version it was not written for without a refetch, when it is usable', async () => {
		const v9 = { ...v1, schema_version: 9 }
		const s = server({ cached: v9, fresh: v9 })
		const f = useFarmForm(s.client)
		await f.load()
		expect(s.schemaCalls().map((c) => c.bypass)).toEqual([false])
		expect(f.state).toMatchObject({ understood: true, from: 'schema' })
	})

	it('refetches an unusable schema once bypassing the cache, then builds the form from the metadata', async () => {
		const broken = { schema_version: 1, fields: 'Unable to parse farm schema response' }
		const s = server({ cached: broken, fresh: broken })
		const f = useFarmForm(s.client)
		await f.load()
		expect(s.schemaCalls().map((c) => c.bypass)).toEqual([false, true])
		expect(f.state).toMatchObject({ refetched: true, understood: false, from: 'metadata' })
		expect(f.state.form.ok).toBe(true)
	})

	it('has no form when neither the schema nor the metadata can be used', async () => {
		const s = server({ cached: 'nonsense', fresh: 'nonsense', meta: null })
		const f = useFarmForm(s.client)
		await f.load()
		expect(f.state.form).toBe(null)
		expect(f.state.from).toBe(null)
	})

	it('converges when the data was produced under a newer schema', async () => {
		const s = server({ cached: v1, fresh: v2 })
		const f = useFarmForm(s.client)
		await f.load()
		await f.noteDataVersion('2')
		expect(f.state.schema.version).toBe('2')
		expect(f.state.dataVersion).toBe(null)
		await f.noteDataVersion('2')
		expect(s.schemaCalls().map((c) => c.bypass)).toEqual([false, true])
	})

	it('refetches only once per data version and then explains', async () => {
		const s = server({ cached: v1, fresh: v1 })
		const f = useFarmForm(s.client)
		await f.load()
		await f.noteDataVersion('2')
		await f.noteDataVersion('2')
		expect(s.schemaCalls().map((c) => c.bypass)).toEqual([false, true])
		expect(f.state.dataVersion).toBe('2')
	})
})
