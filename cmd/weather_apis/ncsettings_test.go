package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/config"
)

// fakeNextcloud answers AppAPI's ex-app/config/get-values with vals in an
// OCS v1 envelope (as internal/nextcloud's AppConfigValues reads it); nil
// vals answer 500.
func fakeNextcloud(t *testing.T, vals map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if vals == nil || !strings.HasSuffix(r.URL.Path, "/ex-app/config/get-values") {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		rows := []map[string]string{}
		for k, v := range vals {
			rows = append(rows, map[string]string{"configkey": k, "configvalue": v})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ocs": map[string]any{
			"meta": map[string]any{"status": "ok", "statuscode": 100, "message": "OK"}, "data": rows}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestNextcloudSettingsLayer(t *testing.T) {
	tests := []struct {
		name      string
		nc        map[string]string // nil: Nextcloud fails
		env       []string
		wantURL   string
		wantUser  string
		wantSrc   map[string]config.Source
		wantLog   []string
		forbidLog []string
	}{
		{"applied over defaults", map[string]string{"upstream_url": "http://drf:8000/", "upstream_username": "svc", "upstream_password": "pw-XYZ"}, nil,
			"http://drf:8000", "svc", map[string]config.Source{"upstream.url": config.SourceNextcloud, "upstream.password": config.SourceNextcloud},
			[]string{"using a value from the Nextcloud admin settings"}, []string{"pw-XYZ"}},
		{"environment wins", map[string]string{"upstream_url": "http://drf:8000", "upstream_username": "svc"}, []string{"WEATHER_APIS_UPSTREAM_USERNAME=envuser"},
			"http://drf:8000", "envuser", map[string]config.Source{"upstream.username": config.SourceEnv}, nil, nil},
		{"bad value rejected, old kept", map[string]string{"upstream_url": "ftp://drf", "upstream_username": "svc"}, nil,
			"http://127.0.0.1:8000", "svc", map[string]config.Source{"upstream.url": config.SourceDefault, "upstream.username": config.SourceNextcloud},
			[]string{"rejected", "upstream.url (WEATHER_APIS_UPSTREAM_URL, from Nextcloud admin settings): must be an http:// or https:// URL"}, nil},
		{"empty values unset", map[string]string{"upstream_url": "", "upstream_username": ""}, nil,
			"http://127.0.0.1:8000", "weather_svc", map[string]config.Source{"upstream.url": config.SourceDefault}, nil, nil},
		{"Nextcloud down", nil, nil, "http://127.0.0.1:8000", "weather_svc", map[string]config.Source{"upstream.url": config.SourceDefault},
			[]string{"not read"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := append([]string{"APP_SECRET=s", "NEXTCLOUD_URL=" + fakeNextcloud(t, tc.nc)}, tc.env...)
			cfg, err := config.Load(env, "1.0.0")
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			applyNextcloudSettings(context.Background(), cfg, appapi.Credentials{AppID: "weather_apis", Secret: "s"},
				slog.New(slog.NewTextHandler(&logs, nil)))
			if cfg.Upstream.URL != tc.wantURL || cfg.Upstream.Username != tc.wantUser {
				t.Errorf("upstream = %q %q; want %q %q", cfg.Upstream.URL, cfg.Upstream.Username, tc.wantURL, tc.wantUser)
			}
			for _, e := range cfg.Redacted() {
				if want, ok := tc.wantSrc[e.Key]; ok && e.Source != want {
					t.Errorf("source(%s) = %q; want %q", e.Key, e.Source, want)
				}
			}
			for _, w := range tc.wantLog {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, logs.String())
				}
			}
			for _, f := range tc.forbidLog {
				if strings.Contains(logs.String()+cfg.String(), f) {
					t.Errorf("log or Print reveals %q", f)
				}
			}
		})
	}
}

func TestCheckConfigShowsSources(t *testing.T) {
	yaml := filepath.Join(t.TempDir(), "weather_apis.yaml")
	if err := os.WriteFile(yaml, []byte("cache:\n  ttl: 7m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		nc         map[string]string
		want       []string // regexps on stdout
		wantStderr string
	}{
		{"every layer", map[string]string{"upstream_username": "svc", "upstream_password": "pw-XYZ"}, []string{
			`(?m)^upstream\.username\s+WEATHER_APIS_UPSTREAM_USERNAME\s+svc\s+nextcloud$`,
			`(?m)^upstream\.password\s+WEATHER_APIS_UPSTREAM_PASSWORD\s+<redacted>\s+nextcloud$`,
			`(?m)^cache\.ttl\s+WEATHER_APIS_CACHE_TTL\s+7m\s+file$`,
			`(?m)^app\.secret\s+APP_SECRET\s+<redacted>\s+env$`,
			`(?m)^upstream\.timeout\s+WEATHER_APIS_UPSTREAM_TIMEOUT\s+10s\s+default$`,
		}, ""},
		{"rejected value", map[string]string{"upstream_url": "not a url"}, []string{
			`(?m)^upstream\.url\s+WEATHER_APIS_UPSTREAM_URL\s+http://127\.0\.0\.1:8000\s+default$`,
		}, "upstream.url (WEATHER_APIS_UPSTREAM_URL, from Nextcloud admin settings)"},
		{"Nextcloud down", nil, []string{`(?m)^upstream\.username\s+\S+\s+weather_svc\s+default$`}, "not read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := []string{"APP_SECRET=app-secret-XYZ", "NEXTCLOUD_URL=" + fakeNextcloud(t, tc.nc), "WEATHER_APIS_CONFIG=" + yaml}
			if code := run([]string{"check-config"}, env, &out, &errb); code != 0 {
				t.Fatalf("check-config exit %d: %s", code, errb.String())
			}
			for _, re := range tc.want {
				if !regexp.MustCompile(re).MatchString(out.String()) {
					t.Errorf("output does not match %s:\n%s", re, out.String())
				}
			}
			if !strings.Contains(errb.String(), tc.wantStderr) {
				t.Errorf("stderr lacks %q: %s", tc.wantStderr, errb.String())
			}
			if all := out.String() + errb.String(); strings.Contains(all, "pw-XYZ") || strings.Contains(all, "app-secret-XYZ") {
				t.Errorf("check-config reveals a secret:\n%s", all)
			}
		})
	}
}
