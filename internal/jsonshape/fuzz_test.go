package jsonshape_test

import (
	"encoding/json"
	"testing"

	"github.com/weather-apis/weather_apis/internal/jsonshape"
)

// FuzzPrint: any input either is refused or gives a print that equals
// itself strictly, survives a round trip, and merges without change.
func FuzzPrint(f *testing.F) {
	for _, s := range []string{`{"count":1,"results":[{"id":1,"ndvi":{"mean":0.4}}]}`, `[]`, `null`, `{"a":{"7":{"b":[1,"x",null]}}}`, `"s"`, `{"~/":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := jsonshape.Of(body)
		if err != nil {
			if json.Valid(body) {
				t.Fatalf("valid JSON refused: %v", err)
			}
			return
		}
		if c := jsonshape.Compare(p, p, true); len(c) != 0 {
			t.Fatalf("a print differs from itself: %v", c)
		}
		raw, _ := json.Marshal(p)
		var q jsonshape.Print
		if err := json.Unmarshal(raw, &q); err != nil || q.Hash() != p.Hash() {
			t.Fatalf("round trip: %v", err)
		}
		if m := jsonshape.Merge(p, p, nil); m.Hash() != p.Hash() {
			t.Fatal("merging a print with itself changed it")
		}
	})
}

// FuzzDeclared: the version reader never panics, and agrees with itself
// whatever form (number or string) the version takes.
func FuzzDeclared(f *testing.F) {
	f.Add("2", []byte(`{"schema_version":2.0}`))
	f.Add("", []byte(`{"schema_version":"v3"}`))
	f.Add("x", []byte(`[1]`))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		v, inBody, err := jsonshape.Declared(header, body)
		// A blank header (" ") declares nothing, like no header at all.
		if hv := jsonshape.Canonical(header); err == nil && inBody && hv != "" && hv != v {
			t.Fatalf("accepted a body version %q that differs from the header %q", v, header)
		}
		if jsonshape.Canonical(v) != v {
			t.Fatalf("Declared returned a non-canonical version %q", v)
		}
		for _, k := range []jsonshape.Kind{jsonshape.Object, jsonshape.Page} {
			_ = jsonshape.Rules{Kind: k, RequireVersion: true}.Check(header, body)
		}
	})
}
