package config

import "strings"

// Setting documents one configuration value. Key is its YAML path, its
// koanf key and the path of its Config field through the fields' koanf tags;
// Env is the environment variable that sets it. Default is the built-in
// value in environment-variable syntax ("" for app.version means the build
// version passed to Load). A Secret value is never printed or echoed.
type Setting struct {
	Key         string
	Env         string
	Default     string
	Secret      bool
	Required    bool
	Description string
}

// Settings returns the table of every setting in display order (the order
// of README.md's "Configuration" table). The slice is a fresh copy that the
// caller owns.
func Settings() []Setting { return table() }

// NextcloudFields maps the field ids of the admin settings form
// (internal/exapp SettingsFormScheme; AppAPI stores the values as app
// config under these ids) to the settings they set.
func NextcloudFields() map[string]string {
	return map[string]string{
		"upstream_url":      "upstream.url",
		"upstream_username": "upstream.username",
		"upstream_password": "upstream.password",
	}
}

// The prefix of weather_apis' own environment variables, and the variable
// naming the YAML file (not a setting itself).
const (
	envPrefix     = "WEATHER_APIS_"
	envConfigFile = "WEATHER_APIS_CONFIG"
)

func def(key, env, dflt, desc string) Setting {
	return Setting{Key: key, Env: env, Default: dflt, Description: desc}
}

// ours names an own setting WEATHER_APIS_<KEY IN UPPER SNAKE>.
func ours(key, dflt, desc string) Setting {
	return def(key, envPrefix+strings.ToUpper(strings.ReplaceAll(key, ".", "_")), dflt, desc)
}

func secret(s Setting) Setting   { s.Secret = true; return s }
func required(s Setting) Setting { s.Required = true; return s }

