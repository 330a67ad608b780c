package handlers_test

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/handlers"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

// samplePath is a concrete request path of a route.
func samplePath(p string) string {
	return strings.ReplaceAll(strings.ReplaceAll(p, ":id", "7"), "/*file", "/x.js")
}

// TestEveryAdminRouteChecksTheAdmin walks the route table: every ADMIN
// route refuses a signed-in user who is not a Nextcloud administrator
// (403), refuses when Nextcloud cannot say (503, never a pass), and lets an
// administrator through; no other route asks.
func TestEveryAdminRouteChecksTheAdmin(t *testing.T) {
	h := newServer(t, nil)
	admins := 0
	for _, r := range handlers.Routes() {
		path := samplePath(r.Path)
		body := ""
		if r.Method == "POST" || r.Method == "PUT" {
			body = `{}`
		}
		for _, tc := range []struct {
			user   string
			status int
			code   envelope.Code
		}{
			{"alice", 403, envelope.CodeForbidden},
			{"down", 503, envelope.CodeNextcloudUnavailable},
			{"admin", 0, ""},
		} {
			rec := do(t, h, req{method: r.Method, path: path, body: body, user: strp(tc.user)})
			w := mustEnvelopeOrRaw(t, rec)
			refusedAsAdmin := w != nil && w.Error != nil && (w.Error.Code == envelope.CodeForbidden && rec.Code == 403 || w.Error.Code == envelope.CodeNextcloudUnavailable)
			switch {
			case r.Access != handlers.Admin && refusedAsAdmin:
				t.Errorf("%s %s (%s) as %s = %d %s: only ADMIN routes check the admin", r.Method, path, r.Access, tc.user, rec.Code, rec.Body.String())
			case r.Access == handlers.Admin && tc.status != 0 && (rec.Code != tc.status || w == nil || w.Error == nil || w.Error.Code != tc.code):
				t.Errorf("%s %s as %s = %d %s; want %d %s", r.Method, path, tc.user, rec.Code, rec.Body.String(), tc.status, tc.code)
			case r.Access == handlers.Admin && tc.status == 0 && refusedAsAdmin:
				t.Errorf("%s %s as admin refused: %d %s", r.Method, path, rec.Code, rec.Body.String())
			}
		}
		if r.Access == handlers.Admin {
			admins++
		}
	}
	if admins < 10 {
		t.Fatalf("only %d admin routes in the table", admins)
	}
}

// mustEnvelopeOrRaw decodes an envelope when the answer is one (static
// files are not): nil otherwise.
func mustEnvelopeOrRaw(t *testing.T, rec *httptest.ResponseRecorder) *envelope.Wire {
	t.Helper()
	if rec.Header().Get("Content-Type") != "application/json" {
		return nil
	}
	var w envelope.Wire
	if json.Unmarshal(rec.Body.Bytes(), &w) != nil {
		return nil
	}
	return &w
}

// TestNewRequiresEveryDependency: a server cannot be built with a missing
// dependency, so no route has to guess what to answer without one.
func TestNewRequiresEveryDependency(t *testing.T) {
	_, err := handlers.New(handlers.Deps{AppID: testAppID, AppVersion: testVersion})
	if err == nil {
		t.Fatal("New without dependencies succeeded")
	}
	for _, name := range []string{"Admins", "Creds", "Integr", "Lifecycle", "Metrics", "Resources", "Verifier"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("New's error %q does not name %s", err, name)
		}
	}
}

// TestOccAsAUserNeedsAnAdmin: AppAPI runs occ without a user; a request
// that names one is an admin action of that user.
func TestOccAsAUserNeedsAnAdmin(t *testing.T) {
	h := newServer(t, nil)
	for _, tc := range []struct {
		user   string
		status int
		want   string
	}{
		{"", 200, "ran cache/stats"},
		{"admin", 200, "ran cache/stats"},
		{"alice", 403, "not in Nextcloud's admin group"},
		{"down", 503, "could not confirm"},
	} {
		rec := do(t, h, req{method: "POST", path: "/occ/cache/stats", user: strp(tc.user), body: `{"occ":{}}`})
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("occ as %q = %d %q; want %d containing %q", tc.user, rec.Code, rec.Body.String(), tc.status, tc.want)
		}
	}
}

// TestSetupChecksEndpoint: AppAPI's shape with a numeric Content-Length,
// signed with an empty user.
func TestSetupChecksEndpoint(t *testing.T) {
	report := map[string]any{"redis": map[string]any{"status": "error", "text": "Redis: down.", "link_url": "https://nc.example/x"}}
	h := newServer(t, func(d *handlers.Deps) { d.SetupChecks = fakeSetupChecks{report} })
	rec := do(t, h, req{method: "GET", path: "/setup_checks", user: anon})
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("setup checks = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
		t.Errorf("Content-Length = %q for %d bytes", cl, rec.Body.Len())
	}
	var got map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["redis"]["status"] != "error" {
		t.Errorf("body = %s (%v)", rec.Body.String(), err)
	}
	if rec := do(t, h, req{method: "GET", path: "/setup_checks"}); rec.Code != 401 {
		t.Errorf("unsigned = %d; want 401", rec.Code)
	}
	if rec := do(t, h, req{method: "GET", path: "/setup_checks", user: strp("alice")}); rec.Code != 403 {
		t.Errorf("as a non-admin user = %d; want 403", rec.Code)
	}
	rec = do(t, newServer(t, nil), req{method: "GET", path: "/setup_checks", user: anon})
	if rec.Code != 200 || rec.Body.String() != "{}" || rec.Header().Get("Content-Length") != "2" {
		t.Errorf("without checks = %d %q CL=%q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Length"))
	}
}
