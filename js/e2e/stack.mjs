// stack.mjs starts the real stack the admin UI runs against, like
// deploy/demo.sh but on free ports and in a private temporary directory
// (demo.sh shares .demo/ — and the DRF demo's database — with any other demo
// running from the same checkout): redis-server, the DRF demo (gunicorn),
// the AppAPI simulator standing in for Nextcloud, and the weather_apis
// ExApp, registered the way `occ app_api:app:register` does.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** freePort asks the kernel for an unused loopback port. */
function freePort() {
	return new Promise((resolve, reject) => {
		const s = createServer()
		s.unref()
		s.on('error', reject)
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address()
			s.close(() => resolve(port))
		})
	})
}

async function waitHttp(url, what, procs, { timeoutMs = 30000, headers = {} } = {}) {
	const deadline = Date.now() + timeoutMs
	let last = ''
	while (Date.now() < deadline) {
		for (const p of procs) {
			if (p.exitCode !== null) {
				throw new Error(`${what}: ${p.spawnargs[0]} exited with ${p.exitCode} (logs in ${p.logPath})`)
			}
		}
		try {
			const r = await fetch(url, { headers, signal: AbortSignal.timeout(2000) })
			if (r.ok) {
				return
			}
			last = `HTTP ${r.status}`
		} catch (e) {
			last = e.message
		}
		await new Promise((resolve) => setTimeout(resolve, 200))
	}
	throw new Error(`${what} did not come up at ${url} within ${timeoutMs} ms (${last})`)
}

/**
 * startStack starts everything and returns {nc, drf, dir, stop({keepLogs})};
 * stop removes the temporary directory unless keepLogs is true.
 *
 * @param {string} root the repository root (bin/, appinfo/, deploy/, js/dist)
 * @return {Promise<object>}
 */
export async function startStack(root) {
	for (const f of ['bin/weather_apis', 'bin/appapi-sim']) {
		if (!existsSync(join(root, f))) {
			throw new Error(`${f} is missing: run \`make build\` first`)
		}
	}
	if (!existsSync(join(root, 'js/dist/js/weather_apis-main.js'))) {
		throw new Error('js/dist is missing: run `npm run build` in js/ first')
	}
	const dir = mkdtempSync(join(tmpdir(), 'weather-apis-e2e-'))
	const [nc, exapp, drf, redis] = [await freePort(), await freePort(), await freePort(), await freePort()]
	const procs = []
	const start = (name, cmd, args, env = {}) => {
		const logPath = join(dir, `${name}.log`)
		const log = openSync(logPath, 'a')
		const p = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', log, log], detached: true })
		p.logPath = logPath
		procs.push(p)
		return p
	}
	const stop = async ({ keepLogs = false } = {}) => {
		for (const p of procs.reverse()) {
			if (p.exitCode === null) {
				try { process.kill(-p.pid, 'SIGTERM') } catch { /* gone */ }
			}
		}
		const deadline = Date.now() + 10000
		while (procs.some((p) => p.exitCode === null && p.signalCode === null) && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 100))
		}
		for (const p of procs) {
			if (p.exitCode === null && p.signalCode === null) {
				try { process.kill(-p.pid, 'SIGKILL') } catch { /* gone */ }
			}
		}
		if (!keepLogs) {
			rmSync(dir, { recursive: true, force: true })
		}
	}
	try {
		start('redis', 'redis-server', ['--port', String(redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', '128mb', '--maxmemory-policy', 'volatile-lru'])
		const drfProc = start('drf', './deploy/drf/run.sh', [], { DRF_DEMO_DB: join(dir, 'drf.sqlite3'), DRF_DEMO_PORT: String(drf) })
		await waitHttp(`http://127.0.0.1:${drf}/__demo/health`, 'the DRF demo', [drfProc], { timeoutMs: 60000 })
		const secret = randomBytes(96).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 128)
		const sim = start('appapi-sim', './bin/appapi-sim', ['-listen', `127.0.0.1:${nc}`, '-info-xml', 'appinfo/info.xml',
			'-app-secret', secret, '-exapp-url', `http://127.0.0.1:${exapp}`, '-heartbeat-interval', '200ms'])
		await waitHttp(`http://127.0.0.1:${nc}/sim/state`, 'the AppAPI simulator', [sim])
		const version = /<version>([^<]+)<\/version>/.exec(readFileSync(join(root, 'appinfo/info.xml'), 'utf8'))?.[1] ?? '1.0.0'
		const app = start('weather_apis', './bin/weather_apis', [], {
			APP_ID: 'weather_apis', APP_SECRET: secret, APP_VERSION: version, APP_HOST: '127.0.0.1', APP_PORT: String(exapp),
			NEXTCLOUD_URL: `http://127.0.0.1:${nc}`, AA_VERSION: '32.0.0',
			WEATHER_APIS_REDIS_URL: `redis://127.0.0.1:${redis}/0`, WEATHER_APIS_UPSTREAM_URL: `http://127.0.0.1:${drf}`,
			WEATHER_APIS_UPSTREAM_USERNAME: 'weather_svc', WEATHER_APIS_UPSTREAM_PASSWORD: 'weather_svc_pw',
			WEATHER_APIS_CACHE_PROBE_INTERVAL: '10s', WEATHER_APIS_LOG_FORMAT: 'text',
		})
		await waitHttp(`http://127.0.0.1:${exapp}/heartbeat`, 'weather_apis', [app])
		const reg = start('register', './bin/appapi-sim', ['register', '-sim', `http://127.0.0.1:${nc}`])
		const code = await new Promise((resolve) => reg.on('exit', resolve))
		if (code !== 0) {
			throw new Error(`appapi-sim register exited with ${code} (log ${reg.logPath})`)
		}
		const basic = 'Basic ' + Buffer.from('admin:admin').toString('base64')
		await waitHttp(`http://127.0.0.1:${nc}/index.php/apps/app_api/proxy/weather_apis/api/v1/admin/ping`, 'the proxied ExApp', [app], { headers: { Authorization: basic } })
		return { nc: `http://127.0.0.1:${nc}`, drf: `http://127.0.0.1:${drf}`, dir, stop }
	} catch (e) {
		await stop({ keepLogs: true })
		throw new Error(`${e.message} (logs in ${dir})`)
	}
}
