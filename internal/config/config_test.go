package config_test

import (
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/config"
)

// required is the smallest environment Load accepts.
var required = []string{"APP_SECRET=app-secret-value", "NEXTCLOUD_URL=http://127.0.0.1:8080"}

// env returns required plus extra.
func env(extra ...string) []string { return append(slices.Clone(required), extra...) }

// writeYAML writes body to a temp file and returns the WEATHER_APIS_CONFIG entry.
func writeYAML(tb testing.TB, body string) (path, entry string) {
	tb.Helper()
	path = filepath.Join(tb.TempDir(), "weather_apis.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, "WEATHER_APIS_CONFIG=" + path
}

// MustLoad calls Load and fails the test on error.
func MustLoad(tb testing.TB, environ []string) *config.Config {
	tb.Helper()
	c, err := config.Load(environ, "1.2.3")
	if err != nil {
		tb.Fatalf("Load() error:\n%v", err)
	}
	return c
}

// MustProblems calls Load and returns its problems, failing unless Load
// returned a *ValidationError.
func MustProblems(tb testing.TB, environ []string) []string {
	tb.Helper()
	c, err := config.Load(environ, "1.2.3")
	var verr *config.ValidationError
	if !errors.As(err, &verr) {
		tb.Fatalf("Load() = %v, %v; want a *ValidationError", c, err)
	}
	if c != nil {
		tb.Errorf("Load() returned a Config along with an error")
	}
	if !slices.IsSorted(verr.Problems) {
		tb.Errorf("problems are not sorted: %q", verr.Problems)
	}
	return verr.Problems
}

// hasProblem reports whether one problem contains every fragment.
func hasProblem(problems []string, fragments ...string) bool {
	for _, p := range problems {
		all := true
		for _, f := range fragments {
			all = all && strings.Contains(p, f)
		}
		if all {
			return true
		}
	}
	return false
}

func source(c *config.Config, key string) config.Source {
	for _, e := range c.Redacted() {
		if e.Key == key {
			return e.Source
		}
	}
	return "missing"
}

func TestLoadDefaults(t *testing.T) {
	c := MustLoad(t, required)
	checks := []struct {
		name      string
		got, want any
	}{
		{"App.ID", c.App.ID, "weather_apis"},
		{"App.Version", c.App.Version, "1.2.3"},
		{"App.DisplayName", c.App.DisplayName, "Weather APIs"},
		{"App.Host", c.App.Host, "127.0.0.1"},
		{"App.Port", c.App.Port, 23000},
		{"AppAPI.Version", c.AppAPI.Version, "32.0.0"},
		{"Harp.ExAppSock", c.Harp.ExAppSock, "/tmp/exapp.sock"},
		{"Harp.Enabled", c.Harp.Enabled(), false},
		{"Upstream.URL", c.Upstream.URL, "http://127.0.0.1:8000"},
		{"Upstream.Timeout", c.Upstream.Timeout, 10 * time.Second},
		{"Upstream.MaxRetries", c.Upstream.MaxRetries, 3},
		{"Redis.URL", c.Redis.URL, ""},
		{"Redis.Addrs", c.Redis.Addrs, []string{}},
		{"Redis.Timeout", c.Redis.Timeout, 200 * time.Millisecond},
		{"JWT.DefaultScopes", c.JWT.DefaultScopes, []string{"farms:state:read", "observations:read"}},
		{"JWT.PublicKey", c.JWT.PublicKey, nil},
		{"Cache.ProbeInterval", c.Cache.ProbeInterval, time.Minute},
		{"Cache.MaxStale", c.Cache.MaxStale, time.Hour},
		{"Server.MaxBodyBytes", c.Server.MaxBodyBytes, int64(1 << 20)},
		{"Server.AllowCIDRs", c.Server.AllowCIDRs, []netip.Prefix{}},
		{"Metrics.Addr", c.Metrics.Addr, ""},
		{"Log.Level", c.Log.Level, slog.LevelInfo},
		{"Log.Format", c.Log.Format, "json"},
	}
	for _, tc := range checks {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %#v; want %#v", tc.name, tc.got, tc.want)
		}
	}
	if got := source(c, "upstream.url"); got != config.SourceDefault {
		t.Errorf("source(upstream.url) = %q; want default", got)
	}
	if got := source(c, "app.secret"); got != config.SourceEnv {
		t.Errorf("source(app.secret) = %q; want env", got)
	}
}

