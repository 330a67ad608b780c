package upstreamcontract

import (
	"strings"
	"testing"
)

// FuzzCheck asserts that Check never panics (nor recovers from a panic of
// kin-openapi) and keeps its invariants, whatever the request and the body.
// Seeds: f.Add below and testdata/fuzz/FuzzCheck/.
func FuzzCheck(f *testing.F) {
	f.Add("GET", "/api/v1/farms/", 200, body(f, "farm-list"))
	f.Add("GET", "/api/v1/farms/1/state", 200, body(f, "farm-state"))
	f.Add("GET", "/api/v1/farms/1/", 200, []byte(`{"id":1,"name":null,"tiles":[{"ndvi":{}}]}`))
	f.Add("GET", "/api/v1/farms/999/", 404, body(f, "farm-missing"))
	f.Add("POST", "/api/v1/auth/token/", 201, []byte(`{"username":1,"password":"p"}`))
	f.Add("get", "/api/v1/farms/1/state?x=1", 299, []byte(`[[[[[[[[[[]]]]]]]]]]`))
	f.Add("DELETE", "//", 0, []byte("\xff\xfe"))
	f.Add("", "", -1, []byte(nil))
	f.Add("GET", "/farms/{id}/", 200, []byte(`{"a/b~c":1e400}`))

	var contracts []*Contract
	for _, doc := range []string{"drf", "state", "v31", "yaml"} {
		contracts = append(contracts, mustParse(f, doc))
	}
	f.Fuzz(func(t *testing.T, method, path string, status int, body []byte) {
		for _, c := range contracts {
			r := c.Check(method, path, status, body)
			if n := c.panics.Load(); n != 0 {
				t.Fatalf("Check(%q, %q, %d, %q) recovered from a panic", method, path, status, body)
			}
			if r.Violation != nil && !r.Described {
				t.Fatalf("violation on an answer that is not described: %+v", r)
			}
			if r.Described && r.Operation == "" {
				t.Fatalf("described answer without an operation: %+v", r)
			}
			if v := r.Violation; v != nil && (v.Message == "" || v.Pointer != "" && !strings.HasPrefix(v.Pointer, "/")) {
				t.Fatalf("malformed violation %+v", v)
			}
		}
	})
}
