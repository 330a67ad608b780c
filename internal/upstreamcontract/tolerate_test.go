package upstreamcontract

import (
	"strings"
	"testing"
)

// serializerDoc describes GET /x/ with the schema DRF's generator writes for
// a serializer with a SerializerMethodField ("score"), a JSONField ("extra"),
// a read-only IntegerField ("owner_id") and a read-only CharField with a
// max_length ("label"), in the given OpenAPI version.
func serializerDoc(version string) []byte {
	return []byte(`{"openapi":"` + version + `","info":{"title":"t","version":"1"},"paths":{"/x/":{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{
		"type":"object","required":["name"],"properties":{
			"name":{"type":"string","maxLength":20},
			"score":{"type":"string","readOnly":true},
			"extra":{"type":"object"},
			"owner_id":{"type":"integer","readOnly":true},
			"label":{"type":"string","readOnly":true,"maxLength":8},
			"meta":{"$ref":"#/components/schemas/Meta"}}}}}}}}}},
		"components":{"schemas":{"Meta":{"type":"object"}}}}`)
}

func TestDRFTolerance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		want30 string // violation in the 3.0 document, "" for none
		want31 string // violation in the same document as 3.1
	}{
		{"method field rendering a number", `{"name":"a","score":4.5}`, "", "/score: value must be a string"},
		{"method field rendering a list", `{"name":"a","score":[1,2]}`, "", "/score: value must be a string"},
		{"method field rendering null", `{"name":"a","score":null}`, "", "/score: value must not be null"},
		{"JSONField holding a list", `{"name":"a","extra":[1,"b"]}`, "", "/extra: value must be an object"},
		{"JSONField holding null", `{"name":"a","extra":null}`, "", "/extra: value must not be null"},
		{"read-only integer null", `{"name":"a","owner_id":null}`, "", "/owner_id: value must not be null"},
		{"read-only integer still an integer", `{"name":"a","owner_id":"7"}`, "/owner_id: value must be an integer", "/owner_id: value must be an integer"},
		{"read-only string with maxLength keeps its type", `{"name":"a","label":3}`, "/label: value must be a string", "/label: value must be a string"},
		{"read-only string with maxLength may be null", `{"name":"a","label":null}`, "", "/label: value must not be null"},
		{"writable string keeps its type", `{"name":5}`, "/name: value must be a string", "/name: value must be a string"},
		{"writable string is not nullable", `{"name":null}`, "/name: value must not be null", "/name: value must not be null"},
		{"$ref component keeps its type", `{"name":"a","meta":[1]}`, "/meta: value must be an object", "/meta: value must be an object"},
	}
	c30, err := Parse(serializerDoc("3.0.2"))
	if err != nil {
		t.Fatal(err)
	}
	c31, err := Parse(serializerDoc("3.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range []struct {
				c    *Contract
				want string
			}{{c30, tt.want30}, {c31, tt.want31}} {
				got := v.c.Check("GET", "/x/", 200, []byte(tt.body))
				gotMsg := ""
				if got.Violation != nil {
					gotMsg = got.Violation.Error()
				}
				if !got.Described || gotMsg != v.want {
					t.Errorf("Check() = %+v (%q), want violation %q", got, gotMsg, v.want)
				}
			}
		})
	}
}

func TestUntypedSchemaAcceptsNull(t *testing.T) {
	t.Parallel()
	doc := `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/x/":{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{
		"type":"object","properties":{"any":{},"either":{"oneOf":[{"type":"string"},{"type":"integer"}]}}}}}}}}}}}`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		body string
		want string
	}{
		{`{"any":null}`, ""},
		{`{"any":{"deep":[1]}}`, ""},
		{`{"either":null}`, "/either"},
		{`{"either":"s"}`, ""},
	}
	for _, tt := range tests {
		got := c.Check("GET", "/x/", 200, []byte(tt.body))
		ptr := "(none)"
		if got.Violation != nil {
			ptr = got.Violation.Pointer
		}
		if (tt.want == "") != (got.Violation == nil) || (got.Violation != nil && ptr != tt.want) {
			t.Errorf("Check(%s) violation at %s, want %q", tt.body, ptr, tt.want)
		}
	}
}

func TestSaysNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		schema string
		oas30  bool
		want   bool // Described
	}{
		{"empty schema", `{}`, true, false},
		{"empty schema, 3.1", `{}`, false, false},
		{"DRF's APIView guess", `{"type":"array","items":{}}`, true, false},
		{"array of anything in 3.1", `{"type":"array","items":{}}`, false, true},
		{"array of anything with a bound", `{"type":"array","items":{},"maxItems":3}`, true, true},
		{"array of objects", `{"type":"array","items":{"type":"object"}}`, true, true},
		{"described only in prose", `{"description":"anything"}`, true, false},
		{"object", `{"type":"object"}`, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version := "3.0.3"
			if !tt.oas30 {
				version = "3.1.0"
			}
			doc := `{"openapi":"` + version + `","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":` +
				tt.schema + `}}}}}}}}`
			c, err := Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			got := c.Check("GET", "/x", 200, []byte(`{"a":1}`))
			if got.Described != tt.want || got.Operation != "GET /x" {
				t.Errorf("Check() = %+v, want Described %v", got, tt.want)
			}
		})
	}
}

func TestUnsupportedPatternIsDropped(t *testing.T) {
	t.Parallel()
	c := mustParse(t, "yaml")
	var found bool
	for _, w := range c.Warnings() {
		found = found || strings.Contains(w, `"^(?!-)[A-Za-z ]+$"`)
	}
	if !found {
		t.Errorf("Warnings() = %q, want the Python-only pattern named", c.Warnings())
	}
	if r := c.Check("GET", "/farms/7/", 200, []byte(`{"id":7,"name":"-"}`)); r.Violation != nil {
		t.Errorf("Check() = %v, want the pattern unchecked", r.Violation)
	}
}
