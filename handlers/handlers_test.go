package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/handlers"
	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

const (
	testAppID   = "weather_apis"
	testSecret  = "test-secret-0123456789"
	testVersion = "1.0.0"
)

func init() { gin.SetMode(gin.ReleaseMode) }

var creds = appapi.Credentials{AppID: testAppID, AppVersion: testVersion, AAVersion: "32.0.0", Secret: testSecret}

// newServer returns a Server over fakeDeps, changed by mod.
func newServer(t testing.TB, mod func(*handlers.Deps)) http.Handler {
	t.Helper()
	d := fakeDeps()
	if mod != nil {
		mod(&d)
	}
	s, err := handlers.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

// fakeDeps are fakes that answer like a healthy backend.
func fakeDeps() handlers.Deps {
	return handlers.Deps{
		AppID: testAppID, AppVersion: testVersion,
		Verifier:       appapi.NewVerifier(testAppID, testSecret),
		RequestTimeout: 2 * time.Second, MaxBodyBytes: 1024,
		Logger:    slog.New(slog.DiscardHandler),
		Lifecycle: &fakeLifecycle{},
		Admins:    fakeAdmins{},
		CacheAdm:  fakeCacheAdmin{}, Diag: fakeDoctor{}, Creds: &fakeCreds{}, Integr: refuseIntegrations,
		SetupChecks: fakeSetupChecks{map[string]any{}}, Metrics: nopMetrics{},
		OpenAPI: []byte(`{"openapi":"3.1.0"}`),
		Resources: &fakeResources{
			ReadFn: func(ctx context.Context, route string, p handlers.Params) (handlers.Answer, error) {
				switch p.ID {
				case "404":
					return handlers.Answer{XCache: "MISS"}, envelope.New(envelope.CodeNotFound, "Not found.").WithOrigin(envelope.SourceUpstream)
				case "405":
					return handlers.Answer{XCache: "HIT"}, envelope.New(envelope.CodeNotFound, "Not found.").WithOrigin(envelope.SourceCache)
				case "502":
					return handlers.Answer{XCache: "MISS"}, envelope.New(envelope.CodeUpstreamBadResponse, "refused")
				}
				return handlers.Answer{Status: 200, Body: []byte(`{"route":"` + route + `"}`), SchemaVersion: "1", Source: envelope.SourceCache, XCache: "HIT", CacheStatus: "weather_apis; hit", Age: 3 * time.Second}, nil
			},
			WriteFn: func(ctx context.Context, route string, p handlers.Params, body []byte) (handlers.Answer, error) {
				return handlers.Answer{Status: 201, Body: body, Source: envelope.SourceUpstream}, nil
			},
		},
		Occ: &fakeOcc{RunFn: func(ctx context.Context, cmd string, in handlers.OccInput) (string, error) {
			if cmd == "fail" {
				return "", errors.New("it broke")
			}
			return "ran " + cmd + "\n", nil
		}},
		Static: fstest.MapFS{
			"js/weather_apis-main.js":   {Data: []byte("console.log(1)")},
			"js/chunk-Bx7a9QeZ.js":      {Data: []byte("x")},
			"css/weather_apis-main.css": {Data: []byte("body{}")},
			"img/app.svg":               {Data: []byte("<svg/>")},
		},
	}
}

type req struct {
	method, path, body string
	user               *string // nil: unsigned
	headers            map[string]string
}

func strp(s string) *string { return &s }

var (
	admin = strp("admin")
	anon  = strp("")
)

func do(t testing.TB, h http.Handler, r req) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.user != nil {
		creds.Sign(hr.Header, *r.user)
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hr)
	return rec
}

