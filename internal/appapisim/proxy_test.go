package appapisim

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

const proxyBase = "/index.php/apps/app_api/proxy/testapp/"

func TestProxyAccessLevels(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	tests := []struct {
		path, user string
		want       int
	}{
		{"api/admin/x", "admin", 200},
		{"api/admin/x", "alice", 404},
		{"api/admin/x", "", 404},
		{"api/farms", "alice", 200},
		{"api/farms", "", 404},
		{"api/public/x", "", 200},
		{"nothing", "admin", 404},
	}
	for _, tt := range tests {
		resp := e.do(t, http.MethodGet, proxyBase+tt.path, tt.user, nil, "")
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s as %q = %d, want %d", tt.path, tt.user, resp.StatusCode, tt.want)
		}
		if tt.want == 404 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("404 for %s should be an HTML page", tt.path)
		}
	}
	if resp := e.do(t, http.MethodGet, "/apps/app_api/proxy/testapp/api/farms", "alice", nil, ""); resp.StatusCode != 200 {
		t.Errorf("proxy without /index.php = %d", resp.StatusCode)
	}
	if resp := e.do(t, http.MethodGet, proxyBase+"api/farms", "alice:wrong", nil, ""); resp.StatusCode != 401 {
		t.Errorf("bad basic credentials = %d, want 401", resp.StatusCode)
	}
}

func TestProxyRejects(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	tests := []struct {
		name, method, path string
		want               int
	}{
		{"dotdot", "GET", proxyBase + "api/../api/admin/x", 404},
		{"encoded dotdot", "GET", proxyBase + "api/%2e%2e/api/admin/x", 404},
		{"encoded slash dotdot", "GET", proxyBase + "api%2f..%2fx", 404},
		{"unknown app", "GET", "/index.php/apps/app_api/proxy/other/api/farms", 404},
		{"patch", "PATCH", proxyBase + "api/farms", 405},
		{"head", "HEAD", proxyBase + "api/farms", 405},
	}
	for _, tt := range tests {
		if resp := e.do(t, tt.method, tt.path, "admin", nil, ""); resp.StatusCode != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
	if res := e.sim.Disable(t.Context(), false); res.ExitCode != 0 {
		t.Fatal(res.Output)
	}
	if resp := e.do(t, "GET", proxyBase+"api/farms", "admin", nil, ""); resp.StatusCode != 404 {
		t.Errorf("disabled app: %d, want 404", resp.StatusCode)
	}
}

func TestProxyHeaders(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	resp := e.do(t, http.MethodPost, proxyBase+"api/echo?a.b=1&x=1&x=2", "alice", map[string]string{
		"X-Origin-IP": "6.6.6.6", "AUTHORIZATION-APP-API": "spoof", "X-Secret": "kept-here", "Content-Type": "application/json",
	}, `{"k":1}`)
	if got := readBody(t, resp); got != `{"k":1}` {
		t.Errorf("body passed through = %q", got)
	}
	got, ok := e.exapp.last("/api/echo")
	if !ok {
		t.Fatal("ExApp saw no request")
	}
	raw, _ := base64.StdEncoding.DecodeString(got.Header.Get("AUTHORIZATION-APP-API"))
	checks := map[string][2]string{
		"X-Origin-IP":    {got.Header.Get("X-Origin-IP"), "127.0.0.1"},
		"auth user":      {strings.SplitN(string(raw), ":", 2)[0], "alice"},
		"EX-APP-ID":      {got.Header.Get("EX-APP-ID"), "testapp"},
		"EX-APP-VERSION": {got.Header.Get("EX-APP-VERSION"), "1.0.0"},
		"AA-VERSION":     {got.Header.Get("AA-VERSION"), "32.0.0"},
		"X-Secret":       {got.Header.Get("X-Secret"), "kept-here"}, // excluded only on the public route
		"query":          {got.Query, "a_b=1&x=2"},
		"basic auth":     {strings.SplitN(got.Header.Get("Authorization"), " ", 2)[0], "Basic"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if n := len(got.Header.Get("AA-REQUEST-ID")); n != 20 {
		t.Errorf("AA-REQUEST-ID length %d", n)
	}
	if got.Header.Get("Accept-Language") == "" {
		t.Error("Accept-Language missing")
	}
	for _, h := range []string{"EX-APP-ID", "AA-VERSION"} {
		if resp.Header.Get(h) != "" {
			t.Errorf("response header %s leaked", h)
		}
	}
	if resp.Header.Get("X-Custom") != "kept" {
		t.Error("X-Custom response header dropped")
	}

	e.do(t, http.MethodGet, proxyBase+"api/public/x", "", map[string]string{"X-Secret": "s"}, "")
	pub, _ := e.exapp.last("/api/public/x")
	if pub.Header.Get("X-Secret") != "" {
		t.Error("headers_to_exclude not applied")
	}
	if raw, _ := base64.StdEncoding.DecodeString(pub.Header.Get("AUTHORIZATION-APP-API")); !strings.HasPrefix(string(raw), ":") {
		t.Error("anonymous call must carry an empty user")
	}
}

func TestProxyCachingRule(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	tests := []struct {
		path       string
		wantCached bool
	}{
		{"api/x/json", false},
		{"api/x/jsonutf8", true},
		{"api/x/cached", false},
		{"api/x/plain", true},
		{"page.html", false},
	}
	for _, tt := range tests {
		resp := e.do(t, http.MethodGet, proxyBase+tt.path, "admin", nil, "")
		cc := resp.Header.Get("Cache-Control")
		if cached := cc == "private, max-age=3600, must-revalidate"; cached != tt.wantCached {
			t.Errorf("%s: Cache-Control %q, want cached=%v", tt.path, cc, tt.wantCached)
		}
	}
	body := readBody(t, e.do(t, http.MethodGet, proxyBase+"page.html", "admin", nil, ""))
	if strings.Count(body, `<script nonce="`) != 2 {
		t.Errorf("html scripts not nonced: %s", body)
	}
}

func TestProxyBruteforce(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	for range 3 {
		e.do(t, http.MethodGet, proxyBase+"api/admin/unauthorized", "admin", nil, "")
	}
	if got := e.sim.State().Bruteforce["proxy|127.0.0.1"]; got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
	e.do(t, http.MethodGet, proxyBase+"api/admin/ok", "admin", nil, "")
	if got := e.sim.State().Bruteforce["proxy|127.0.0.1"]; got != 0 {
		t.Errorf("attempts after 2xx = %d, want 0", got)
	}
}

func TestProxyExAppDown(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	e.sim.exapp.base.Host = "127.0.0.1:1"
	resp := e.do(t, http.MethodGet, proxyBase+"api/x", "admin", nil, "")
	if resp.StatusCode != 500 || readBody(t, resp) != "" {
		t.Errorf("connection failure = %d, want empty 500", resp.StatusCode)
	}
}
