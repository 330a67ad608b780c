package upstreamcontract

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Documents of testdata/, by short name (see testdata/README.md).
var docFiles = map[string]string{
	"drf":   "drf-openapi.json",       // DRF's generator, demo backend as is
	"state": "drf-openapi-state.json", // DRF's generator, NDVI state described
	"v31":   "openapi-3.1.json",       // hand-written 3.1
	"yaml":  "farms.yaml",             // hand-written 3.0.3 YAML
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustParse(t testing.TB, doc string) *Contract {
	t.Helper()
	file, ok := docFiles[doc]
	if !ok {
		t.Fatalf("no test document %q", doc)
	}
	c, err := Parse(readTestdata(t, file))
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return c
}

// body returns testdata/bodies/<name>.json, edited by edits in order when
// there are any (the body is decoded, edited and encoded again).
func body(t testing.TB, name string, edits ...func(any)) []byte {
	t.Helper()
	b := readTestdata(t, filepath.Join("bodies", name+".json"))
	if len(edits) == 0 {
		return b
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, edit := range edits {
		edit(v)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// at returns the object at the path of keys and indexes (int) below v.
func at(v any, path ...any) map[string]any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			v = v.(map[string]any)[p]
		case int:
			v = v.([]any)[p]
		}
	}
	return v.(map[string]any)
}

// set sets key of the object at path to value.
func set(key string, value any, path ...any) func(any) {
	return func(v any) { at(v, path...)[key] = value }
}

// del deletes key of the object at path.
func del(key string, path ...any) func(any) {
	return func(v any) { delete(at(v, path...), key) }
}

// rename renames key of the object at path.
func rename(from, to string, path ...any) func(any) {
	return func(v any) {
		o := at(v, path...)
		o[to] = o[from]
		delete(o, from)
	}
}
