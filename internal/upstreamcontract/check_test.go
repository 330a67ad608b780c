package upstreamcontract

import (
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	type want struct {
		described bool
		operation string
		pointer   string // checked when message != ""
		message   string // "" means no violation
	}
	tests := []struct {
		name   string
		doc    string
		method string
		path   string
		status int
		body   []byte
		want   want
	}{
		// DRF's document, real answers of the demo backend.
		{"farm list page", "drf", "GET", "/api/v1/farms/", 200, body(t, "farm-list"),
			want{true, "GET /api/v1/farms/", "", ""}},
		{"farm detail", "drf", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail"),
			want{true, "GET /api/v1/farms/{id}/", "", ""}},
		{"50-item observation page", "drf", "GET", "/api/v1/observations/", 200, body(t, "observation-page"),
			want{true, "GET /api/v1/observations/", "", ""}},
		{"farm state: DRF's placeholder schema describes nothing", "drf", "GET", "/api/v1/farms/1/state", 200, body(t, "farm-state"),
			want{false, "GET /api/v1/farms/{id}/state", "", ""}},
		{"farm state", "state", "GET", "/api/v1/farms/1/state", 200, body(t, "farm-state"),
			want{true, "GET /api/v1/farms/{farm}/state", "", ""}},
		{"method in lower case", "drf", "get", "/api/v1/farms/1/", 200, body(t, "farm-detail"),
			want{true, "GET /api/v1/farms/{id}/", "", ""}},

		// Violations.
		{"number turned into an object", "state", "GET", "/api/v1/farms/1/state", 200,
			body(t, "farm-state", set("ndvi", map[string]any{"value": 0.2})),
			want{true, "GET /api/v1/farms/{farm}/state", "/ndvi", "value must be a number"}},
		{"nested number out of range", "state", "GET", "/api/v1/farms/1/state", 200,
			body(t, "farm-state", set("ndvi", 1.5, "tiles", 1)),
			want{true, "GET /api/v1/farms/{farm}/state", "/tiles/1/ndvi", "number must be at most 1"}},
		{"missing required member", "drf", "GET", "/api/v1/farms/1/", 200,
			body(t, "farm-detail", del("name")),
			want{true, "GET /api/v1/farms/{id}/", "", `property "name" is missing`}},
		{"missing required nested member", "state", "GET", "/api/v1/farms/1/state", 200,
			body(t, "farm-state", del("ndvi", "tiles", 0)),
			want{true, "GET /api/v1/farms/{farm}/state", "/tiles/0", `property "ndvi" is missing`}},
		{"renamed required member in page results", "drf", "GET", "/api/v1/farms/", 200,
			body(t, "farm-list", rename("name", "title", "results", 0)),
			want{true, "GET /api/v1/farms/", "/results/0", `property "name" is missing`}},
		{"renamed id in page results: DRF leaves readOnly id out of required", "drf", "GET", "/api/v1/farms/", 200,
			body(t, "farm-list", rename("id", "pk", "results", 0)),
			want{true, "GET /api/v1/farms/", "", ""}},
		{"renamed id in page results, id required", "v31", "GET", "/api/v1/farms/", 200,
			body(t, "farm-list", rename("id", "pk", "results", 0)),
			want{true, "GET /farms/", "/results/0", `property "id" is missing`}},
		{"empty object as a page: DRF's page envelope requires nothing", "drf", "GET", "/api/v1/farms/", 200, []byte(`{}`),
			want{true, "GET /api/v1/farms/", "", ""}},
		{"first violation in member order", "drf", "GET", "/api/v1/farms/1/", 200,
			body(t, "farm-detail", set("name", 7), set("area_ha", "big"), del("crop")),
			want{true, "GET /api/v1/farms/{id}/", "/area_ha", "value must be a number"}},
		{"enum", "drf", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("crop", "tulips")),
			want{true, "GET /api/v1/farms/{id}/", "/crop", `value is not one of the allowed values ["wheat","maize","barley","soy","rice","sunflower","potato","vineyard","olive","orchard","fallow"]`}},
		{"null where not nullable", "drf", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("name", nil)),
			want{true, "GET /api/v1/farms/{id}/", "/name", "value must not be null"}},
		{"bad date-time", "drf", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("updated_at", "yesterday")),
			want{true, "GET /api/v1/farms/{id}/", "/updated_at", `value doesn't match the format "date-time"`}},
		{"not JSON", "drf", "GET", "/api/v1/farms/1/", 200, []byte("<html>502 Bad Gateway</html>"),
			want{true, "GET /api/v1/farms/{id}/", "", "body is not valid JSON"}},
		{"empty body", "drf", "GET", "/api/v1/farms/1/", 200, nil,
			want{true, "GET /api/v1/farms/{id}/", "", "body is not valid JSON"}},
		{"array instead of page", "drf", "GET", "/api/v1/farms/", 200, []byte(`[]`),
			want{true, "GET /api/v1/farms/", "", "value must be an object"}},
		{"pointer escapes ~ and /", "yaml", "GET", "/farms/7/", 200, []byte(`{"id":7,"name":"A","a/b~c":1}`),
			want{true, "GET /farms/{id}/", "", `property "a/b~c" is unsupported`}},

		// Tolerance.
		{"nullable member null", "drf", "GET", "/api/v1/observations/", 200, body(t, "observation-page", set("next", nil)),
			want{true, "GET /api/v1/observations/", "", ""}},
		{"readOnly member null (DRF renders None as null)", "drf", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("created_at", nil)),
			want{true, "GET /api/v1/farms/{id}/", "", ""}},
		{"unknown format", "drf", "GET", "/api/v1/observations/", 200, body(t, "observation-page", set("next", "page two")),
			want{true, "GET /api/v1/observations/", "", ""}},
		{"integer typed number", "drf", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("area_ha", 577)),
			want{true, "GET /api/v1/farms/{id}/", "", ""}},
		{"additional member", "drf", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("ndvi_mean", 0.4)),
			want{true, "GET /api/v1/farms/{id}/", "", ""}},
		{"readOnly member in a response", "v31", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail"),
			want{true, "GET /farms/{id}/", "", ""}},

		// Not described.
		{"unknown path", "drf", "GET", "/api/v1/barns/", 200, []byte(`{}`), want{false, "", "", ""}},
		{"unknown method", "drf", "TRACE", "/api/v1/farms/", 200, []byte(`{}`), want{false, "", "", ""}},
		{"status the document does not describe", "drf", "GET", "/api/v1/farms/999/", 404, body(t, "farm-missing"),
			want{false, "GET /api/v1/farms/{id}/", "", ""}},
		{"token pair answers 200, DRF documents 201", "drf", "POST", "/api/v1/auth/token/", 200, []byte(`{"refresh":"r","access":"a"}`),
			want{false, "POST /api/v1/auth/token/", "", ""}},
		{"no JSON content (DELETE 204)", "drf", "DELETE", "/api/v1/farms/1/", 204, nil,
			want{false, "DELETE /api/v1/farms/{id}/", "", ""}},
		{"trailing slash missing", "drf", "GET", "/api/v1/farms/1", 200, body(t, "farm-detail"), want{false, "", "", ""}},
		{"trailing slash added", "drf", "GET", "/api/v1/admin/farms/schema/", 200, []byte(`{}`), want{false, "", "", ""}},
		{"admin schema: placeholder schema", "drf", "GET", "/api/v1/admin/farms/schema", 200, []byte(`{"schema_version":1}`),
			want{false, "GET /api/v1/admin/farms/schema", "", ""}},

		// OpenAPI 3.1, hand-written.
		{"3.1 page through the server base path", "v31", "GET", "/api/v1/farms/", 200, body(t, "farm-list"),
			want{true, "GET /farms/", "", ""}},
		{"3.1 without the base path", "v31", "GET", "/farms/", 200, body(t, "farm-list"),
			want{true, "GET /farms/", "", ""}},
		{"3.1 type array with null", "v31", "GET", "/api/v1/farms/1/state", 200, body(t, "farm-state", set("ndvi", nil)),
			want{true, "GET /farms/{id}/state", "", ""}},
		{"3.1 type array rejects a string", "v31", "GET", "/api/v1/farms/1/state", 200, body(t, "farm-state", set("ndvi", "0.2")),
			want{true, "GET /farms/{id}/state", "/ndvi", "value must be one of number, null"}},
		{"3.1 null string", "v31", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("notes", nil)),
			want{true, "GET /farms/{id}/", "", ""}},
		{"3.1 readOnly member null is not tolerated", "v31", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("updated_at", nil)),
			want{true, "GET /farms/{id}/", "/updated_at", "value must not be null"}},
		{"3.1 unknown format", "v31", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("code", "any text")),
			want{true, "GET /farms/{id}/", "", ""}},
		{"3.1 const", "v31", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("kind", "barn")),
			want{true, "GET /farms/{id}/", "/kind", `value is not one of the allowed values ["farm"]`}},
		{"3.1 exclusiveMinimum", "v31", "GET", "/api/v1/farms/1/", 200, body(t, "farm-detail", set("area_ha", 0)),
			want{true, "GET /farms/{id}/", "/area_ha", "number must be more than 0"}},
		{"3.1 4XX range", "v31", "GET", "/api/v1/farms/999/", 404, body(t, "farm-missing"),
			want{true, "GET /farms/{id}/", "", ""}},
		{"3.1 default", "v31", "GET", "/api/v1/farms/", 503, []byte(`{"error":"down"}`),
			want{true, "GET /farms/", "", `property "detail" is missing`}},
		{"3.1 2XX range", "v31", "GET", "/farms/1/state", 203, body(t, "farm-state"),
			want{true, "GET /farms/{id}/state", "", ""}},

		// YAML, hand-written 3.0.3.
		{"YAML literal path beats template", "yaml", "GET", "/api/v2/farms/archived/", 200, []byte(`[{"id":1,"name":"Old Mill"}]`),
			want{true, "GET /farms/archived/", "", ""}},
		{"YAML templated path", "yaml", "GET", "/api/v2/farms/7/", 200, []byte(`{"id":7,"name":"Fox Run","area_ha":null}`),
			want{true, "GET /farms/{id}/", "", ""}},
		{"YAML additionalProperties false", "yaml", "GET", "/api/v2/farms/archived/", 200, []byte(`[{"id":1,"name":"A"},{"id":2,"name":"B","crop":"soy"}]`),
			want{true, "GET /farms/archived/", "/1", `property "crop" is unsupported`}},
		{"YAML pattern Go cannot compile is not checked", "yaml", "GET", "/farms/7/", 200, []byte(`{"id":7,"name":"-42-"}`),
			want{true, "GET /farms/{id}/", "", ""}},
	}
	contracts := map[string]*Contract{}
	for doc := range docFiles {
		contracts[doc] = mustParse(t, doc)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := contracts[tt.doc]
			got := c.Check(tt.method, tt.path, tt.status, tt.body)
			if got.Described != tt.want.described || got.Operation != tt.want.operation {
				t.Errorf("Check() = %+v, want described=%v operation=%q", got, tt.want.described, tt.want.operation)
			}
			switch {
			case tt.want.message == "" && got.Violation != nil:
				t.Errorf("Check() violation %q, want none", got.Violation.Error())
			case tt.want.message != "" && got.Violation == nil:
				t.Errorf("Check() no violation, want %q", tt.want.pointer+": "+tt.want.message)
			case tt.want.message != "" && (got.Violation.Pointer != tt.want.pointer || got.Violation.Message != tt.want.message):
				t.Errorf("Check() violation %q, want %q", got.Violation.Error(), tt.want.pointer+": "+tt.want.message)
			}
			if n := c.panics.Load(); n != 0 {
				t.Errorf("Check recovered from %d panics", n)
			}
		})
	}
}

