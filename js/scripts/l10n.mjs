// l10n.mjs lists the UI's translatable strings: every t('weather_apis', '…')
// and n('weather_apis', '…', '…', …) call in src/. `node scripts/l10n.mjs`
// writes l10n/weather_apis.pot (the template translators start from);
// tests/l10n.test.js uses extract() to keep l10n/*.json in step with src/.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(fileURLToPath(import.meta.url), '../..')
const CALL = /\b([tn])\(\s*'weather_apis'\s*,\s*'((?:[^'\\]|\\.)*)'(?:\s*,\s*'((?:[^'\\]|\\.)*)')?/g

function files(dir) {
	return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : /\.(js|vue)$/.test(e.name) ? [join(dir, e.name)] : []))
}

/**
 * extract returns [{msgid, plural?, refs: [file:line]}] in first-seen order.
 *
 * @return {object[]}
 */
export function extract() {
	const found = new Map()
	for (const f of files(join(root, 'src')).sort()) {
		const text = readFileSync(f, 'utf8')
		for (const m of text.matchAll(CALL)) {
			const unescape = (s) => s?.replace(/\\(.)/g, '$1')
			const msgid = unescape(m[2])
			const line = text.slice(0, m.index).split('\n').length
			const entry = found.get(msgid) ?? { msgid, plural: m[1] === 'n' ? unescape(m[3]) : undefined, refs: [] }
			entry.refs.push(`${relative(root, f)}:${line}`)
			found.set(msgid, entry)
		}
	}
	return [...found.values()]
}

/**
 * untranslatable finds calls whose text is not a literal (extractors miss them).
 *
 * @return {string[]} file:line of each
 */
export function untranslatable() {
	const bad = []
	for (const f of files(join(root, 'src'))) {
		const text = readFileSync(f, 'utf8')
		for (const m of text.matchAll(/\b[tn]\(\s*'weather_apis'\s*,\s*([^'\s])/g)) {
			bad.push(`${relative(root, f)}:${text.slice(0, m.index).split('\n').length}`)
		}
	}
	return bad
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const q = (s) => JSON.stringify(s)
	const pot = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', '']
	for (const e of extract()) {
		pot.push(`#: ${e.refs.join(' ')}`, `msgid ${q(e.msgid)}`)
		if (e.plural) {
			pot.push(`msgid_plural ${q(e.plural)}`, 'msgstr[0] ""', 'msgstr[1] ""', '')
		} else {
			pot.push('msgstr ""', '')
		}
	}
	writeFileSync(join(root, 'l10n/weather_apis.pot'), pot.join('\n'))
	console.log(`l10n/weather_apis.pot: ${extract().length} strings`)
}
