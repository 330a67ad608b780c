package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// lifecyclePath reports paths whose answers use AppAPI's own shapes or are
// files: everything else must be an envelope.
func lifecyclePath(p string) bool {
	return p == "/heartbeat" || p == "/init" || p == "/enabled" || strings.HasPrefix(p, "/occ/") ||
		p == "/api/v1/openapi.json" || strings.HasPrefix(p, "/js/") || strings.HasPrefix(p, "/css/") ||
		strings.HasPrefix(p, "/img/") || strings.HasPrefix(p, "/l10n/")
}

// FuzzEnvelope proves that for any method, path, headers and body the
// answer to an API path is a valid envelope with a truthful status.
func FuzzEnvelope(f *testing.F) {
	seeds := []struct {
		method, path, hdrName, hdrVal, body string
		sign                                bool
	}{
		{"GET", "/api/v1/admin/farms/schema", "", "", "", true},
		{"POST", "/api/v1/admin/farms", "Content-Type", "application/json", `{"name":"x"}`, true},
		{"PUT", "/api/v1/admin/farms/1", "", "", `{`, true},
		{"DELETE", "/api/v1/admin/farms/99999999999999999999", "", "", "", true},
		{"PATCH", "/api/v1/observations", "X-API-Key", "wa_k_x", "", false},
		{"GET", "/api/v1/farms/1/state", "Authorization", "Bearer x.y.z", "", true},
		{"BREW", "/%zz", "AA-REQUEST-ID", "\x00", "", false},
		{"GET", "/api/v1/admin/farms/1", "AUTHORIZATION-APP-API", "!!!", "", false},
		{"POST", "/api/v1/admin/credentials", "", "", strings.Repeat("[", 3000), true},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.hdrName, s.hdrVal, s.body, s.sign)
	}
	h := newServer(f, nil)
	f.Fuzz(func(t *testing.T, method, path, hdrName, hdrVal, body string, sign bool) {
		if !validMethod(method) || len(path) == 0 || path[0] != '/' || strings.ContainsAny(path, " \t\r\n#?") {
			t.Skip()
		}
		r, err := http.NewRequest(method, "http://x"+path, strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		if sign {
			creds.Sign(r.Header, "admin")
		}
		if hdrName != "" && validHeaderName(hdrName) {
			r.Header[hdrName] = []string{hdrVal}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if lifecyclePath(r.URL.Path) && (rec.Code < 400 || r.URL.Path == "/enabled" || strings.HasPrefix(r.URL.Path, "/occ/")) {
			return
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %q: Content-Type %q; body %q", method, path, ct, rec.Body.String())
		}
		if rec.Header().Get("Cache-Control") == "" || rec.Header().Get("X-Request-Id") == "" {
			t.Fatalf("%s %q: missing Cache-Control or X-Request-Id", method, path)
		}
		var w envelope.Wire
		if err := json.Unmarshal(rec.Body.Bytes(), &w); err != nil {
			t.Fatalf("%s %q: not JSON: %v: %q", method, path, err, rec.Body.String())
		}
		var m map[string]json.RawMessage
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		for _, k := range []string{"data", "error", "source", "version", "request_id"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("%s %q: member %s missing: %s", method, path, k, rec.Body.String())
			}
		}
		if (rec.Code >= 400) != (w.Error != nil) {
			t.Fatalf("%s %q: status %d with error %v", method, path, rec.Code, w.Error)
		}
		if w.Error != nil && (w.Error.Status != rec.Code || w.Error.Code == "") {
			t.Fatalf("%s %q: error %+v vs status %d", method, path, w.Error, rec.Code)
		}
		if w.RequestID != rec.Header().Get("X-Request-Id") {
			t.Fatalf("request_id %q != header %q", w.RequestID, rec.Header().Get("X-Request-Id"))
		}
	})
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func validHeaderName(n string) bool {
	if len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c == '-' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
