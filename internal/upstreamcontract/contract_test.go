package upstreamcontract

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		doc         []byte
		wantErr     string // substring; "" means Parse succeeds
		wantOps     int
		wantWarning string // substring of one warning, when not ""
	}{
		{"DRF's generated document", readTestdata(t, "drf-openapi.json"), "", 21, "value of version must be a non-empty string"},
		{"DRF's document, state described", readTestdata(t, "drf-openapi-state.json"), "", 22, "value of title must be a non-empty string"},
		{"hand-written 3.1", readTestdata(t, "openapi-3.1.json"), "", 3, ""},
		{"YAML", readTestdata(t, "farms.yaml"), "", 2, `pattern "^(?!-)[A-Za-z ]+$" is not supported by Go's regexp and is not checked`},
		{"same YAML document as JSON", readTestdata(t, "farms.json"), "", 2, "is not checked"},
		{"no info, tolerated", []byte(`{"openapi":"3.0.0","paths":{"/x":{"get":{"responses":{"200":{"description":""}}}}}}`), "", 1, "invalid info"},
		{"3.1 keywords the validator skips", []byte(`{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{"/x":{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{"type":"array","prefixItems":[{"type":"string"}],"contains":{"type":"integer"}}}}}}}}}}`),
			"", 1, "schemas use keywords that are not checked: [contains prefixItems]"},
		{"garbage", []byte("garbage{"), "cannot load OpenAPI document", 0, ""},
		{"binary", []byte{0, 1, 2, 0xff}, "cannot load OpenAPI document", 0, ""},
		{"empty", nil, "not an OpenAPI 3 document", 0, ""},
		{"JSON array", []byte(`[]`), "cannot load OpenAPI document", 0, ""},
		{"Swagger 2.0", []byte(`{"swagger":"2.0","info":{"title":"a","version":"1"},"paths":{"/a":{}}}`), "not an OpenAPI 3 document", 0, ""},
		{"no paths", []byte(`{"openapi":"3.0.2","info":{"title":"a","version":"1"},"paths":{}}`), "describes no paths", 0, ""},
		{"dangling $ref", []byte(`{"openapi":"3.0.0","paths":{"/x":{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Nope"}}}}}}}}}`),
			"cannot load OpenAPI document", 0, ""},
		{"external $ref is not fetched", []byte(`{"openapi":"3.0.0","paths":{"/x":{"get":{"responses":{"200":{"description":"","content":{"application/json":{"schema":{"$ref":"https://example.org/s.json#/X"}}}}}}}}}`),
			"cannot load OpenAPI document", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one containing %q", err, tt.wantErr)
				}
				if c != nil {
					t.Errorf("Parse() returned a Contract with its error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			if got := c.Operations(); got != tt.wantOps {
				t.Errorf("Operations() = %d, want %d", got, tt.wantOps)
			}
			ws := c.Warnings()
			if tt.wantWarning == "" && len(ws) > 0 {
				t.Errorf("Warnings() = %q, want none", ws)
			}
			if tt.wantWarning != "" && !slices.ContainsFunc(ws, func(w string) bool { return strings.Contains(w, tt.wantWarning) }) {
				t.Errorf("Warnings() = %q, want one containing %q", ws, tt.wantWarning)
			}
		})
	}
}

func TestWarningsIsACopy(t *testing.T) {
	t.Parallel()
	c := mustParse(t, "drf")
	c.Warnings()[0] = "changed"
	if c.Warnings()[0] == "changed" {
		t.Fatal("Warnings() exposes the Contract's slice")
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	drf := readTestdata(t, "drf-openapi.json")
	var tree any
	if err := json.Unmarshal(drf, &tree); err != nil {
		t.Fatal(err)
	}
	compact, _ := json.Marshal(tree)                  // no whitespace, members sorted by name
	indented, _ := json.MarshalIndent(tree, "", "\t") // other whitespace
	changed := bytes.Replace(drf, []byte(`"maxLength": 120`), []byte(`"maxLength": 121`), 1)

	hash := func(doc []byte) string {
		t.Helper()
		c, err := Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		return c.Hash()
	}
	const drfHash = "d920e48bb1a8b586" // pinned: a change of canonical form changes every stored hash
	tests := []struct {
		name     string
		doc      []byte
		wantSame bool
	}{
		{"as generated", drf, true},
		{"compact, members reordered", compact, true},
		{"re-indented", indented, true},
		{"one keyword changed", changed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hash(tt.doc)
			if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(got) {
				t.Fatalf("Hash() = %q, want 16 hex digits", got)
			}
			if (got == drfHash) != tt.wantSame {
				t.Errorf("Hash() = %s, pinned %s, want same=%v", got, drfHash, tt.wantSame)
			}
		})
	}
	t.Run("YAML and its JSON rendering", func(t *testing.T) {
		if y, j := hash(readTestdata(t, "farms.yaml")), hash(readTestdata(t, "farms.json")); y != j {
			t.Errorf("Hash(farms.yaml) = %s, Hash(farms.json) = %s", y, j)
		}
	})
}
