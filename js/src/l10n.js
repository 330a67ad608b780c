/**
 * loadAppTranslations registers the UI's translations for the user's
 * language from l10n/<lang>.json, served by the ExApp next to the bundle
 * (Nextcloud's own l10n loader looks under /apps/<id>/, where an ExApp has
 * no files). English needs nothing; a missing file leaves the UI in English.
 */
import { getLanguage, register } from '@nextcloud/l10n'

/**
 * @param {object} axios the @nextcloud/axios instance
 * @param {string} baseUrl the proxy base URL
 * @return {Promise<void>}
 */
export async function loadAppTranslations(axios, baseUrl) {
	const lang = getLanguage()
	if (!lang || lang === 'en' || !/^[a-zA-Z_@-]+$/.test(lang)) {
		return
	}
	try {
		const resp = await axios.get(`${baseUrl}/l10n/${lang}.json`, { validateStatus: () => true })
		if (resp.status === 200 && resp.data && typeof resp.data.translations === 'object') {
			register('weather_apis', resp.data.translations)
		}
	} catch {
		// stay in English
	}
}
