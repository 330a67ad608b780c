package config_test

import (
	"strings"
	"testing"
)

// TestOneErrorNamesEveryBadValue: bad durations, CIDRs and URLs from the
// file and the environment, unknown keys and an unknown variable all come
// back in the one error, each naming its key, variable and layer.
func TestOneErrorNamesEveryBadValue(t *testing.T) {
	path, cfgEnv := writeYAML(t, `
cache:
  ttl: 5 minutes
  swr: 30
server:
  allow_cidrs: [10.0.0.0/8, 300.1.1.1]
redis:
  url: http://127.0.0.1:6379
  urll: redis://x
`)
	problems := MustProblems(t, env(cfgEnv,
		"WEATHER_APIS_UPSTREAM_TIMEOUT=10",
		"WEATHER_APIS_TRUSTED_PROXIES=10.0.0.0/33",
		"WEATHER_APIS_UPSTREAM_URL=drf:8000",
		"WEATHER_APIS_UPSTREAM_TIMEOUTT=10s",
	))
	fromFile := ", from file " + path + "): "
	tests := []struct {
		name string
		want []string // fragments of one problem
	}{
		{"duration from file", []string{"cache.ttl (WEATHER_APIS_CACHE_TTL" + fromFile + "must be a Go duration such as 500ms, 10s or 1m", `got "5 minutes"`}},
		{"duration without unit from file", []string{"cache.swr (WEATHER_APIS_CACHE_SWR" + fromFile + "must be a Go duration with a unit", "got 30"}},
		{"duration from env", []string{"upstream.timeout (WEATHER_APIS_UPSTREAM_TIMEOUT, from environment): must be a Go duration", `got "10"`}},
		{"CIDR item from file", []string{"server.allow_cidrs (WEATHER_APIS_ALLOW_CIDRS" + fromFile + `"300.1.1.1" is not a CIDR`}},
		{"CIDR from env", []string{"server.trusted_proxies (WEATHER_APIS_TRUSTED_PROXIES, from environment): \"10.0.0.0/33\" is not a CIDR"}},
		{"URL from file", []string{"redis.url (WEATHER_APIS_REDIS_URL" + fromFile + "must be a redis:// or rediss:// URL"}},
		{"URL from env", []string{"upstream.url (WEATHER_APIS_UPSTREAM_URL, from environment): must be an http:// or https:// URL", `got "drf:8000"`}},
		{"unknown key", []string{path + ": unknown key redis.urll; did you mean redis.url?"}},
		{"unknown variable", []string{"WEATHER_APIS_UPSTREAM_TIMEOUTT: unknown environment variable; did you mean WEATHER_APIS_UPSTREAM_TIMEOUT?"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !hasProblem(problems, tc.want...) {
				t.Errorf("no problem contains %q:\n%s", tc.want, strings.Join(problems, "\n"))
			}
		})
	}
	if len(problems) != len(tests) {
		t.Errorf("got %d problems; want %d:\n%s", len(problems), len(tests), strings.Join(problems, "\n"))
	}
}

// TestYAMLTypes: YAML scalars are taken only where they mean what they say.
func TestYAMLTypes(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // "" = valid
	}{
		{"number for a string", "app:\n  version: 1.0\n", "must be a string (quote it in YAML); got 1"},
		{"quoted number", "app:\n  version: \"1.0\"\n", ""},
		{"whole float for an int", "upstream:\n  max_retries: 2.0\n", ""},
		{"fraction for an int", "upstream:\n  max_retries: 2.5\n", "must be a whole number"},
		{"zero duration", "cache:\n  l1_ttl: 0\n", ""},
		{"null duration", "cache:\n  l1_ttl:\n", "must be a Go duration such as 500ms, 10s or 1m; got null"},
		{"null string", "app:\n  persistent_storage:\n", ""},
		{"list of numbers", "jwt:\n  default_scopes: [1, 2]\n", "must be a list of strings or a comma-separated string"},
		{"level in capitals", "log:\n  level: WARN\n", ""},
		{"level as number", "log:\n  level: 3\n", "must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, cfgEnv := writeYAML(t, tc.yaml)
			if tc.want == "" {
				MustLoad(t, env(cfgEnv))
				return
			}
			if p := MustProblems(t, env(cfgEnv)); len(p) != 1 || !strings.Contains(p[0], tc.want) {
				t.Errorf("problems = %q; want one containing %q", p, tc.want)
			}
		})
	}
}
