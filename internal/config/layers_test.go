package config_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/config"
)

func TestWithNextcloud(t *testing.T) {
	good := map[string]string{"upstream_url": "https://drf.example/", "upstream_username": "svc", "upstream_password": "pw-XYZ"}
	tests := []struct {
		name     string
		env      []string
		first    map[string]string // applied before vals; nil = none
		vals     map[string]string
		wantURL  string
		wantUser string
		wantSrc  config.Source // of upstream.url
		wantErr  []string      // fragments of one problem; nil = no error
	}{
		{"over defaults", nil, nil, good, "https://drf.example", "svc", config.SourceNextcloud, nil},
		{"below the environment", []string{"WEATHER_APIS_UPSTREAM_URL=http://env:8000"}, nil, good,
			"http://env:8000", "svc", config.SourceEnv, nil},
		{"empty is unset", nil, good, map[string]string{"upstream_url": ""}, "http://127.0.0.1:8000", "weather_svc", config.SourceDefault, nil},
		{"bad URL keeps the default", nil, nil, map[string]string{"upstream_url": "ftp://drf", "upstream_username": "svc"},
			"http://127.0.0.1:8000", "svc", config.SourceDefault,
			[]string{"upstream.url (WEATHER_APIS_UPSTREAM_URL, from Nextcloud admin settings): must be an http:// or https:// URL", `got "ftp://drf"`}},
		{"bad URL keeps the previous value", nil, good, map[string]string{"upstream_url": "https://u:p@drf", "upstream_username": "svc2"},
			"https://drf.example", "svc2", config.SourceNextcloud, []string{"upstream.url", "must not contain credentials"}},
		{"shadowed bad value is not used", []string{"WEATHER_APIS_UPSTREAM_URL=http://env:8000"}, nil, map[string]string{"upstream_url": "ftp://drf"},
			"http://env:8000", "weather_svc", config.SourceEnv, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := MustLoad(t, env(tc.env...))
			if tc.first != nil {
				var err error
				if c, err = c.WithNextcloud(tc.first); err != nil {
					t.Fatal(err)
				}
			}
			before := c.String()
			got, err := c.WithNextcloud(tc.vals)
			if c.String() != before {
				t.Error("WithNextcloud changed its receiver")
			}
			var verr *config.ValidationError
			switch {
			case tc.wantErr == nil && err != nil:
				t.Errorf("WithNextcloud() error = %v", err)
			case tc.wantErr != nil && !errors.As(err, &verr):
				t.Errorf("WithNextcloud() error = %v; want a *ValidationError", err)
			case tc.wantErr != nil && (len(verr.Problems) != 1 || !hasProblem(verr.Problems, tc.wantErr...)):
				t.Errorf("problems = %q; want one containing %q", verr.Problems, tc.wantErr)
			}
			if got.Upstream.URL != tc.wantURL || got.Upstream.Username != tc.wantUser {
				t.Errorf("upstream = %q %q; want %q %q", got.Upstream.URL, got.Upstream.Username, tc.wantURL, tc.wantUser)
			}
			if s := source(got, "upstream.url"); s != tc.wantSrc {
				t.Errorf("source(upstream.url) = %q; want %q", s, tc.wantSrc)
			}
			if strings.Contains(got.String()+errString(err), "pw-XYZ") {
				t.Error("the Nextcloud password is shown")
			}
		})
	}
	if _, err := (&config.Config{}).WithNextcloud(good); err == nil {
		t.Error("WithNextcloud on a Config not built by Load: no error")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestPrintShowsSources: Print names the layer of every value.
func TestPrintShowsSources(t *testing.T) {
	_, cfgEnv := writeYAML(t, "cache:\n  ttl: 7m\n")
	c, err := MustLoad(t, env(cfgEnv, "WEATHER_APIS_LOG_LEVEL=debug")).WithNextcloud(map[string]string{"upstream_password": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Print(&b); err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{
		`(?m)^upstream\.timeout\s+WEATHER_APIS_UPSTREAM_TIMEOUT\s+10s\s+default$`,
		`(?m)^upstream\.password\s+WEATHER_APIS_UPSTREAM_PASSWORD\s+<redacted>\s+nextcloud$`,
		`(?m)^cache\.ttl\s+WEATHER_APIS_CACHE_TTL\s+7m\s+file$`,
		`(?m)^log\.level\s+WEATHER_APIS_LOG_LEVEL\s+debug\s+env$`,
	} {
		if !regexp.MustCompile(re).MatchString(b.String()) {
			t.Errorf("Print output does not match %s:\n%s", re, b.String())
		}
	}
}
