import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import CredentialsPage from '../src/pages/CredentialsPage.vue'
import { confirmButton, fakeApi, settle } from './helpers/fakeApi.js'

function page(routes = {}) {
	const store = [{ id: 'c1', name: 'pipeline', type: 'api_key', scopes: ['farms:state:read'], created_at: new Date().toISOString() }]
	const api = fakeApi({
		'GET /api/v1/admin/credentials': () => ({ data: store, source: 'local' }),
		'POST /api/v1/admin/credentials': (req) => {
			if (!req.body.name.match(/^[a-z-]+$/)) {
				return { status: 400, error: { code: 'VALIDATION_FAILED', message: 'invalid', status: 400, details: { name: ['Use lowercase letters.'] } }, source: 'local' }
			}
			store.push({ id: 'c2', name: req.body.name, type: req.body.type, scopes: req.body.scopes })
			return { status: 201, data: { id: 'c2', name: req.body.name, secret: 'wa_secret_shown_once' }, source: 'local' }
		},
		'DELETE /api/v1/admin/credentials/*': (req) => {
			store.splice(store.findIndex((c) => req.path.endsWith(c.id)), 1)
			return { data: { revoked: true }, source: 'local' }
		},
		...routes,
	})
	const w = mount(CredentialsPage, { global: { provide: { client: api.client } }, attachTo: document.body })
	return { api, w }
}

let w
afterEach(() => { w?.unmount(); document.body.innerHTML = '' })

describe('CredentialsPage', () => {
	it('lists credentials and creates one, showing the secret once', async () => {
		let api;
		({ api, w } = page())
		await settle()
		expect(w.find('[data-testid=credentials]').text()).toContain('pipeline')
		await w.find('input[type=text]').setValue('ndvi-sync')
		await w.find('form').trigger('submit')
		await settle()
		const post = api.calls.find((c) => c.method === 'POST')
		expect(post.body).toMatchObject({ name: 'ndvi-sync', type: 'api_key', scopes: ['farms:state:read'] })
		expect(w.find('[data-testid=secret-once]').html() + [...document.querySelectorAll('input')].map((i) => i.value).join(' ')).toContain('wa_secret_shown_once')
		expect(w.find('[data-testid=credentials]').text()).toContain('ndvi-sync')
	})

	it('shows a field error at the name field', async () => {
		({ w } = page())
		await settle()
		await w.find('input[type=text]').setValue('Bad Name')
		await w.find('form').trigger('submit')
		await settle()
		expect(w.text()).toContain('Use lowercase letters.')
	})

	it('revokes only after the confirmation', async () => {
		let api;
		({ api, w } = page())
		await settle()
		await w.find('[data-testid=credentials] tbody button').trigger('click')
		await settle()
		expect(api.calls.some((c) => c.method === 'DELETE')).toBe(false)
		confirmButton('Revoke').click()
		await settle()
		expect(api.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/v1/admin/credentials/c1'])
		expect(w.text()).toContain('was revoked')
	})

	it('shows NOT_IMPLEMENTED as a warning, not a crash', async () => {
		({ w } = page({ 'GET /api/v1/admin/credentials': () => ({ status: 501, error: { code: 'NOT_IMPLEMENTED', message: 'no store', status: 501 }, source: 'local' }) }))
		await settle()
		expect(w.find('.wa-answer-note[data-code=NOT_IMPLEMENTED]').exists()).toBe(true)
	})
})
