package config

import (
	"log/slog"
	"net/netip"
	"strings"
	"time"
)

// Setting documents one configuration value. Key is its YAML path (and koanf
// key), Env the environment variable that sets it. Default is the built-in
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

// Settings returns the table of every setting in display order. The slice is
// a fresh copy that the caller owns.
func Settings() []Setting {
	specs := specTable()
	out := make([]Setting, len(specs))
	for i, s := range specs {
		out[i] = s.Setting
	}
	return out
}

// spec is a Setting plus how to parse it into and format it out of Config.
type spec struct {
	Setting
	binding
	// show renders a rejected non-secret raw string for an error message;
	// nil means quote it verbatim.
	show func(string) string
}

// The prefix of weather_apis' own environment variables, and the variable
// naming the YAML file (not a setting itself).
const (
	envPrefix     = "WEATHER_APIS_"
	envConfigFile = "WEATHER_APIS_CONFIG"
)

func def(key, env, dflt string, b binding, desc string) spec {
	return spec{Setting: Setting{Key: key, Env: env, Default: dflt, Description: desc}, binding: b}
}

func secret(s spec) spec   { s.Secret = true; return s }
func required(s spec) spec { s.Required = true; return s }
func showWith(f func(string) string, s spec) spec {
	s.show = f
	return s
}

// ours names an own setting WEATHER_APIS_<KEY IN UPPER SNAKE>.
func ours(key, dflt string, b binding, desc string) spec {
	env := envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
	return def(key, env, dflt, b, desc)
}