// mustEnvelope decodes rec as an envelope and checks the invariants every
// API answer has.
func mustEnvelope(t testing.TB, rec *httptest.ResponseRecorder) envelope.Wire {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q; want application/json (body %q)", ct, rec.Body.String())
	}
	if rec.Header().Get("Cache-Control") == "" {
		t.Errorf("Cache-Control missing")
	}
	if rec.Header().Get("X-Request-Id") == "" {
		t.Errorf("X-Request-Id missing")
	}
	var w envelope.Wire
	dec := json.NewDecoder(strings.NewReader(rec.Body.String()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("body is not an envelope: %v: %q", err, rec.Body.String())
	}
	if w.RequestID != rec.Header().Get("X-Request-Id") {
		t.Errorf("request_id %q != X-Request-Id %q", w.RequestID, rec.Header().Get("X-Request-Id"))
	}
	if w.Version.App != testVersion || w.Version.Envelope != envelope.FormatVersion {
		t.Errorf("version = %+v", w.Version)
	}
	if (rec.Code >= 400) != (w.Error != nil) {
		t.Errorf("status %d but error = %v", rec.Code, w.Error)
	}
	if w.Error != nil && w.Error.Status != rec.Code {
		t.Errorf("error.status %d != HTTP %d", w.Error.Status, rec.Code)
	}
	return w
}

