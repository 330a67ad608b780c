// Builds the admin UI into dist/ with Nextcloud's app preset. The ExApp
// serves dist/ under /js, /css, /img and /l10n (AppAPI's proxy); the
// registered entry points are dist/js/weather_apis-main.js (an ES module)
// and dist/css/weather_apis-main.css. Chunks carry a hex content hash so
// the ExApp can cache them for a year.
import { cpSync, existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createAppConfig } from '@nextcloud/vite-config'

const here = import.meta.dirname

// copyL10n puts l10n/*.json next to the bundle (dist/l10n/), where main.js loads them from.
const copyL10n = {
	name: 'weather-apis-l10n',
	writeBundle() {
		const from = join(here, 'l10n')
		if (existsSync(from)) {
			mkdirSync(join(here, 'dist/l10n'), { recursive: true })
			cpSync(from, join(here, 'dist/l10n'), { recursive: true, filter: (src) => src === from || src.endsWith('.json') })
		}
	},
}

export default createAppConfig({ main: resolve(here, 'src/main.js') }, {
	appName: 'weather_apis',
	emptyOutputDirectory: false,
	extractLicenseInformation: false,
	config: {
		plugins: [copyL10n],
		// Chunks are found next to the entry (relative URLs), never through
		// OC.filePath: an ExApp's files live behind AppAPI's proxy.
		experimental: {
			renderBuiltUrl(filename, { hostType }) {
				return hostType === 'css' ? undefined : { relative: true }
			},
		},
		build: {
			outDir: 'dist',
			emptyOutDir: true,
			cssCodeSplit: false,
			rollupOptions: {
				output: {
					entryFileNames: 'js/weather_apis-[name].js',
					chunkFileNames: 'js/[name]-[hash].js',
					hashCharacters: 'hex',
					// Dependencies change rarely: a hashed chunk the browser keeps for a year.
					manualChunks: (id) => (id.includes('/node_modules/') ? 'vendor' : undefined),
					assetFileNames: (info) => {
						const name = info.names?.[0] ?? ''
						if (name.endsWith('.css')) {
							return 'css/weather_apis-main.css'
						}
						if (/\.(woff2?|ttf|otf)$/.test(name)) {
							return 'css/fonts/[name]-[hash][extname]'
						}
						return 'img/[name]-[hash][extname]'
					},
				},
			},
		},
	},
})