// specTable is the single source of truth for every setting. It is built on
// each call so that no package-level state exists.
func specTable() []spec {
	return []spec{
		// AppAPI's variables, under AppAPI's names (nextcloud/app_api lib/DeployActions/DockerActions.php buildDeployEnvs).
		def("app.id", "APP_ID", "weather_apis",
			str(func(c *Config) *string { return &c.App.ID }, checkAppID),
			"ExApp id registered in Nextcloud."),
		required(secret(def("app.secret", "APP_SECRET", "",
			secretStr(func(c *Config) *string { return &c.App.Secret }),
			"Shared secret AppAPI signs requests with (AUTHORIZATION-APP-API)."))),
		def("app.version", "APP_VERSION", "",
			str(func(c *Config) *string { return &c.App.Version }, notEmpty, noSpace),
			"ExApp version reported to AppAPI; defaults to the build version."),
		def("app.display_name", "APP_DISPLAY_NAME", "Weather APIs",
			str(func(c *Config) *string { return &c.App.DisplayName }, notEmpty),
			"Human-readable app name."),
		def("app.host", "APP_HOST", "127.0.0.1",
			str(func(c *Config) *string { return &c.App.Host }, notEmpty, noSpace),
			"Address the HTTP server binds (non-HaRP mode)."),
		def("app.port", "APP_PORT", "23000",
			integer(func(c *Config) *int { return &c.App.Port }, 1, 65535),
			"TCP port the HTTP server binds (non-HaRP mode)."),
		showWith(redactURL, required(def("nextcloud.url", "NEXTCLOUD_URL", "",
			bind(func(c *Config) *string { return &c.Nextcloud.URL }, httpURL(true), identity),
			"Nextcloud base URL; a trailing / or /index.php is removed."))),
		def("appapi.version", "AA_VERSION", "32.0.0",
			str(func(c *Config) *string { return &c.AppAPI.Version }),
			"AppAPI version that deployed the ExApp."),
		def("app.persistent_storage", "APP_PERSISTENT_STORAGE", "",
			str(func(c *Config) *string { return &c.App.PersistentStorage }, optionalAbsPath),
			"Directory that survives app updates; empty if none."),
		secret(def("harp.shared_key", "HP_SHARED_KEY", "",
			secretStr(func(c *Config) *string { return &c.Harp.SharedKey }),
			"HaRP shared key; when set, serve on the unix socket HP_EXAPP_SOCK.")),
		def("harp.exapp_sock", "HP_EXAPP_SOCK", "/tmp/exapp.sock",
			str(func(c *Config) *string { return &c.Harp.ExAppSock }, socketPath),
			"Unix socket to listen on in HaRP mode."),
		def("app.compute_device", "COMPUTE_DEVICE", "CPU",
			str(func(c *Config) *string { return &c.App.ComputeDevice }),
			"CPU, CUDA or ROCM as passed by AppAPI; accepted and unused."),

		// The DRF backend.
		showWith(redactURL, ours("upstream.url", "http://127.0.0.1:8000",
			bind(func(c *Config) *string { return &c.Upstream.URL }, httpURL(false), identity),
			"DRF base URL (http or https).")),
		ours("upstream.username", "weather_svc",
			str(func(c *Config) *string { return &c.Upstream.Username }),
			"DRF service account used to obtain JWTs."),
		secret(ours("upstream.password", "",
			secretStr(func(c *Config) *string { return &c.Upstream.Password }),
			"Password of the DRF service account.")),
		ours("upstream.timeout", "10s",
			duration(func(c *Config) *time.Duration { return &c.Upstream.Timeout }, true),
			"Timeout of one upstream attempt."),
		ours("upstream.max_retries", "3",
			integer(func(c *Config) *int { return &c.Upstream.MaxRetries }, 0, 10),
			"Retries of idempotent upstream requests after the first attempt."),
		ours("upstream.retry_wait_min", "100ms",
			duration(func(c *Config) *time.Duration { return &c.Upstream.RetryWaitMin }, false),
			"Shortest backoff between upstream retries."),
		ours("upstream.retry_wait_max", "2s",
			duration(func(c *Config) *time.Duration { return &c.Upstream.RetryWaitMax }, false),
			"Longest backoff between upstream retries."),
		ours("upstream.retry_after_cap", "5s",
			duration(func(c *Config) *time.Duration { return &c.Upstream.RetryAfterCap }, false),
			"Longest upstream Retry-After that is honoured before giving up."),
		ours("upstream.openapi_path", "",
			str(func(c *Config) *string { return &c.Upstream.OpenAPIPath }, optionalAbsPath),
			"Upstream path of the backend's OpenAPI document (e.g. /api/v1/schema/); empty: none published."),
		ours("upstream.openapi_file", "",
			str(func(c *Config) *string { return &c.Upstream.OpenAPIFile }, noSpace),
			"A local file with the backend's OpenAPI document, used instead of upstream.openapi_path."),
		ours("upstream.contract_mode", "report",
			bind(func(c *Config) *string { return &c.Upstream.ContractMode }, lower(enum("report", "enforce")), identity),
			"What a violation of the backend's published contract does: report (count and show) or enforce (refuse the answer)."),
		ours("upstream.write_settle", "60s",
			duration(func(c *Config) *time.Duration { return &c.Upstream.WriteSettle }, true),
			"How long a write whose outcome is unknown may still land upstream; nothing it changes is cached meanwhile."),
		ours("upstream.breaker_max_cooldown", "30s",
			duration(func(c *Config) *time.Duration { return &c.Upstream.BreakerMaxCooldown }, true),
			"Longest time the circuit breaker stays open: the first open lasts 1.5 s, each failed probe doubles it up to this."),

		// Redis.
		showWith(redactURL, ours("redis.url", "",
			bind(func(c *Config) *string { return &c.Redis.URL }, redisURL, identity),
			"redis:// or rediss:// URL of the shared Redis; empty: embedded in-process store.")),
		ours("redis.addrs", "",
			strList(func(c *Config) *[]string { return &c.Redis.Addrs }, hostPort),
			"Comma-separated host:port list for Redis Cluster, or Sentinel with redis.master_name."),
		ours("redis.master_name", "",
			str(func(c *Config) *string { return &c.Redis.MasterName }, noSpace),
			"Sentinel master name (needs redis.addrs)."),
		secret(ours("redis.password", "",
			secretStr(func(c *Config) *string { return &c.Redis.Password }),
			"Redis password for redis.addrs mode (put it in redis.url otherwise).")),
		ours("redis.timeout", "200ms",
			duration(func(c *Config) *time.Duration { return &c.Redis.Timeout }, true),
			"Dial/read/write timeout of one Redis command."),

		// JWTs issued by DRF SimpleJWT.
		secret(ours("jwt.signing_key", "",
			secretStr(func(c *Config) *string { return &c.JWT.SigningKey }, checkHMACKey),
			"HS256 key shared with DRF SimpleJWT (at least 32 bytes).")),
		ours("jwt.public_key", "", publicKey(),
			"PEM public key for RS256/ES256 DRF JWTs."),
		ours("jwt.default_scopes", "farms:state:read,observations:read",
			strList(func(c *Config) *[]string { return &c.JWT.DefaultScopes }, checkScope),
			"Scopes granted to a DRF access token without a scope claim."),
		ours("jwt.leeway", "30s",
			duration(func(c *Config) *time.Duration { return &c.JWT.Leeway }, false),
			"Clock skew tolerated when checking exp/nbf/iat."),

		// Cache timings.
		ours("cache.probe_interval", "1m",
			duration(func(c *Config) *time.Duration { return &c.Cache.ProbeInterval }, false),
			"How often the upstream schema version is re-read; 0 disables."),
		ours("cache.ttl", "5m",
			duration(func(c *Config) *time.Duration { return &c.Cache.TTL }, true),
			"How long a cached entry is fresh."),
		ours("cache.swr", "30s",
			duration(func(c *Config) *time.Duration { return &c.Cache.SWR }, false),
			"Stale-while-revalidate window after the TTL."),
		ours("cache.stale_if_error", "10m",
			duration(func(c *Config) *time.Duration { return &c.Cache.StaleIfError }, false),
			"How long a stale entry may be served while the upstream fails."),
		ours("cache.max_stale", "1h",
			duration(func(c *Config) *time.Duration { return &c.Cache.MaxStale }, false),
			"Hard limit on the age of any stale entry served."),
		ours("cache.negative_ttl", "10s",
			duration(func(c *Config) *time.Duration { return &c.Cache.NegativeTTL }, false),
			"How long an upstream 404 is cached; 0 disables."),
		ours("cache.l1_ttl", "1s",
			duration(func(c *Config) *time.Duration { return &c.Cache.L1TTL }, false),
			"Lifetime of the in-process L1 cache; 0 disables."),

		// HTTP server.
		def("server.request_timeout", "WEATHER_APIS_REQUEST_TIMEOUT", "30s",
			duration(func(c *Config) *time.Duration { return &c.Server.RequestTimeout }, true),
			"Deadline of one incoming request."),
		def("server.max_body_bytes", "WEATHER_APIS_MAX_BODY_BYTES", "1048576",
			integer(func(c *Config) *int64 { return &c.Server.MaxBodyBytes }, 1, 1<<40),
			"Largest accepted request body in bytes."),
		def("server.trusted_proxies", "WEATHER_APIS_TRUSTED_PROXIES", "",
			prefixes(func(c *Config) *[]netip.Prefix { return &c.Server.TrustedProxies }),
			"Comma-separated CIDRs of proxies whose X-Forwarded-For is trusted."),
		def("server.allow_cidrs", "WEATHER_APIS_ALLOW_CIDRS", "",
			prefixes(func(c *Config) *[]netip.Prefix { return &c.Server.AllowCIDRs }),
			"Comma-separated CIDRs integrations may call from; empty allows any."),
		ours("nextcloud.notify_interval", "1m",
			duration(func(c *Config) *time.Duration { return &c.Nextcloud.NotifyInterval }, true),
			"How often each replica looks at every layer for admin notifications; a new state must be seen twice in a row."),
		ours("metrics.addr", "",
			str(func(c *Config) *string { return &c.Metrics.Addr }, optionalHostPort),
			"host:port of the Prometheus metrics listener; empty disables it."),

		// Logging.
		ours("log.level", "info",
			logLevel(func(c *Config) *slog.Level { return &c.Log.Level }),
			"Log level: debug, info, warn or error."),
		ours("log.format", "json",
			bind(func(c *Config) *string { return &c.Log.Format }, lower(enum("json", "text")), identity),
			"Log format: json or text."),
	}
}