func TestRouter(t *testing.T) {
	h := newServer(t, nil)
	cases := []struct {
		name       string
		req        req
		wantStatus int
		wantCode   envelope.Code // "" = success envelope
		wantSource envelope.Source
		wantHeader map[string]string
	}{
		{"cached admin read", req{method: "GET", path: "/api/v1/admin/farms/schema", user: admin}, 200, "", envelope.SourceCache, map[string]string{"X-Cache": "HIT", "Age": "3", "Cache-Status": "weather_apis; hit"}},
		{"farm detail", req{method: "GET", path: "/api/v1/admin/farms/7", user: admin}, 200, "", envelope.SourceCache, nil},
		{"farm detail not found upstream", req{method: "GET", path: "/api/v1/admin/farms/404", user: admin}, 404, envelope.CodeNotFound, envelope.SourceUpstream, map[string]string{"X-Cache": "MISS"}},
		{"farm detail not found, cached", req{method: "GET", path: "/api/v1/admin/farms/405", user: admin}, 404, envelope.CodeNotFound, envelope.SourceCache, map[string]string{"X-Cache": "HIT"}},
		{"farm detail refused by weather_apis", req{method: "GET", path: "/api/v1/admin/farms/502", user: admin}, 502, envelope.CodeUpstreamBadResponse, envelope.SourceLocal, nil},
		{"farm id not a number", req{method: "GET", path: "/api/v1/admin/farms/abc", user: admin}, 400, envelope.CodeBadRequest, envelope.SourceLocal, nil},
		{"farm id zero", req{method: "GET", path: "/api/v1/admin/farms/0", user: admin}, 400, envelope.CodeBadRequest, envelope.SourceLocal, nil},
		{"create farm", req{method: "POST", path: "/api/v1/admin/farms", user: admin, body: `{"name":"x"}`}, 201, "", envelope.SourceUpstream, nil},
		{"create farm with invalid JSON", req{method: "POST", path: "/api/v1/admin/farms", user: admin, body: `{"name":`}, 400, envelope.CodeBadRequest, envelope.SourceLocal, nil},
		{"create farm body too large (declared)", req{method: "POST", path: "/api/v1/admin/farms", user: admin, body: `{"n":"` + strings.Repeat("x", 2000) + `"}`}, 413, envelope.CodePayloadTooLarge, envelope.SourceLocal, nil},
		{"admin route unsigned", req{method: "GET", path: "/api/v1/admin/farms"}, 401, envelope.CodeUnauthenticated, envelope.SourceLocal, nil},
		{"admin route with empty user", req{method: "GET", path: "/api/v1/admin/farms", user: anon}, 401, envelope.CodeUnauthenticated, envelope.SourceLocal, nil},
		{"admin route as a user who is not an administrator", req{method: "GET", path: "/api/v1/admin/farms", user: strp("alice")}, 403, envelope.CodeForbidden, envelope.SourceLocal, nil},
		{"admin write as a user who is not an administrator", req{method: "DELETE", path: "/api/v1/admin/farms/7", user: strp("alice")}, 403, envelope.CodeForbidden, envelope.SourceLocal, nil},
		{"admin route when Nextcloud cannot say", req{method: "GET", path: "/api/v1/admin/ping", user: strp("down")}, 503, envelope.CodeNextcloudUnavailable, envelope.SourceLocal, nil},
		{"non-admin user on an integration route is not asked about", req{method: "GET", path: "/api/v1/farms/1/state", user: strp("alice")}, 401, envelope.CodeUnauthenticated, envelope.SourceLocal, nil},
		{"admin route wrong secret", req{method: "GET", path: "/api/v1/admin/farms", headers: map[string]string{"EX-APP-ID": testAppID, "EX-APP-VERSION": "1", "AUTHORIZATION-APP-API": appapi.AuthValue("admin", "wrong")}}, 401, envelope.CodeUnauthenticated, envelope.SourceLocal, nil},
		{"integration route fails closed without credentials", req{method: "GET", path: "/api/v1/farms/1/state", user: anon}, 401, envelope.CodeUnauthenticated, envelope.SourceLocal, map[string]string{"WWW-Authenticate": `Bearer realm="weather_apis"`}},
		{"unknown path", req{method: "GET", path: "/nope", user: admin}, 404, envelope.CodeNotFound, envelope.SourceLocal, nil},
		{"unknown path unsigned", req{method: "GET", path: "/api/v2/whatever"}, 404, envelope.CodeNotFound, envelope.SourceLocal, nil},
		{"wrong method", req{method: "PATCH", path: "/api/v1/admin/farms/1", user: admin}, 405, envelope.CodeMethodNotAllowed, envelope.SourceLocal, nil},
		{"trailing slash is not redirected", req{method: "GET", path: "/api/v1/admin/farms/", user: admin}, 404, envelope.CodeNotFound, envelope.SourceLocal, nil},
		{"credentials list", req{method: "GET", path: "/api/v1/admin/credentials", user: admin}, 200, "", envelope.SourceLocal, nil},
		{"credential create with an unknown field", req{method: "POST", path: "/api/v1/admin/credentials", user: admin, body: `{"name":"a","admin":true}`}, 422, envelope.CodeValidationFailed, envelope.SourceLocal, nil},
		{"credential revoke while the store is down", req{method: "DELETE", path: "/api/v1/admin/credentials/down", user: admin}, 503, envelope.CodeStoreUnavailable, envelope.SourceLocal, nil},
		{"cache verify while the store is down", req{method: "POST", path: "/api/v1/admin/cache/verify", user: admin}, 503, envelope.CodeStoreUnavailable, envelope.SourceLocal, nil},
		{"cache flush of an unknown route", req{method: "DELETE", path: "/api/v1/admin/cache?route=bogus", user: admin}, 400, envelope.CodeBadRequest, envelope.SourceLocal, nil},
		{"diagnostics", req{method: "GET", path: "/api/v1/admin/diagnostics", user: admin}, 200, "", envelope.SourceLocal, nil},
		{"static file missing", req{method: "GET", path: "/js/nope.js", user: admin}, 404, envelope.CodeNotFound, envelope.SourceLocal, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, tc.req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("%s %s = %d; want %d (%s)", tc.req.method, tc.req.path, rec.Code, tc.wantStatus, rec.Body.String())
			}
			w := mustEnvelope(t, rec)
			if tc.wantCode == "" && w.Error != nil {
				t.Errorf("error = %+v; want none", w.Error)
			}
			if tc.wantCode != "" && (w.Error == nil || w.Error.Code != tc.wantCode) {
				t.Errorf("error = %+v; want code %s", w.Error, tc.wantCode)
			}
			if w.Source != tc.wantSource {
				t.Errorf("source = %q; want %q", w.Source, tc.wantSource)
			}
			for k, v := range tc.wantHeader { // v is a prefix: challenges may add parameters
				if got := rec.Header().Get(k); !strings.HasPrefix(got, v) {
					t.Errorf("header %s = %q; want %q…", k, got, v)
				}
			}
		})
	}
}

