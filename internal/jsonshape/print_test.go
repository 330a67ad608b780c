package jsonshape_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/jsonshape"
)

func mustPrint(t *testing.T, body string) jsonshape.Print {
	t.Helper()
	p, err := jsonshape.Of([]byte(body))
	if err != nil {
		t.Fatalf("Of(%s): %v", body, err)
	}
	return p
}

func TestOfFoldsArraysAndIgnoresValues(t *testing.T) {
	t.Parallel()
	a := mustPrint(t, `{"count":2,"results":[{"id":1,"name":"a"},{"id":2,"name":"b","tags":["x"]}]}`)
	b := mustPrint(t, `{"results":[{"name":"zz","id":99,"tags":["y","z"]}],"count":1}`)
	if a.Hash() != b.Hash() {
		t.Errorf("same shape, other values and order: %v vs %v", a.Paths(), b.Paths())
	}
	want := []string{"", "/count", "/results", "/results/[]", "/results/[]/id", "/results/[]/name", "/results/[]/tags", "/results/[]/tags/[]"}
	if got := a.Paths(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("paths = %v; want %v", got, want)
	}
	if k := a.Kinds("/results/[]/id"); k != jsonshape.KNumber {
		t.Errorf("kinds of id = %v", k)
	}
}

func TestOfFoldsIDKeyedObjects(t *testing.T) {
	t.Parallel()
	a := mustPrint(t, `{"by_farm":{"7":{"ndvi":1},"8":{"ndvi":2}},"by_uuid":{"0b6a1f2e-3c4d-4e5f-8a9b-0c1d2e3f4a5b":true}}`)
	b := mustPrint(t, `{"by_farm":{"1234":{"ndvi":0.1}},"by_uuid":{"11111111-2222-3333-4444-555555555555":false}}`)
	if a.Hash() != b.Hash() {
		t.Errorf("objects keyed by ids must fold: %v vs %v", a.Paths(), b.Paths())
	}
}

func TestOfEscapesAndLimits(t *testing.T) {
	t.Parallel()
	p := mustPrint(t, `{"a/b":{"c~d":1}}`)
	if p.Kinds("/a~1b/c~0d") != jsonshape.KNumber {
		t.Errorf("escaping: %v", p.Paths())
	}
	deep := strings.Repeat(`{"x":`, jsonshape.MaxDepth+10) + "1" + strings.Repeat("}", jsonshape.MaxDepth+10)
	if p := mustPrint(t, deep); p.Len() > jsonshape.MaxDepth+2 {
		t.Errorf("deep value recorded %d paths", p.Len())
	}
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < jsonshape.MaxPaths+10; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%d":1`, i)
	}
	b.WriteString("}")
	if p := mustPrint(t, b.String()); !p.Truncated() || p.Len() != jsonshape.MaxPaths {
		t.Errorf("wide value: truncated=%v len=%d", p.Truncated(), p.Len())
	}
	for _, bad := range []string{`{"a":`, `{} {}`, `nope`} {
		if _, err := jsonshape.Of([]byte(bad)); err == nil {
			t.Errorf("Of(%s) accepted", bad)
		}
	}
}

