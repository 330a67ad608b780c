package upstreamcontract

import (
	"fmt"
	"strings"
	"testing"
)

// routeDoc is an OpenAPI document whose every GET answers 200 with any JSON
// object, so that only routing decides Check's Operation.
func routeDoc(servers []string, paths ...string) []byte {
	var ps, ss []string
	for _, p := range paths {
		ps = append(ps, fmt.Sprintf(`%q:{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{"type":"object"}}}}}}}`, p))
	}
	for _, s := range servers {
		ss = append(ss, fmt.Sprintf(`{"url":%q}`, s))
	}
	return []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"servers":[` + strings.Join(ss, ",") +
		`],"paths":{` + strings.Join(ps, ",") + `}}`)
}

func TestRouting(t *testing.T) {
	t.Parallel()
	paths := []string{
		"/api/v1/farms/",
		"/api/v1/farms/{id}/",
		"/api/v1/farms/new/",
		"/api/v1/farms/{id}/state",
		"/api/v1/farms/{farm}/tiles/{z}",
		"/api/v1/farms/{id}/tiles/latest",
		"/api/v1/admin/farms/schema",
		"/api/v1/exports/farms.{format}",
		"/api/v1/exports/{name}.csv",
		"/api/v1/caf\u00e9/",
		"/",
	}
	c, err := Parse(routeDoc([]string{"https://upstream.example.org/base", "/proxy/drf/"}, paths...))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want string // template, "" for none
	}{
		{"/api/v1/farms/", "/api/v1/farms/"},
		{"/api/v1/farms/7/", "/api/v1/farms/{id}/"},
		{"/api/v1/farms/new/", "/api/v1/farms/new/"},          // literal beats template
		{"/api/v1/farms/7/state", "/api/v1/farms/{id}/state"}, // no trailing slash in DRF's route
		{"/api/v1/farms/7/state/", ""},                        // so none here
		{"/api/v1/farms/7", ""},                               // DRF's routes end with "/"
		{"/api/v1/farms//", ""},                               // a parameter is never empty
		{"/api/v1/farms/7/tiles/14", "/api/v1/farms/{farm}/tiles/{z}"},
		{"/api/v1/farms/7/tiles/latest", "/api/v1/farms/{id}/tiles/latest"}, // first differing segment decides
		{"/api/v1/admin/farms/schema", "/api/v1/admin/farms/schema"},
		{"/api/v1/admin/farms/schema/", ""},
		{"/api/v1/exports/farms.json", "/api/v1/exports/farms.{format}"}, // mixed segment
		{"/api/v1/exports/fields.csv", "/api/v1/exports/{name}.csv"},
		{"/api/v1/exports/farms.", ""},
		{"/api/v1/caf%C3%A9/", "/api/v1/caf\u00e9/"},     // percent-encoded literal
		{"/api/v1/farms/?page=2", "/api/v1/farms/"},      // a query is not part of the path
		{"/base/api/v1/farms/7/", "/api/v1/farms/{id}/"}, // server base path
		{"/proxy/drf/api/v1/farms/new/", "/api/v1/farms/new/"},
		{"/proxy/drf", ""},
		{"/proxy/drf/", "/"},
		{"/", "/"},
		{"", ""},
		{"api/v1/farms/", ""},
		{"/API/V1/FARMS/", ""}, // case matters, as in Django
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got := c.Check("GET", tt.path, 200, []byte(`{}`))
			want := ""
			if tt.want != "" {
				want = "GET " + tt.want
			}
			if got.Operation != want {
				t.Errorf("Check(GET %q).Operation = %q, want %q", tt.path, got.Operation, want)
			}
			if got.Described != (want != "") {
				t.Errorf("Check(GET %q).Described = %v", tt.path, got.Described)
			}
		})
	}
}

func TestServerBasePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		servers string
		path    string
		want    string
	}{
		{`[{"url":"https://x.example/api/v1/"}]`, "/api/v1/farms/", "GET /farms/"},
		{`[{"url":"/api/v1"}]`, "/api/v1/farms/", "GET /farms/"},
		{`[{"url":"{scheme}://x.example/{v}","variables":{"scheme":{"default":"https"},"v":{"default":"api/v2"}}}]`, "/api/v2/farms/", "GET /farms/"},
		{`[{"url":"https://x.example"}]`, "/farms/", "GET /farms/"},
		{`[{"url":"https://x.example/api"}]`, "/apifarms/", ""}, // a base path ends at a "/"
	}
	for _, tt := range tests {
		t.Run(tt.servers, func(t *testing.T) {
			doc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"servers":` + tt.servers +
				`,"paths":{"/farms/":{"get":{"responses":{"200":{"description":""}}}}}}`
			c, err := Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Check("GET", tt.path, 200, nil).Operation; got != tt.want {
				t.Errorf("Operation = %q, want %q", got, tt.want)
			}
		})
	}
}