func TestMethodNotAllowedListsAllow(t *testing.T) {
	rec := do(t, newServer(t, nil), req{method: "PATCH", path: "/api/v1/admin/farms/1", user: admin})
	allow := rec.Header().Get("Allow")
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		if !strings.Contains(allow, m) {
			t.Errorf("Allow = %q; missing %s", allow, m)
		}
	}
}

func TestRequestIDFromAppAPI(t *testing.T) {
	h := newServer(t, nil)
	rec := do(t, h, req{method: "GET", path: "/api/v1/admin/farms", user: admin, headers: map[string]string{"AA-REQUEST-ID": "nc-req-42"}})
	if w := mustEnvelope(t, rec); w.RequestID != "nc-req-42" {
		t.Errorf("request_id = %q; want nc-req-42", w.RequestID)
	}
	rec = do(t, h, req{method: "GET", path: "/api/v1/admin/farms", user: admin, headers: map[string]string{"AA-REQUEST-ID": "bad id\"with quotes"}})
	if w := mustEnvelope(t, rec); w.RequestID == "" || strings.Contains(w.RequestID, "\"") {
		t.Errorf("unsafe AA-REQUEST-ID was echoed: %q", w.RequestID)
	}
}

func TestPanicIsEnvelope(t *testing.T) {
	h := newServer(t, func(d *handlers.Deps) {
		d.Resources = &fakeResources{} // nil ReadFn: panics
	})
	rec := do(t, h, req{method: "GET", path: "/api/v1/admin/farms", user: admin})
	if rec.Code != 500 {
		t.Fatalf("status = %d; want 500", rec.Code)
	}
	w := mustEnvelope(t, rec)
	if w.Error.Code != envelope.CodeInternal || strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("panic answer = %s", rec.Body.String())
	}
}

func TestSlowHandlerIsBounded(t *testing.T) {
	release := make(chan struct{})
	h := newServer(t, func(d *handlers.Deps) {
		d.RequestTimeout = 50 * time.Millisecond
		d.Resources = &fakeResources{ReadFn: func(ctx context.Context, route string, p handlers.Params) (handlers.Answer, error) {
			<-release // ignores ctx on purpose
			return handlers.Answer{Status: 200, Body: []byte(`{}`)}, nil
		}}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(release) // runs before srv.Close: the handler must end first
	r, _ := http.NewRequest("GET", srv.URL+"/api/v1/admin/farms", nil)
	creds.Sign(r.Header, "admin")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(r)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("status = %d; want 503", resp.StatusCode)
	}
	var w envelope.Wire
	if err := json.NewDecoder(resp.Body).Decode(&w); err != nil || w.Error == nil || w.Error.Code != envelope.CodeTimeout {
		t.Errorf("answer = %+v, %v; want TIMEOUT envelope", w, err)
	}
}

func TestChunkedBodyOverLimit(t *testing.T) {
	h := newServer(t, nil)
	r := httptest.NewRequest("POST", "/api/v1/admin/farms", io.MultiReader(strings.NewReader(`{"a":"`), strings.NewReader(strings.Repeat("x", 5000)), strings.NewReader(`"}`)))
	r.ContentLength = -1
	creds.Sign(r.Header, "admin")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 413 {
		t.Fatalf("status = %d; want 413", rec.Code)
	}
	mustEnvelope(t, rec)
}

func TestLifecycle(t *testing.T) {
	lc := &fakeLifecycle{}
	h := newServer(t, func(d *handlers.Deps) { d.Lifecycle = lc })
	cases := []struct {
		name       string
		req        req
		wantStatus int
		wantBody   string
	}{
		{"heartbeat unsigned", req{method: "GET", path: "/heartbeat"}, 200, `{"status":"ok"}`},
		{"init signed", req{method: "POST", path: "/init", user: anon}, 200, `{}`},
		{"init unsigned", req{method: "POST", path: "/init"}, 401, ""},
		{"enable", req{method: "PUT", path: "/enabled?enabled=1", user: anon}, 200, `{"error":""}`},
		{"disable", req{method: "PUT", path: "/enabled?enabled=0", user: anon}, 200, `{"error":""}`},
		{"enable bad value", req{method: "PUT", path: "/enabled?enabled=maybe", user: anon}, 400, `{"error":"query parameter enabled must be 1 or 0"}`},
		{"enabled unsigned", req{method: "PUT", path: "/enabled?enabled=1"}, 401, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, h, tc.req)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d; want %d (%s)", rec.Code, tc.wantStatus, rec.Body.String())
			}
			if rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
			}
			if tc.wantBody != "" && rec.Body.String() != tc.wantBody {
				t.Errorf("body = %q; want %q", rec.Body.String(), tc.wantBody)
			}
		})
	}
	if len(lc.inits) != 1 || len(lc.enabled) != 2 || lc.enabled[0] != true || lc.enabled[1] != false {
		t.Errorf("lifecycle calls: inits=%v enabled=%v", lc.inits, lc.enabled)
	}
	lc.failWith = errors.New("cannot register occ commands")
	rec := do(t, h, req{method: "PUT", path: "/enabled?enabled=1", user: anon})
	if rec.Body.String() != `{"error":"cannot register occ commands"}` {
		t.Errorf("failed enable body = %q", rec.Body.String())
	}
}

