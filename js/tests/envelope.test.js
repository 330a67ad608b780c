import { describe, expect, it } from 'vitest'
import { createClient } from '../src/api/client.js'
import { describeAnswer } from '../src/api/describe.js'
import { fieldErrors, header, isEnvelope, networkFailure, readAnswer } from '../src/api/envelope.js'

const env = (over = {}) => JSON.stringify({
	data: { ok: 1 },
	error: null,
	source: 'upstream',
	version: { app: '1.0.0', schema: '2', envelope: 1 },
	request_id: 'req-1',
	...over,
})
const now = new Date('2026-11-28T12:00:00Z')

describe('readAnswer', () => {
	const cases = [
		{
			name: 'success envelope',
			status: 200, headers: { 'X-Cache': 'HIT', Age: '5' }, body: env({ source: 'cache' }),
			want: { ok: true, kind: 'data', data: { ok: 1 }, source: 'cache', schemaVersion: '2', requestId: 'req-1', xCache: 'HIT', age: 5, stale: false },
		},
		{
			name: 'error envelope with DRF field details',
			status: 422, headers: {},
			body: env({ data: null, source: 'local', error: { code: 'VALIDATION_FAILED', message: 'The farm service rejected some fields.', status: 422, retryable: false, details: { area_ha: ['Ensure this value is greater than 0.'] } } }),
			want: { ok: false, kind: 'envelope-error', status: 422, source: 'local', data: null },
		},
		{
			name: 'HTML error page from a proxy',
			status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>',
			want: { ok: false, kind: 'not-envelope', status: 502, contentType: 'text/html', bodyPreview: '502 Bad Gateway nginx' },
		},
		{
			name: 'empty 500',
			status: 500, headers: {}, body: '',
			want: { ok: false, kind: 'not-envelope', status: 500, bodyPreview: '' },
		},
		{
			name: 'JSON that is not an envelope (a bare DRF answer)',
			status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"detail":"Not found."}',
			want: { ok: false, kind: 'not-envelope', status: 200, bodyPreview: '{"detail":"Not found."}' },
		},
		{
			name: 'an envelope whose error is not an object',
			status: 500, headers: {}, body: '{"data":null,"error":"boom","source":"local"}',
			want: { ok: false, kind: 'not-envelope' },
		},
		{
			name: 'a failing status with error null is not success',
			status: 503, headers: {}, body: env({ data: null }),
			want: { ok: false, kind: 'envelope-error', error: { code: 'INCONSISTENT_ANSWER', message: '', status: 503, retryable: false, details: null } },
		},
		{
			name: 'stale data carries stale since',
			status: 200, headers: { 'x-cache': 'STALE', age: '120' }, body: env({ source: 'stale' }),
			want: { ok: true, stale: true, staleSince: new Date('2026-11-28T11:58:00Z') },
		},
		{
			name: 'request id falls back to the X-Request-Id header',
			status: 502, headers: { 'X-Request-Id': 'hdr-7' }, body: 'Bad gateway',
			want: { requestId: 'hdr-7', kind: 'not-envelope' },
		},
		{
			name: 'an already parsed body is accepted',
			status: 200, headers: {}, body: JSON.parse(env()),
			want: { ok: true, data: { ok: 1 } },
		},
		{
			name: 'null version.schema stays null',
			status: 200, headers: {}, body: env({ version: { app: '1', schema: null, envelope: 1 } }),
			want: { ok: true, schemaVersion: null },
		},
	]
	for (const c of cases) {
		it(c.name, () => {
			expect(readAnswer(c.status, c.headers, c.body, now)).toMatchObject(c.want)
		})
	}

	it('never throws on odd input', () => {
		for (const body of [undefined, null, 42, '[', '[]', 'null', '"x"', '{"data":1}']) {
			expect(readAnswer(200, null, body, now).ok).toBe(false)
		}
	})

	it('reads Headers objects case-insensitively', () => {
		const h = new Headers({ 'X-Cache': 'MISS' })
		expect(header(h, 'x-cache')).toBe('MISS')
		expect(header({ 'x-cache': 'HIT' }, 'X-Cache')).toBe('HIT')
		expect(header(null, 'X-Cache')).toBe(null)
	})

	it('recognises envelopes', () => {
		expect(isEnvelope(JSON.parse(env()))).toBe(true)
		expect(isEnvelope({ data: 1, error: null })).toBe(false)
		expect(isEnvelope([])).toBe(false)
	})
})