func TestViolationError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		v    Violation
		want string
	}{
		{Violation{Pointer: "/ndvi", Message: "value must be a number"}, "/ndvi: value must be a number"},
		{Violation{Message: `property "farm" is missing`}, `: property "farm" is missing`},
	}
	for _, tt := range tests {
		if got := tt.v.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestPointer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tokens []string
		want   string
	}{
		{nil, ""},
		{[]string{"results", "0"}, "/results/0"},
		{[]string{"a/b", "c~d", ""}, "/a~1b/c~0d/"},
	}
	for _, tt := range tests {
		if got := pointer(tt.tokens); got != tt.want {
			t.Errorf("pointer(%q) = %q, want %q", tt.tokens, got, tt.want)
		}
	}
}

// TestCheckRecovers feeds kin-openapi a schema it panics on (a property
// whose $ref was never resolved, which Parse cannot produce).
func TestCheckRecovers(t *testing.T) {
	t.Parallel()
	c, err := Parse(routeDoc(nil, "/x"))
	if err != nil {
		t.Fatal(err)
	}
	c.lookup("GET", "/x").exact[200] = &openapi3.Schema{
		Type:       &openapi3.Types{openapi3.TypeObject},
		Properties: openapi3.Schemas{"a": &openapi3.SchemaRef{Ref: "#/nowhere"}},
	}
	got := c.Check("GET", "/x", 200, []byte(`{"a":1}`))
	if got.Described || got.Operation != "GET /x" || got.Violation != nil {
		t.Errorf("Check() = %+v, want not described", got)
	}
	if n := c.panics.Load(); n != 1 {
		t.Errorf("recovered from %d panics, want 1", n)
	}
}

