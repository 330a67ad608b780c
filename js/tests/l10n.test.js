import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { extract, untranslatable } from '../scripts/l10n.mjs'

const dir = join(import.meta.dirname, '../l10n')

describe('l10n', () => {
	const ids = new Set(extract().map((e) => (e.plural ? `_${e.msgid}_::_${e.plural}_` : e.msgid)))

	it('every t()/n() call has a literal string the extractor sees', () => {
		expect(untranslatable()).toEqual([])
		expect(ids.size).toBeGreaterThan(100)
	})

	for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
		it(`${file} only translates strings the UI uses, keeping placeholders`, () => {
			const bundle = JSON.parse(readFileSync(join(dir, file), 'utf8'))
			expect(typeof bundle.pluralForm).toBe('string')
			for (const [id, text] of Object.entries(bundle.translations)) {
				expect(ids.has(id), `stale translation: ${id}`).toBe(true)
				const source = id.startsWith('_') && id.includes('_::_') ? id.slice(1).split('_::_')[0] : id
				const want = [...new Set(source.match(/\{\w+\}|%n/g) ?? [])].sort()
				for (const variant of [text].flat()) {
					expect([...new Set(variant.match(/\{\w+\}|%n/g) ?? [])].sort(), id).toEqual(want)
				}
			}
		})
	}

	it('de.json translates every string the UI uses', () => {
		const { translations } = JSON.parse(readFileSync(join(dir, 'de.json'), 'utf8'))
		const missing = []
		for (const e of extract()) {
			const id = e.plural ? `_${e.msgid}_::_${e.plural}_` : e.msgid
			const text = translations[id]
			const ok = e.plural
				? Array.isArray(text) && text.length === 2 && text.every((v) => typeof v === 'string' && v.trim() !== '')
				: typeof text === 'string' && text.trim() !== ''
			if (!ok) {
				missing.push(`${id} (${e.refs[0]})`)
			}
		}
		expect(missing, 'untranslated in de.json').toEqual([])
	})
})
