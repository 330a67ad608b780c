// Package config loads weather_apis' configuration in layers with koanf,
// lowest precedence first: built-in defaults < the Nextcloud admin settings
// < the YAML file named by WEATHER_APIS_CONFIG < the environment (README.md,
// "Configuration"). One table (Settings) names every setting, its YAML key,
// its environment variable, its default and whether it is secret.
//
// The merged layers are decoded into Config by koanf's UnmarshalWithConf
// (mapstructure decode hooks, unknown keys rejected), then checked. Every
// problem is reported at once in a *ValidationError; secrets never appear in
// errors or in Print. Only cmd/weather_apis imports this package; it
// translates Config into each library package's own options.
package config

import (
	"crypto"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// Config is the validated, effective configuration. Each field's koanf tag
// is its part of the setting's key. Load fills every field; a Config built
// by hand has no source information (Redacted reports an empty Source) and
// no layers (WithNextcloud refuses it). Do not print a Config with %v: use
// Print or Redacted.
type Config struct {
	App       App       `koanf:"app"`
	Nextcloud Nextcloud `koanf:"nextcloud"`
	AppAPI    AppAPI    `koanf:"appapi"`
	Harp      Harp      `koanf:"harp"`
	Upstream  Upstream  `koanf:"upstream"`
	Redis     Redis     `koanf:"redis"`
	JWT       JWT       `koanf:"jwt"`
	Cache     Cache     `koanf:"cache"`
	Server    Server    `koanf:"server"`
	Metrics   Metrics   `koanf:"metrics"`
	Log       Log       `koanf:"log"`

	sources map[string]Source // which layer supplied each key (Setting.Key → Source)
	layers  []layer           // the layers it was built from, lowest first
}

// App holds the variables AppAPI passes to the ExApp (nextcloud/app_api lib/DeployActions/DockerActions.php buildDeployEnvs).
type App struct {
	ID                string `koanf:"id"`                 // APP_ID
	Secret            string `koanf:"secret"`             // APP_SECRET; shared with AppAPI, compare with crypto/subtle
	Version           string `koanf:"version"`            // APP_VERSION, else the build version
	DisplayName       string `koanf:"display_name"`       // APP_DISPLAY_NAME
	Host              string `koanf:"host"`               // APP_HOST
	Port              int    `koanf:"port"`               // APP_PORT, 1..65535
	PersistentStorage string `koanf:"persistent_storage"` // APP_PERSISTENT_STORAGE; "" or an absolute path
	ComputeDevice     string `koanf:"compute_device"`     // COMPUTE_DEVICE; accepted and unused
}

// Nextcloud describes the Nextcloud instance the ExApp talks back to.
type Nextcloud struct {
	// URL is NEXTCLOUD_URL without a trailing "/" or "/index.php".
	URL string `koanf:"url"`
	// NotifyInterval is how often every replica observes the layers for
	// admin notifications (internal/notify).
	NotifyInterval time.Duration `koanf:"notify_interval"`
}

// AppAPI describes the AppAPI that deployed us.
type AppAPI struct {
	Version string `koanf:"version"` // AA_VERSION
}

// Harp holds the HaRP/FRP settings. HaRP mode is on when SharedKey is set.
type Harp struct {
	SharedKey string `koanf:"shared_key"` // HP_SHARED_KEY
	ExAppSock string `koanf:"exapp_sock"` // HP_EXAPP_SOCK; the unix socket to listen on in HaRP mode
}

// Enabled reports whether HaRP mode is on (HP_SHARED_KEY set).
func (h Harp) Enabled() bool { return h.SharedKey != "" }

// Upstream configures the DRF client.
type Upstream struct {
	URL           string        `koanf:"url"`             // http(s) base URL without a trailing "/"
	Username      string        `koanf:"username"`        // DRF service account
	Password      string        `koanf:"password"`        // DRF service account password
	Timeout       time.Duration `koanf:"timeout"`         // per attempt, > 0
	MaxRetries    int           `koanf:"max_retries"`     // retries after the first attempt
	RetryWaitMin  time.Duration `koanf:"retry_wait_min"`  // backoff floor
	RetryWaitMax  time.Duration `koanf:"retry_wait_max"`  // backoff ceiling, >= RetryWaitMin
	RetryAfterCap time.Duration `koanf:"retry_after_cap"` // longest Retry-After honoured
	// OpenAPIPath is where the backend publishes its OpenAPI document
	// ("" = none); OpenAPIFile a local copy an operator gives instead.
	OpenAPIPath  string        `koanf:"openapi_path"`
	OpenAPIFile  string        `koanf:"openapi_file"`
	ContractMode string        `koanf:"contract_mode"` // "report" or "enforce"
	WriteSettle  time.Duration `koanf:"write_settle"`  // how long a write of unknown outcome may still land, > 0
	// BreakerMaxCooldown caps the circuit breaker's doubling open time.
	BreakerMaxCooldown time.Duration `koanf:"breaker_max_cooldown"`
}

// Redis selects the cache store. At most one of URL and Addrs is set; both
// empty means the embedded in-process store.
type Redis struct {
	URL        string        `koanf:"url"`         // redis:// or rediss:// URL (may carry a password)
	Addrs      []string      `koanf:"addrs"`       // host:port list for Cluster, or Sentinel with MasterName
	MasterName string        `koanf:"master_name"` // Sentinel master name; needs Addrs
	Password   string        `koanf:"password"`    // password for Addrs mode
	Timeout    time.Duration `koanf:"timeout"`
}

// JWT configures acceptance of DRF-issued JWTs.
type JWT struct {
	SigningKey    string           `koanf:"signing_key"`    // HS256 key shared with SimpleJWT (>= 32 bytes)
	PublicKeyPEM  string           `koanf:"public_key"`     // PEM text of PublicKey, "" when unset
	PublicKey     crypto.PublicKey `koanf:"-"`              // *rsa.PublicKey or *ecdsa.PublicKey, nil when unset
	DefaultScopes []string         `koanf:"default_scopes"` // granted to tokens without a scope claim
	Leeway        time.Duration    `koanf:"leeway"`         // clock skew allowed on exp/nbf/iat
}

// Cache holds the cache timings.
type Cache struct {
	ProbeInterval time.Duration `koanf:"probe_interval"` // 0 disables schema-version probing
	TTL           time.Duration `koanf:"ttl"`            // fresh lifetime, > 0
	SWR           time.Duration `koanf:"swr"`            // stale-while-revalidate window
	StaleIfError  time.Duration `koanf:"stale_if_error"` // stale-if-error window
	MaxStale      time.Duration `koanf:"max_stale"`      // hard limit on serving stale data
	NegativeTTL   time.Duration `koanf:"negative_ttl"`   // lifetime of cached 404s; 0 disables
	L1TTL         time.Duration `koanf:"l1_ttl"`         // in-process L1 lifetime; 0 disables
}

// Server configures the HTTP server.
type Server struct {
	RequestTimeout time.Duration  `koanf:"request_timeout"` // whole-request deadline, > 0
	MaxBodyBytes   int64          `koanf:"max_body_bytes"`  // request body limit, > 0
	TrustedProxies []netip.Prefix `koanf:"trusted_proxies"` // proxies whose X-Forwarded-For is believed
	AllowCIDRs     []netip.Prefix `koanf:"allow_cidrs"`     // global integration allowlist; empty = any
}

// Metrics configures the Prometheus listener.
type Metrics struct {
	Addr string `koanf:"addr"` // host:port, "" = off
}

// Log configures logging.
type Log struct {
	Level  slog.Level `koanf:"level"`
	Format string     `koanf:"format"` // "json" or "text"
}

// Source names the layer that supplied a value.
type Source string

// The layers, lowest precedence first.
const (
	SourceDefault   Source = "default"
	SourceNextcloud Source = "nextcloud" // the admin settings form (NextcloudFields)
	SourceFile      Source = "file"
	SourceEnv       Source = "env"
)

// ValidationError lists every configuration problem found by Load or
// WithNextcloud. Problems are sorted and never contain a secret value.
type ValidationError struct {
	Problems []string
}

// Error returns a header line and one problem per line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid configuration:")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// validationError returns nil when there are no problems, else a
// *ValidationError with the problems sorted and de-duplicated.
func validationError(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	out := problems[:0]
	for i, p := range problems {
		if i == 0 || p != problems[i-1] {
			out = append(out, p)
		}
	}
	return &ValidationError{Problems: out}
}
