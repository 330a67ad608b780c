import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { initialValues, normalizeSchema } from '../src/api/schema.js'
import SchemaForm from '../src/components/SchemaForm.vue'
import v1 from './fixtures/schema-v1.json'
import v2 from './fixtures/schema-v2.json'

function render(doc, { errors = {}, hideReadOnly = false } = {}) {
	const schema = normalizeSchema(doc)
	return mount(SchemaForm, {
		props: { schema, modelValue: initialValues(schema), errors, hideReadOnly },
		attachTo: document.body,
	})
}

const labelOf = (w, name) => w.find(`[data-field="${name}"] label`).text()

describe('SchemaForm', () => {
	it('renders every v1 field with a label tied to its input', () => {
		const w = render(v1)
		for (const name of ['name', 'owner', 'crop', 'area_ha', 'latitude', 'longitude', 'irrigated', 'notes', 'created_at']) {
			expect(w.find(`[data-field="${name}"]`).exists(), name).toBe(true)
		}
		expect(labelOf(w, 'name')).toContain('Farm name *')
		expect(labelOf(w, 'area_ha')).toContain('Area (ha) *')
		const input = w.find('#wa-field-area_ha')
		expect(input.attributes('type')).toBe('number')
		expect(w.find('label[for="wa-field-area_ha"]').exists()).toBe(true)
		expect(w.find('[data-field="notes"] textarea').exists()).toBe(true)
		expect(w.find('[data-field="created_at"] input').attributes('readonly')).toBeDefined()
		w.unmount()
	})

	it('renders v2 sections and the geo_point fallback fields without breaking', () => {
		const w = render(v2)
		expect(w.findAll('legend').map((l) => l.text())).toEqual(expect.arrayContaining(['Identity', 'Land', 'Notes', 'Location *']))
		const group = w.find('[data-field="location"][data-widget="group"]')
		expect(group.exists()).toBe(true)
		expect(group.find('[data-field="latitude"] input').exists()).toBe(true)
		expect(group.find('[data-field="longitude"] input').exists()).toBe(true)
		expect(group.text()).toContain('geo_point')
		w.unmount()
	})

	it('degrades an unknown type to a readable text input', () => {
		const w = render({ schema_version: 2, sections: [{ id: 's', title: 'S', fields: [{ name: 'boundary', label: 'Boundary', type: 'polygon', help_text: 'Draw it.' }] }] })
		const field = w.find('[data-field="boundary"]')
		expect(field.attributes('data-widget')).toBe('text')
		expect(field.find('input').attributes('type')).toBe('text')
		expect(field.find('[data-testid="field-note"]').text()).toContain('polygon')
		w.unmount()
	})

	it('renders what it can of a malformed schema', () => {
		const w = render({ schema_version: 1, fields: [null, { label: 'no name' }, { name: 'ok', label: 'OK', type: 'text' }] })
		expect(w.findAll('[data-field]').map((f) => f.attributes('data-field'))).toEqual(['ok'])
		w.unmount()
	})

	it('renders nothing (and does not throw) for a schema without fields', () => {
		const w = render('Unable to parse farm schema response')
		expect(w.findAll('fieldset')).toHaveLength(0)
		w.unmount()
	})

	it('shows DRF errors at their fields', () => {
		const w = render(v1, { errors: { area_ha: ['Ensure this value is greater than 0.'], latitude: ['This field is required.'] } })
		expect(w.find('[data-field="area_ha"]').text()).toContain('Ensure this value is greater than 0.')
		expect(w.find('[data-field="latitude"]').text()).toContain('This field is required.')
		expect(w.find('[data-field="name"]').text()).not.toContain('required.')
		w.unmount()
	})

	it('hides read-only fields for a new record', () => {
		const w = render(v1, { hideReadOnly: true })
		expect(w.find('[data-field="created_at"]').exists()).toBe(false)
		w.unmount()
	})

	it('emits the whole values object on input', async () => {
		const w = render(v1)
		await w.find('#wa-field-name').setValue('North')
		const events = w.emitted('update:modelValue')
		expect(events.at(-1)[0]).toMatchObject({ name: 'North', crop: null })
		w.unmount()
	})
})

describe('SchemaForm widgets', () => {
	const doc = {
		schema_version: 7,
		fields: [
			{ key: 'title', kind: 'string', title: 'Title' },
			{ key: 'area', kind: 'decimal', unit: 'ha', validation: { minimum: 0 } },
			{ key: 'mail', kind: 'email' },
			{ key: 'site', kind: 'url' },
			{ key: 'sown', kind: 'date' },
			{ key: 'seen_at', kind: 'datetime' },
			{ key: 'active', kind: 'toggle' },
			{ key: 'crop', kind: 'choice', choices: { wheat: 'Wheat', maize: 'Maize' } },
			{ key: 'crops', kind: 'multiple choice', choices: [['a', 'A'], ['b', 'B']] },
			{ key: 'labels', kind: 'array', items: { type: 'string' } },
			{ key: 'shape', kind: 'geojson' },
			{ key: 'notes', kind: 'textarea' },
			{ key: 'story', kind: 'markdown' },
		],
	}
	const widgets = {
		title: 'text', area: 'number', mail: 'email', site: 'url', sown: 'date', seen_at: 'datetime', active: 'checkbox',
		crop: 'select', crops: 'multiselect', labels: 'tags', shape: 'json', notes: 'textarea', story: 'text',
	}

	it('draws each kind of field with Nextcloud\'s own input for it', () => {
		const w = render(doc)
		for (const [name, widget] of Object.entries(widgets)) {
			expect(w.find(`[data-field="${name}"]`).attributes('data-widget'), name).toBe(widget)
		}
		expect(w.find('[data-field="area"] input').attributes('type')).toBe('number')
		expect(labelOf(w, 'area')).toContain('(ha)')
		expect(w.find('[data-field="mail"] input').attributes('type')).toBe('email')
		expect(w.find('[data-field="site"] input').attributes('type')).toBe('url')
		expect(w.find('[data-field="sown"] input').attributes('type')).toBe('date')
		expect(w.find('[data-field="seen_at"] input').attributes('type')).toBe('datetime-local')
		expect(w.find('[data-field="active"] input[type=checkbox]').exists()).toBe(true)
		expect(w.find('[data-field="shape"] textarea').exists()).toBe(true)
		expect(w.find('[data-field="notes"] textarea').exists()).toBe(true)
		w.unmount()
	})

	it('says beside a field what it did not understand, and only there', () => {
		const w = render(doc)
		expect(w.find('[data-field="story"] [data-testid="field-note"]').text()).toContain('markdown')
		expect(w.findAll('[data-testid="field-note"]')).toHaveLength(1)
		w.unmount()
	})

	it('gives dotted names valid, unique ids tied to their labels', () => {
		const w = render({ fields: { 'site.location.lat': { kind: 'float', display_name: 'Lat' }, 'site.location.lon': { kind: 'float', display_name: 'Lon' } } })
		const ids = w.findAll('input').map((i) => i.attributes('id'))
		expect(new Set(ids).size).toBe(2)
		for (const id of ids) {
			expect(id).toMatch(/^[A-Za-z0-9_-]+$/)
			expect(w.find(`label[for="${id}"]`).exists()).toBe(true)
		}
		w.unmount()
	})
})
