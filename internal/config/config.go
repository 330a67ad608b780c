// Package config loads weather_apis' configuration in three layers with koanf:
// built-in defaults < the YAML file named by WEATHER_APIS_CONFIG < the
// environment. One table (Settings) names every setting, its YAML key, its
// environment variable, its default and whether it is secret; the loader, the
// printer and the documentation are all derived from it.
//
// Load rejects unknown keys and invalid values and reports every problem at
// once in a *ValidationError. Secrets never appear in errors or in Print.
// Only cmd/weather_apis imports this package; it translates Config into each
// library package's own options.
package config

import (
	"crypto"
	"log/slog"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// Config is the validated, effective configuration. Load fills every field;
// a Config built by hand has no source information (Redacted reports an
// empty Source). Do not print a Config with %v: use Print or Redacted.
type Config struct {
	App       App
	Nextcloud Nextcloud
	AppAPI    AppAPI
	Harp      Harp
	Upstream  Upstream
	Redis     Redis
	JWT       JWT
	Cache     Cache
	Server    Server
	Metrics   Metrics
	Log       Log

	// sources records which layer supplied each key (Setting.Key → Source).
	sources map[string]Source
}

// App holds the variables AppAPI passes to the ExApp (nextcloud/app_api lib/DeployActions/DockerActions.php buildDeployEnvs).
type App struct {
	ID                string // APP_ID
	Secret            string // APP_SECRET; shared with AppAPI, compare with crypto/subtle
	Version           string // APP_VERSION, else the build version
	DisplayName       string // APP_DISPLAY_NAME
	Host              string // APP_HOST
	Port              int    // APP_PORT, 1..65535
	PersistentStorage string // APP_PERSISTENT_STORAGE; "" or an absolute path
	ComputeDevice     string // COMPUTE_DEVICE; accepted and unused
}

// Nextcloud describes the Nextcloud instance the ExApp talks back to.
type Nextcloud struct {
	// URL is NEXTCLOUD_URL without a trailing "/" or "/index.php".
	URL string
	// NotifyInterval is how often every replica observes the layers for
	// admin notifications (internal/notify).
	NotifyInterval time.Duration
}

// AppAPI describes the AppAPI that deployed us.
type AppAPI struct {
	Version string // AA_VERSION
}

// Harp holds the HaRP/FRP settings. HaRP mode is on when SharedKey is set.
type Harp struct {
	SharedKey string // HP_SHARED_KEY
	ExAppSock string // HP_EXAPP_SOCK; the unix socket to listen on in HaRP mode
}

// Enabled reports whether HaRP mode is on (HP_SHARED_KEY set).
func (h Harp) Enabled() bool { return h.SharedKey != "" }

// Upstream configures the DRF client.
type Upstream struct {
	URL           string        // http(s) base URL without a trailing "/"
	Username      string        // DRF service account
	Password      string        // DRF service account password
	Timeout       time.Duration // per attempt, > 0
	MaxRetries    int           // retries after the first attempt
	RetryWaitMin  time.Duration // backoff floor
	RetryWaitMax  time.Duration // backoff ceiling, >= RetryWaitMin
	RetryAfterCap time.Duration // longest Retry-After honoured
	// OpenAPIPath is where the backend publishes its OpenAPI document
	// ("" = none); OpenAPIFile a local copy an operator gives instead.
	OpenAPIPath  string
	OpenAPIFile  string
	ContractMode string        // "report" or "enforce"
	WriteSettle  time.Duration // how long a write of unknown outcome may still land, > 0
	// BreakerMaxCooldown caps the circuit breaker's doubling open time.
	BreakerMaxCooldown time.Duration
}

// Redis selects the cache store. At most one of URL and Addrs is set; both
// empty means the embedded in-process store.
type Redis struct {
	URL        string   // redis:// or rediss:// URL (may carry a password)
	Addrs      []string // host:port list for Cluster, or Sentinel with MasterName
	MasterName string   // Sentinel master name; needs Addrs
	Password   string   // password for Addrs mode
	Timeout    time.Duration
}

// JWT configures acceptance of DRF-issued JWTs.
type JWT struct {
	SigningKey    string           // HS256 key shared with SimpleJWT (>= 32 bytes)
	PublicKeyPEM  string           // PEM text of PublicKey, "" when unset
	PublicKey     crypto.PublicKey // *rsa.PublicKey or *ecdsa.PublicKey, nil when unset
	DefaultScopes []string         // granted to tokens without a scope claim
	Leeway        time.Duration    // clock skew allowed on exp/nbf/iat
}

// Cache holds the cache timings.
type Cache struct {
	ProbeInterval time.Duration // 0 disables schema-version probing
	TTL           time.Duration // fresh lifetime, > 0
	SWR           time.Duration // stale-while-revalidate window
	StaleIfError  time.Duration // stale-if-error window
	MaxStale      time.Duration // hard limit on serving stale data
	NegativeTTL   time.Duration // lifetime of cached 404s; 0 disables
	L1TTL         time.Duration // in-process L1 lifetime; 0 disables
}

// Server configures the HTTP server.
type Server struct {
	RequestTimeout time.Duration  // whole-request deadline, > 0
	MaxBodyBytes   int64          // request body limit, > 0
	TrustedProxies []netip.Prefix // proxies whose X-Forwarded-For is believed
	AllowCIDRs     []netip.Prefix // global integration allowlist; empty = any
}

// Metrics configures the Prometheus listener.
type Metrics struct {
	Addr string // host:port, "" = off
}

// Log configures logging.
type Log struct {
	Level  slog.Level
	Format string // "json" or "text"
}

// Source names the layer that supplied a value.
type Source string

// The layers, lowest precedence first.
const (
	SourceDefault Source = "default"
	SourceFile    Source = "file"
	SourceEnv     Source = "env"
)

// ValidationError lists every configuration problem found by Load. Problems
// are sorted and never contain a secret value.
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

// newValidationError returns nil when there are no problems, else the
// problems sorted and de-duplicated.
func newValidationError(problems []string) *ValidationError {
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