func TestPrecedence(t *testing.T) {
	yaml := `
app:
  port: 24000
upstream:
  username: from_file
  timeout: 20s
jwt:
  default_scopes: [a:read, b:write]
server:
  allow_cidrs:
    - 10.0.0.0/8
log:
  level: debug
`
	_, cfgEnv := writeYAML(t, yaml)
	fileOnly := MustLoad(t, env(cfgEnv))
	both := MustLoad(t, env(cfgEnv,
		"APP_PORT=25000",
		"WEATHER_APIS_UPSTREAM_USERNAME=from_env",
		"WEATHER_APIS_UPSTREAM_TIMEOUT=30s",
		"WEATHER_APIS_JWT_DEFAULT_SCOPES= c:read , d:read ,",
		"WEATHER_APIS_ALLOW_CIDRS=192.168.1.0/24,2001:db8::1",
		"WEATHER_APIS_LOG_LEVEL=ERROR",
	))
	envOnly := MustLoad(t, env("WEATHER_APIS_UPSTREAM_TIMEOUT=1m"))
	// An empty variable counts as unset: the file value stays.
	emptyEnv := MustLoad(t, env(cfgEnv, "WEATHER_APIS_UPSTREAM_TIMEOUT="))

	tests := []struct {
		name       string
		c          *config.Config
		key        string
		got, want  any
		wantSource config.Source
	}{
		{"int from file", fileOnly, "app.port", fileOnly.App.Port, 24000, config.SourceFile},
		{"int env beats file", both, "app.port", both.App.Port, 25000, config.SourceEnv},
		{"string from file", fileOnly, "upstream.username", fileOnly.Upstream.Username, "from_file", config.SourceFile},
		{"string env beats file", both, "upstream.username", both.Upstream.Username, "from_env", config.SourceEnv},
		{"duration default", fileOnly, "cache.ttl", fileOnly.Cache.TTL, 5 * time.Minute, config.SourceDefault},
		{"duration from file", fileOnly, "upstream.timeout", fileOnly.Upstream.Timeout, 20 * time.Second, config.SourceFile},
		{"duration env beats file", both, "upstream.timeout", both.Upstream.Timeout, 30 * time.Second, config.SourceEnv},
		{"duration env beats default", envOnly, "upstream.timeout", envOnly.Upstream.Timeout, time.Minute, config.SourceEnv},
		{"empty env is unset", emptyEnv, "upstream.timeout", emptyEnv.Upstream.Timeout, 20 * time.Second, config.SourceFile},
		{"list from YAML list", fileOnly, "jwt.default_scopes", fileOnly.JWT.DefaultScopes, []string{"a:read", "b:write"}, config.SourceFile},
		{"list env beats file", both, "jwt.default_scopes", both.JWT.DefaultScopes, []string{"c:read", "d:read"}, config.SourceEnv},
		{"cidrs from file", fileOnly, "server.allow_cidrs", fileOnly.Server.AllowCIDRs,
			[]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, config.SourceFile},
		{"cidrs env beats file", both, "server.allow_cidrs", both.Server.AllowCIDRs,
			[]netip.Prefix{netip.MustParsePrefix("192.168.1.0/24"), netip.MustParsePrefix("2001:db8::1/128")}, config.SourceEnv},
		{"level from file", fileOnly, "log.level", fileOnly.Log.Level, slog.LevelDebug, config.SourceFile},
		{"level env beats file", both, "log.level", both.Log.Level, slog.LevelError, config.SourceEnv},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s = %#v; want %#v", tc.key, tc.got, tc.want)
			}
			if got := source(tc.c, tc.key); got != tc.wantSource {
				t.Errorf("source(%s) = %q; want %q", tc.key, got, tc.wantSource)
			}
		})
	}
}

