/**
 * The API client: every call to the ExApp goes through request(), which
 * returns an Answer from readAnswer() (see envelope.js) and never throws.
 * All URLs are relative to the Nextcloud origin (AppAPI's PHP proxy), so the
 * UI never talks to another host.
 */
import { networkFailure, readAnswer } from './envelope.js'

export const APP_ID = 'weather_apis'

/**
 * axiosTransport adapts @nextcloud/axios (which adds the request token) to
 * the transport contract: send(method, url, {body, headers}) resolves to
 * {status, headers, body: string} for every HTTP answer and rejects only
 * when there was no answer.
 *
 * @param {object} axios the @nextcloud/axios instance
 * @return {Function} a transport
 */
export function axiosTransport(axios) {
	return async (method, url, { body, headers }) => {
		const resp = await axios.request({
			method,
			url,
			data: body === undefined ? undefined : JSON.stringify(body),
			headers: { Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
			responseType: 'text',
			transformResponse: [(data) => data],
			validateStatus: () => true,
		})
		return { status: resp.status, headers: resp.headers, body: typeof resp.data === 'string' ? resp.data : JSON.stringify(resp.data ?? '') }
	}
}

/**
 * createClient builds the API client.
 *
 * @param {object} opts options
 * @param {string} opts.baseUrl the proxy base, e.g. generateUrl('/apps/app_api/proxy/weather_apis')
 * @param {Function} opts.send a transport (see axiosTransport)
 * @param {Function} [opts.now] the clock
 * @return {object} the client
 */
export function createClient({ baseUrl, send, now = () => new Date() }) {
	const root = baseUrl.replace(/\/+$/, '')

	/**
	 * request performs one API call.
	 *
	 * @param {string} method GET, POST, PUT or DELETE
	 * @param {string} path an API path starting with "/"
	 * @param {object} [opts] options
	 * @param {object} [opts.query] query parameters
	 * @param {any} [opts.body] a JSON body
	 * @param {boolean} [opts.bypassCache] send Cache-Control: no-cache (a fresh upstream read)
	 * @return {Promise<object>} an Answer
	 */
	async function request(method, path, { query, body, bypassCache = false } = {}) {
		let url = root + path
		const qs = new URLSearchParams(Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString()
		if (qs) {
			url += '?' + qs
		}
		const headers = bypassCache ? { 'Cache-Control': 'no-cache', Pragma: 'no-cache' } : {}
		let resp
		try {
			resp = await send(method, url, { body, headers })
		} catch (e) {
			return networkFailure(e?.message ?? String(e))
		}
		return readAnswer(resp.status, resp.headers, resp.body, now())
	}

	/**
	 * getUnderstood GETs path; when the answer is data the UI does not
	 * understand (understands(answer) is false), it refetches once bypassing
	 * the cache. The result says whether it refetched and whether the final
	 * answer is understood, so the caller can explain.
	 *
	 * @param {string} path an API path
	 * @param {Function} understands (answer) => boolean, called for ok answers
	 * @param {object} [opts] request options
	 * @return {Promise<{answer: object, refetched: boolean, understood: boolean}>}
	 */
	async function getUnderstood(path, understands, opts = {}) {
		let answer = await request('GET', path, opts)
		if (!answer.ok) {
			return { answer, refetched: false, understood: false }
		}
		if (understands(answer)) {
			return { answer, refetched: false, understood: true }
		}
		answer = await request('GET', path, { ...opts, bypassCache: true })
		return { answer, refetched: true, understood: answer.ok && understands(answer) }
	}

	return { request, getUnderstood, baseUrl: root }
}