describe('fieldErrors', () => {
	it('splits DRF details into field and general messages', () => {
		const a = readAnswer(400, {}, env({
			data: null,
			error: { code: 'VALIDATION_FAILED', message: 'x', status: 400, details: { name: ['Required.'], non_field_errors: ['Bad combination.'], crop: 'Not a choice.', tiles: [{ ndvi: ['Too big.'] }] } },
		}))
		expect(fieldErrors(a)).toEqual({
			fields: { name: ['Required.'], crop: ['Not a choice.'], tiles: ['ndvi: Too big.'] },
			general: ['Bad combination.'],
		})
	})
	it('is empty without details', () => {
		expect(fieldErrors(networkFailure('offline'))).toEqual({ fields: {}, general: [] })
	})
})

describe('describeAnswer', () => {
	it('names code, source and request id of an error envelope', () => {
		const a = readAnswer(502, {}, env({ data: null, source: 'upstream', request_id: 'abc', error: { code: 'UPSTREAM_UNAVAILABLE', message: 'The farm service did not answer.', status: 502, retryable: true } }))
		const d = describeAnswer(a, 'Loading the farms')
		expect(d.type).toBe('error')
		expect(d.heading).toBe('Loading the farms failed')
		expect(d.lines.join('\n')).toContain('UPSTREAM_UNAVAILABLE: The farm service did not answer.')
		expect(d.lines.join('\n')).toContain('HTTP 502 · source: upstream · request ID: abc')
		expect(d.lines.join('\n')).toContain('try again')
	})
	it('describes a non-envelope answer with its status, never as "unable to parse"', () => {
		const d = describeAnswer(readAnswer(502, { 'Content-Type': 'text/html' }, '<h1>Bad Gateway</h1>'))
		const text = d.lines.join('\n')
		expect(text).toContain('HTTP 502')
		expect(text).toContain('text/html')
		expect(text).toContain('Bad Gateway')
		expect(text.toLowerCase()).not.toContain('unable to parse')
	})
	it('says an empty answer was empty', () => {
		expect(describeAnswer(readAnswer(500, {}, '')).lines.join('\n')).toContain('The answer was empty.')
	})
	it('shows NOT_IMPLEMENTED as a warning', () => {
		const a = readAnswer(501, {}, env({ data: null, source: 'local', error: { code: 'NOT_IMPLEMENTED', message: 'Not available.', status: 501 } }))
		expect(describeAnswer(a).type).toBe('warning')
	})
	it('describes a network failure', () => {
		expect(describeAnswer(networkFailure('Network Error')).lines[0]).toContain('Network Error')
	})
})

describe('client', () => {
	const transport = (answers) => {
		const calls = []
		const send = async (method, url, opts) => {
			calls.push({ method, url, ...opts })
			const next = answers.shift()
			if (next instanceof Error) {
				throw next
			}
			return next
		}
		return { calls, send }
	}
	const ok = (data, schema) => ({ status: 200, headers: {}, body: env({ data, version: { app: '1', schema, envelope: 1 } }) })

	it('builds URLs under the proxy base and drops empty query values', async () => {
		const t = transport([ok({}, null)])
		const c = createClient({ baseUrl: '/index.php/apps/app_api/proxy/weather_apis/', send: t.send })
		await c.request('GET', '/api/v1/admin/farms', { query: { page: 2, search: '' } })
		expect(t.calls[0].url).toBe('/index.php/apps/app_api/proxy/weather_apis/api/v1/admin/farms?page=2')
		expect(t.calls[0].headers).toEqual({})
	})
	it('turns a transport failure into a network answer', async () => {
		const c = createClient({ baseUrl: '', send: transport([new Error('Network Error')]).send })
		expect(await c.request('GET', '/x')).toMatchObject({ ok: false, kind: 'network', status: 0 })
	})
	it('refetches once bypassing the cache when the data is not understood', async () => {
		const t = transport([ok({ v: 3 }, '3'), ok({ v: 3 }, '3')])
		const c = createClient({ baseUrl: '', send: t.send })
		const r = await c.getUnderstood('/s', (a) => a.data.v < 3)
		expect(r).toMatchObject({ refetched: true, understood: false })
		expect(t.calls).toHaveLength(2)
		expect(t.calls[1].headers['Cache-Control']).toBe('no-cache')
	})
	it('does not refetch understood data or failures', async () => {
		const t = transport([ok({ v: 1 }, '1'), { status: 500, headers: {}, body: '' }])
		const c = createClient({ baseUrl: '', send: t.send })
		expect(await c.getUnderstood('/s', () => true)).toMatchObject({ refetched: false, understood: true })
		expect(await c.getUnderstood('/s', () => true)).toMatchObject({ refetched: false, understood: false })
		expect(t.calls).toHaveLength(2)
	})
})
