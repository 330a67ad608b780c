package appapisim

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func TestHarpPath(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	tests := []struct {
		method, path, user string
		want               int
		body               string
	}{
		{"GET", "/exapps/testapp/api/admin/x", "admin", 200, ""},
		{"PATCH", "/exapps/testapp/api/farms", "alice", 200, ""}, // verbs are ignored
		{"GET", "/exapps/testapp/api/admin/x", "alice", 403, "403 Forbidden"},
		{"GET", "/exapps/testapp/api/farms", "", 403, "403 Forbidden"},
		{"GET", "/exapps/testapp/API/farms", "admin", 404, "404 Not Found"}, // case-sensitive
		{"GET", "/exapps/testapp/nothing", "admin", 404, "404 Not Found"},
		{"GET", "/exapps/other/api/farms", "admin", 404, "404 Not Found"},
	}
	for _, tt := range tests {
		resp := e.do(t, tt.method, tt.path, tt.user, nil, "")
		body := readBody(t, resp)
		if resp.StatusCode != tt.want || tt.body != "" && body != tt.body {
			t.Errorf("%s %s as %q = %d %q, want %d %q", tt.method, tt.path, tt.user, resp.StatusCode, body, tt.want, tt.body)
		}
	}
	e.do(t, "GET", "/exapps/testapp/api/farms?x.y=1&x.y=2", "alice", map[string]string{"X-Origin-IP": "1.2.3.4"}, "")
	got, _ := e.exapp.last("/api/farms")
	raw, _ := base64.StdEncoding.DecodeString(got.Header.Get("AUTHORIZATION-APP-API"))
	if got.Header.Get("AA-VERSION") != "32" || !strings.HasPrefix(string(raw), "alice:") || got.Query != "x.y=1&x.y=2" ||
		got.Header.Get("X-Origin-IP") != "1.2.3.4" || got.Header.Get("AA-REQUEST-ID") != "" {
		t.Errorf("HaRP forwarded %v query %q", got.Header, got.Query)
	}
	// Client calls to lifecycle endpoints are dropped without an answer.
	req, _ := http.NewRequest("GET", e.simURL+"/exapps/testapp/heartbeat", nil)
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("heartbeat via HaRP answered %d, want a dropped connection", resp.StatusCode)
	}
}

func TestUnixSocketMode(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, true)
	e.register(t)
	hb, _ := e.exapp.last("/heartbeat")
	if !e.exapp.signed(toRequest(hb)) || hb.Header.Get("AA-VERSION") != "32" || hb.Header.Get("harp-shared-key") == "" {
		t.Errorf("HaRP heartbeat headers = %v", hb.Header)
	}
	if resp := e.do(t, "GET", proxyBase+"api/farms", "alice", nil, ""); resp.StatusCode != 200 {
		t.Errorf("PHP proxy over socket = %d", resp.StatusCode)
	}
	if got, _ := e.exapp.last("/api/farms"); got.Header.Get("AA-VERSION") != "32" {
		t.Errorf("proxied AA-VERSION under HaRP = %q", got.Header.Get("AA-VERSION"))
	}
	if resp := e.do(t, "GET", "/exapps/testapp/api/farms", "alice", nil, ""); resp.StatusCode != 200 {
		t.Errorf("HaRP path over socket = %d", resp.StatusCode)
	}
	if env := e.sim.ExAppEnv(); env["HP_SHARED_KEY"] == "" || env["HP_EXAPP_SOCK"] == "" {
		t.Errorf("env = %v", env)
	}
}

func toRequest(s seen) *http.Request {
	return &http.Request{Header: s.Header}
}