// table is the single source of truth for every setting's name, default
// and documentation (value rules: check.go). It is built on each call so
// that no package-level state exists.
func table() []Setting {
	return []Setting{
		// AppAPI's variables, under AppAPI's names (nextcloud/app_api lib/DeployActions/DockerActions.php buildDeployEnvs).
		def("app.id", "APP_ID", "weather_apis", "ExApp id registered in Nextcloud."),
		required(secret(def("app.secret", "APP_SECRET", "",
			"Shared secret AppAPI signs requests with (AUTHORIZATION-APP-API)."))),
		def("app.version", "APP_VERSION", "", "ExApp version reported to AppAPI; defaults to the build version."),
		def("app.display_name", "APP_DISPLAY_NAME", "Weather APIs", "Human-readable app name."),
		def("app.host", "APP_HOST", "127.0.0.1", "Address the HTTP server binds (non-HaRP mode)."),
		def("app.port", "APP_PORT", "23000", "TCP port the HTTP server binds (non-HaRP mode)."),
		required(def("nextcloud.url", "NEXTCLOUD_URL", "",
			"Nextcloud base URL; a trailing / or /index.php is removed.")),
		def("appapi.version", "AA_VERSION", "32.0.0", "AppAPI version that deployed the ExApp."),
		def("app.persistent_storage", "APP_PERSISTENT_STORAGE", "", "Directory that survives app updates; empty if none."),
		secret(def("harp.shared_key", "HP_SHARED_KEY", "",
			"HaRP shared key; when set, serve on the unix socket HP_EXAPP_SOCK.")),
		def("harp.exapp_sock", "HP_EXAPP_SOCK", "/tmp/exapp.sock", "Unix socket to listen on in HaRP mode."),
		def("app.compute_device", "COMPUTE_DEVICE", "CPU", "CPU, CUDA or ROCM as passed by AppAPI; accepted and unused."),

		// The DRF backend.
		ours("upstream.url", "http://127.0.0.1:8000", "DRF base URL (http or https)."),
		ours("upstream.username", "weather_svc", "DRF service account used to obtain JWTs."),
		secret(ours("upstream.password", "", "Password of the DRF service account.")),
		ours("upstream.timeout", "10s", "Timeout of one upstream attempt."),
		ours("upstream.max_retries", "3", "Retries of idempotent upstream requests after the first attempt."),
		ours("upstream.retry_wait_min", "100ms", "Shortest backoff between upstream retries."),
		ours("upstream.retry_wait_max", "2s", "Longest backoff between upstream retries."),
		ours("upstream.retry_after_cap", "5s", "Longest upstream Retry-After that is honoured before giving up."),
		ours("upstream.openapi_path", "",
			"Upstream path of the backend's OpenAPI document (e.g. /api/v1/schema/); empty: none published."),
		ours("upstream.openapi_file", "",
			"A local file with the backend's OpenAPI document, used instead of upstream.openapi_path."),
		ours("upstream.contract_mode", "report",
			"What a violation of the backend's published contract does: report (count and show) or enforce (refuse the answer)."),
		ours("upstream.write_settle", "60s",
			"How long a write whose outcome is unknown may still land upstream; nothing it changes is cached meanwhile."),
		ours("upstream.breaker_max_cooldown", "30s",
			"Longest time the circuit breaker stays open: the first open lasts 1.5 s, each failed probe doubles it up to this."),

		// Redis.
		ours("redis.url", "", "redis:// or rediss:// URL of the shared Redis; empty: embedded in-process store."),
		ours("redis.addrs", "", "Comma-separated host:port list for Redis Cluster, or Sentinel with redis.master_name."),
		ours("redis.master_name", "", "Sentinel master name (needs redis.addrs)."),
		secret(ours("redis.password", "", "Redis password for redis.addrs mode (put it in redis.url otherwise).")),
		ours("redis.timeout", "200ms", "Dial/read/write timeout of one Redis command."),

		// JWTs issued by DRF SimpleJWT.
		secret(ours("jwt.signing_key", "", "HS256 key shared with DRF SimpleJWT (at least 32 bytes).")),
		ours("jwt.public_key", "", "PEM public key for RS256/ES256 DRF JWTs."),
		ours("jwt.default_scopes", "farms:state:read,observations:read",
			"Scopes granted to a DRF access token without a scope claim."),
		ours("jwt.leeway", "30s", "Clock skew tolerated when checking exp/nbf/iat."),

		// Cache timings.
		ours("cache.probe_interval", "1m", "How often the upstream schema version is re-read; 0 disables."),
		ours("cache.ttl", "5m", "How long a cached entry is fresh."),
		ours("cache.swr", "30s", "Stale-while-revalidate window after the TTL."),
		ours("cache.stale_if_error", "10m", "How long a stale entry may be served while the upstream fails."),
		ours("cache.max_stale", "1h", "Hard limit on the age of any stale entry served."),
		ours("cache.negative_ttl", "10s", "How long an upstream 404 is cached; 0 disables."),
		ours("cache.l1_ttl", "1s", "Lifetime of the in-process L1 cache; 0 disables."),

		// HTTP server.
		def("server.request_timeout", "WEATHER_APIS_REQUEST_TIMEOUT", "30s", "Deadline of one incoming request."),
		def("server.max_body_bytes", "WEATHER_APIS_MAX_BODY_BYTES", "1048576", "Largest accepted request body in bytes."),
		def("server.trusted_proxies", "WEATHER_APIS_TRUSTED_PROXIES", "",
			"Comma-separated CIDRs of proxies whose X-Forwarded-For is trusted."),
		def("server.allow_cidrs", "WEATHER_APIS_ALLOW_CIDRS", "",
			"Comma-separated CIDRs integrations may call from; empty allows any."),
		ours("nextcloud.notify_interval", "1m",
			"How often each replica looks at every layer for admin notifications; a new state must be seen twice in a row."),
		ours("metrics.addr", "", "host:port of the Prometheus metrics listener; empty disables it."),

		// Logging.
		ours("log.level", "info", "Log level: debug, info, warn or error."),
		ours("log.format", "json", "Log format: json or text."),
	}
}
