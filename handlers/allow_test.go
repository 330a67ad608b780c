package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/handlers"
)

// TestAllowTellsTheTruth: for every route path, a 405's Allow header lists
// only methods that are then not answered 405 on that path, and HEAD is
// answered on every path that has GET (like GET, without a body).
func TestAllowTellsTheTruth(t *testing.T) {
	h := newServer(t, nil)
	methods := []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	for _, r := range handlers.Routes() {
		path := strings.NewReplacer(":id", "7", "*command", "x").Replace(r.Path)
		for _, m := range methods {
			rec := do(t, h, req{method: m, path: path, user: admin})
			if rec.Code != http.StatusMethodNotAllowed {
				continue
			}
			allow := rec.Header().Get("Allow")
			if allow == "" {
				t.Errorf("%s %s: 405 without Allow", m, path)
			}
			for _, a := range strings.Split(allow, ",") {
				a = strings.TrimSpace(a)
				if got := do(t, h, req{method: a, path: path, user: admin}); got.Code == http.StatusMethodNotAllowed {
					t.Errorf("%s %s: Allow %q lists %s, which answers 405", m, path, allow, a)
				}
			}
		}
		if r.Method == http.MethodGet {
			get := do(t, h, req{method: "GET", path: path, user: admin})
			head := do(t, h, req{method: "HEAD", path: path, user: admin})
			if head.Code != get.Code {
				t.Errorf("HEAD %s = %d; GET = %d", path, head.Code, get.Code)
			}
			if head.Body.Len() != 0 {
				t.Errorf("HEAD %s has a body of %d bytes", path, head.Body.Len())
			}
		}
	}
}
