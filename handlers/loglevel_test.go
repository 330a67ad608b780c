package handlers_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/handlers"
)

// TestClientErrorsStayBelowWarn: WARN and above reach nextcloud.log
// (internal/nextcloud.LogHandler), so what a client gets wrong — bad ids,
// bad bodies, unknown routes and methods, missing credentials — is logged
// at INFO at most; what the service gets wrong is WARN.
func TestClientErrorsStayBelowWarn(t *testing.T) {
	var buf bytes.Buffer
	h := newServer(t, func(d *handlers.Deps) {
		d.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for _, r := range []req{
		{method: "GET", path: "/api/v1/admin/farms/abc", user: admin},
		{method: "POST", path: "/api/v1/admin/farms", body: `{"name":`, user: admin, headers: map[string]string{"Content-Type": "application/json"}},
		{method: "POST", path: "/api/v1/admin/farms", body: strings.Repeat("x", 4096), user: admin, headers: map[string]string{"Content-Type": "application/json"}},
		{method: "GET", path: "/api/v1/nope", user: admin},
		{method: "PATCH", path: "/api/v1/admin/farms", user: admin},
		{method: "GET", path: "/api/v1/farms/1/state", user: anon},
		{method: "GET", path: "/api/v1/observations?page=abc", user: anon, headers: map[string]string{"X-API-Key": "wak_nonsense"}},
	} {
		rec := do(t, h, r)
		if rec.Code < 400 || rec.Code >= 500 {
			t.Errorf("%s %s = %d; want a 4xx", r.method, r.path, rec.Code)
		}
	}
	if strings.Contains(buf.String(), "level=WARN") || strings.Contains(buf.String(), "level=ERROR") {
		t.Errorf("client errors logged at WARN or above (they would reach nextcloud.log):\n%s", buf.String())
	}

	// A failure of the service itself is WARN.
	buf.Reset()
	if rec := do(t, h, req{method: "GET", path: "/api/v1/admin/farms/502", user: admin}); rec.Code != 502 {
		t.Fatalf("GET farm 502 = %d", rec.Code)
	}
	if !strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("an upstream failure was not logged at WARN:\n%s", buf.String())
	}
}