func TestOccHandler(t *testing.T) {
	h := newServer(t, nil)
	rec := do(t, h, req{method: "POST", path: "/occ/cache/stats", user: anon, body: `{"occ":{"arguments":null,"options":{"route":"x"}}}`})
	if rec.Code != 200 || rec.Body.String() != "ran cache/stats\n" {
		t.Errorf("occ = %d %q", rec.Code, rec.Body.String())
	}
	rec = do(t, h, req{method: "POST", path: "/occ/fail", user: anon, body: `{"occ":{}}`})
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "it broke") {
		t.Errorf("failing occ = %d %q", rec.Code, rec.Body.String())
	}
	if rec := do(t, h, req{method: "POST", path: "/occ/cache/stats"}); rec.Code != 401 {
		t.Errorf("unsigned occ = %d; want 401", rec.Code)
	}
}

func TestStaticContentTypesAndCaching(t *testing.T) {
	h := newServer(t, nil)
	cases := []struct{ path, ct, cc string }{
		{"/js/weather_apis-main.js", "text/javascript; charset=utf-8", "no-cache"},
		{"/js/chunk-Bx7a9QeZ.js", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable"},
		{"/css/weather_apis-main.css", "text/css; charset=utf-8", "no-cache"},
		{"/img/app.svg", "image/svg+xml", "no-cache"},
	}
	for _, tc := range cases {
		rec := do(t, h, req{method: "GET", path: tc.path, user: strp("alice")})
		if rec.Code != 200 || rec.Header().Get("Content-Type") != tc.ct || rec.Header().Get("Cache-Control") != tc.cc {
			t.Errorf("GET %s = %d %q %q; want 200 %q %q", tc.path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), tc.ct, tc.cc)
		}
	}
	if rec := do(t, h, req{method: "GET", path: "/js/../appinfo/info.xml", user: admin}); rec.Code == 200 {
		t.Errorf("path traversal served a file")
	}
}

// TestIDsReachResourcesCanonical: "/farms/007" and "/farms/7" are one
// resource; the id the resources service gets is canonical.
func TestIDsReachResourcesCanonical(t *testing.T) {
	var got []string
	h := newServer(t, func(d *handlers.Deps) {
		d.Resources = &fakeResources{ReadFn: func(ctx context.Context, route string, p handlers.Params) (handlers.Answer, error) {
			got = append(got, route+"/"+p.ID)
			return handlers.Answer{Status: 200, Body: []byte(`{}`), Source: envelope.SourceCache, XCache: "HIT"}, nil
		}}
	})
	for _, path := range []string{"/api/v1/admin/farms/007", "/api/v1/admin/farms/7"} {
		if rec := do(t, h, req{method: "GET", path: path, user: admin}); rec.Code != 200 {
			t.Fatalf("GET %s = %d", path, rec.Code)
		}
	}
	if strings.Join(got, ",") != "farm_detail/7,farm_detail/7" {
		t.Errorf("ids passed on = %v; want the canonical 7 twice", got)
	}
}