// TestCheckConcurrent shares Contracts between goroutines (run with -race).
func TestCheckConcurrent(t *testing.T) {
	t.Parallel()
	c := mustParse(t, "state")
	good, bad := body(t, "farm-list"), body(t, "farm-state", set("ndvi", "high"))
	patterned, err := Parse([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/s":{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{"type":"string","pattern":"^WS-[0-9]{3}$"}}}}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if r := c.Check("GET", "/api/v1/farms/", 200, good); r.Violation != nil {
					t.Errorf("page: %v", r.Violation)
					return
				}
				if r := c.Check("GET", "/api/v1/farms/3/state", 200, bad); r.Violation == nil || r.Violation.Pointer != "/ndvi" {
					t.Errorf("state: %+v", r)
					return
				}
				if r := patterned.Check("GET", "/s", 200, []byte(`"WS-1"`)); r.Violation == nil {
					t.Errorf("pattern: %+v", r)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestCompositionViolations(t *testing.T) {
	t.Parallel()
	// drf-spectacular writes a nullable nested serializer as allOf + nullable.
	doc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x/":{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{
		"type":"object","properties":{
			"owner":{"allOf":[{"$ref":"#/components/schemas/Owner"}],"nullable":true},
			"owners":{"type":"array","items":{"allOf":[{"$ref":"#/components/schemas/Owner"},{"type":"object","required":["since"]}]}},
			"either":{"oneOf":[{"type":"string"},{"type":"integer"}]},
			"any":{"anyOf":[{"type":"string"},{"type":"integer"}]},
			"not":{"not":{"type":"string"}}}}}}}}}}},
		"components":{"schemas":{"Owner":{"type":"object","required":["name"],"properties":{"name":{"type":"string"}}}}}}`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		body string
		want string // Violation.Error(), "" for none
	}{
		{`{"owner":null}`, ""},
		{`{"owner":{"name":"A"}}`, ""},
		{`{"owner":{}}`, `/owner: property "name" is missing`},
		{`{"owner":{"name":1}}`, `/owner/name: value must be a string`},
		{`{"owners":[{"name":"A","since":1},{"name":"B"}]}`, `/owners/1: property "since" is missing`},
		{`{"either":1.5}`, `/either: value doesn't match any schema from "oneOf"`},
		{`{"any":[]}`, `/any: doesn't match any schema from "anyOf"`},
		{`{"not":"s"}`, `/not: value doesn't match the schema (not)`},
	}
	for _, tt := range tests {
		got := c.Check("GET", "/x/", 200, []byte(tt.body))
		gotMsg := ""
		if got.Violation != nil {
			gotMsg = got.Violation.Error()
		}
		if gotMsg != tt.want {
			t.Errorf("Check(%s) violation %q, want %q", tt.body, gotMsg, tt.want)
		}
	}
}