func TestUnknownYAMLKeys(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // fragments of one problem; nil = no problem
	}{
		{"nested typo", "upstream:\n  urll: http://x\n", []string{"unknown key upstream.urll", "did you mean upstream.url?"}},
		{"deep typo", "cache:\n  stale:\n    if_error: 1m\n", []string{"unknown key cache.stale.if_error", "did you mean cache.stale_if_error?"}},
		{"top-level typo", "upstrem:\n  url: http://x\n", []string{"unknown key upstrem.url", "did you mean upstream.url?"}},
		{"env name used as key", "WEATHER_APIS_UPSTREAM_URL: http://x\n", []string{"did you mean upstream.url?"}},
		{"far off, no hint", "totally_unrelated: 1\n", []string{"unknown key totally_unrelated"}},
		{"value given a mapping", "upstream:\n  url:\n    host: x\n", []string{"upstream.url (WEATHER_APIS_UPSTREAM_URL, from file", "must be a single value, not a mapping"}},
		{"section given a value", "upstream: http://x\n", []string{"upstream is a section"}},
		{"empty section is fine", "redis:\n  # url: redis://x\ncache: {}\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path, cfgEnv := writeYAML(t, tc.yaml)
			c, err := config.Load(env(cfgEnv), "v")
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Load() error: %v", err)
				}
				return
			}
			if c != nil || err == nil {
				t.Fatalf("Load() = %v, nil; want an error", c)
			}
			problems := MustProblems(t, env(cfgEnv))
			if !hasProblem(problems, append(tc.want, path)...) {
				t.Errorf("problems = %q; want one containing %q and the file name", problems, tc.want)
			}
			if tc.name == "far off, no hint" && hasProblem(problems, "did you mean") {
				t.Errorf("problems = %q; want no suggestion", problems)
			}
		})
	}
}

func TestUnknownEnv(t *testing.T) {
	tests := []struct {
		name string
		env  string
		want string // "" = accepted
	}{
		{"typo", "WEATHER_APIS_UPSTREAM_URLL=http://x", "WEATHER_APIS_UPSTREAM_URLL: unknown environment variable; did you mean WEATHER_APIS_UPSTREAM_URL?"},
		{"key-derived name", "WEATHER_APIS_SERVER_REQUEST_TIMEOUT=5s", "did you mean WEATHER_APIS_REQUEST_TIMEOUT?"},
		{"prefixed AppAPI name", "WEATHER_APIS_APP_SECRET=x", "did you mean APP_SECRET?"},
		{"empty still unknown", "WEATHER_APIS_REDIS_URI=", "did you mean WEATHER_APIS_REDIS_URL?"},
		{"no hint", "WEATHER_APIS_XYZZY=1", "WEATHER_APIS_XYZZY: unknown environment variable"},
		{"config file variable", "WEATHER_APIS_CONFIG=", ""},
		{"foreign variables", "PATH=/usr/bin", ""},
		{"AppAPI extras", "HP_FRP_ADDRESS=127.0.0.1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				MustLoad(t, env(tc.env))
				return
			}
			problems := MustProblems(t, env(tc.env))
			if len(problems) != 1 || !strings.Contains(problems[0], tc.want) {
				t.Errorf("problems = %q; want one containing %q", problems, tc.want)
			}
			if tc.name == "no hint" && strings.Contains(problems[0], "did you mean") {
				t.Errorf("problem = %q; want no suggestion", problems[0])
			}
		})
	}
}
