import { describe, expect, it } from 'vitest'
import { createClient } from '../src/api/client.js'
import { useFarmSchema } from '../src/composables/farmSchema.js'
import v1 from './fixtures/schema-v1.json'
import v2 from './fixtures/schema-v2.json'

// A transport that serves the schema: cached until bypassed, like the ExApp.
function server({ cached, fresh }) {
	const calls = []
	const send = async (method, url, { headers }) => {
		const bypass = headers['Cache-Control'] === 'no-cache'
		calls.push({ url, bypass })
		const doc = bypass ? fresh : cached
		return { status: 200, headers: {}, body: JSON.stringify({ data: doc, error: null, source: bypass ? 'upstream' : 'cache', version: { app: '1', schema: String(doc.schema_version), envelope: 1 }, request_id: 'r' }) }
	}
	return { calls, client: createClient({ baseUrl: '', send }) }
}

describe('useFarmSchema', () => {
	it('loads a known schema from the cache without a refetch', async () => {
		const s = server({ cached: v1, fresh: v2 })
		const sch = useFarmSchema(s.client)
		await sch.load()
		expect(sch.state).toMatchObject({ refetched: false, understood: true })
		expect(sch.state.schema.version).toBe('1')
		expect(s.calls).toHaveLength(1)
	})

	it('refetches an unknown schema version once bypassing the cache, then explains', async () => {
		const v3 = { ...v1, schema_version: 3 }
		const s = server({ cached: v3, fresh: v3 })
		const sch = useFarmSchema(s.client)
		await sch.load()
		expect(s.calls.map((c) => c.bypass)).toEqual([false, true])
		expect(sch.state).toMatchObject({ refetched: true, understood: false })
		expect(sch.state.schema.ok).toBe(true)
	})

	it('converges when the data was produced under a newer schema', async () => {
		const s = server({ cached: v1, fresh: v2 })
		const sch = useFarmSchema(s.client)
		await sch.load()
		await sch.noteDataVersion('2')
		expect(sch.state.schema.version).toBe('2')
		expect(sch.state.dataVersion).toBe(null)
		await sch.noteDataVersion('2')
		expect(s.calls.map((c) => c.bypass)).toEqual([false, true])
	})

	it('refetches only once per data version and then explains', async () => {
		const s = server({ cached: v1, fresh: v1 })
		const sch = useFarmSchema(s.client)
		await sch.load()
		await sch.noteDataVersion('2')
		await sch.noteDataVersion('2')
		expect(s.calls.map((c) => c.bypass)).toEqual([false, true])
		expect(sch.state.dataVersion).toBe('2')
	})
})