func TestPrintRoundTrip(t *testing.T) {
	t.Parallel()
	p := mustPrint(t, `{"a":[{"b":null,"c":"x"}],"d":true}`)
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var q jsonshape.Print
	if err := json.Unmarshal(raw, &q); err != nil {
		t.Fatal(err)
	}
	if p.Hash() != q.Hash() || !jsonshape.Covers(p, q) || !jsonshape.Covers(q, p) {
		t.Errorf("round trip changed the print: %s", raw)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, ref, fresh string
		strict           bool
		want             string // Describe of the changes; "" = none
	}{
		{"same", `{"id":1,"ndvi":0.4}`, `{"id":2,"ndvi":0.9}`, false, ""},
		{"null is no change", `{"id":1,"notes":"x"}`, `{"id":1,"notes":null}`, true, ""},
		{"value where only nulls were", `{"id":1,"notes":null}`, `{"id":1,"notes":"x"}`, true, ""},
		{"empty list is no change", `{"tiles":[{"z":1}]}`, `{"tiles":[]}`, true, ""},
		{"elements where the list was empty", `{"tiles":[]}`, `{"tiles":[{"z":1}]}`, true, ""},
		{"members where the object was empty", `{"meta":{}}`, `{"meta":{"a":1}}`, true, ""},
		{"absent optional member, loose", `{"id":1,"owner":"a"}`, `{"id":2}`, false, ""},
		{"absent member, same request", `{"id":1,"owner":"a"}`, `{"id":1}`, true, "/owner is gone"},
		{"number nested into object", `{"farm":1,"ndvi":0.4}`, `{"farm":1,"ndvi":{"mean":0.4,"min":0.1,"max":0.8}}`, false, "/ndvi changed from number to object"},
		{"type change in page items", `{"results":[{"id":1}]}`, `{"results":[{"id":"a"}]}`, false, "/results/[]/id changed from number to string"},
		{"rename, loose: not seen", `{"results":[{"id":1,"t":2}]}`, `{"results":[{"observation_id":1,"t":2}]}`, false, ""},
		{"rename, strict", `{"results":[{"id":1,"t":2}]}`, `{"results":[{"observation_id":1,"t":2}]}`, true, "/results/[]/id is gone; /results/[]/observation_id is new"},
		{"new member, strict", `{"a":1}`, `{"a":1,"b":2}`, true, "/b is new"},
		{"new nested object counts once", `{"a":1}`, `{"a":1,"b":{"c":{"d":1}}}`, true, "/b is new"},
		{"mixed kinds stay compatible", `{"v":"1"}`, `{"v":1}`, false, "/v changed from string to number"},
		{"root changes kind", `{"a":1}`, `[{"a":1}]`, false, "/ changed from object to list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := jsonshape.Describe(jsonshape.Compare(mustPrint(t, tc.ref), mustPrint(t, tc.fresh), tc.strict), 10)
			if got != tc.want {
				t.Errorf("Compare = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestMergeTakesTheNewKind(t *testing.T) {
	t.Parallel()
	ref := mustPrint(t, `{"farm":1,"ndvi":0.4}`)
	fresh := mustPrint(t, `{"farm":1,"ndvi":{"mean":0.4}}`)
	m := jsonshape.Merge(ref, fresh, jsonshape.Compare(ref, fresh, false))
	if m.Kinds("/ndvi") != jsonshape.KObject || m.Kinds("/ndvi/mean") != jsonshape.KNumber {
		t.Errorf("merged = %v", m.Paths())
	}
	if c := jsonshape.Compare(m, fresh, true); len(c) != 0 {
		t.Errorf("fresh differs from the merge: %v", c)
	}
	if !jsonshape.Covers(m, fresh) || jsonshape.Covers(ref, fresh) {
		t.Error("Covers")
	}
}

// TestRecordsThatDifferDoNotFlap: records of one serializer, with random
// nulls, optional members left out and empty lists, compared loosely against
// the union of what came before, never count as a change of shape, and
// compared strictly with themselves never either. A print that flapped
// would empty the cache.
func TestRecordsThatDifferDoNotFlap(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(42, 7))
	record := func() map[string]any {
		r := map[string]any{"id": rng.IntN(1000), "name": "farm"}
		maybe := func(k string, v any) {
			switch rng.IntN(3) {
			case 0: // absent
			case 1:
				r[k] = nil
			default:
				r[k] = v
			}
		}
		maybe("owner", "someone")
		maybe("area_ha", rng.Float64()*100)
		maybe("irrigated", rng.IntN(2) == 0)
		tiles := []any{}
		for i := rng.IntN(3); i > 0; i-- {
			tiles = append(tiles, map[string]any{"z": 3, "ndvi": rng.Float64()})
		}
		maybe("tiles", tiles)
		maybe("meta", map[string]any{})
		return r
	}
	var union jsonshape.Print
	first := true
	for i := 0; i < 500; i++ {
		var items []any
		for j := rng.IntN(4); j >= 0; j-- {
			items = append(items, record())
		}
		body, _ := json.Marshal(map[string]any{"count": len(items), "next": nil, "results": items})
		p, err := jsonshape.Of(body)
		if err != nil {
			t.Fatal(err)
		}
		if !first {
			if c := jsonshape.Compare(union, p, false); len(c) != 0 {
				t.Fatalf("page %d: %s counted as a change: %s", i, body, jsonshape.Describe(c, 5))
			}
		}
		if c := jsonshape.Compare(p, p, true); len(c) != 0 {
			t.Fatalf("a print differs from itself: %v", c)
		}
		union, first = jsonshape.Merge(union, p, nil), false
	}
}
