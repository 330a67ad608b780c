package resources_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/jsonshape"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestLayoutsNobodyScriptedFlowThrough: every layout the DRF demo can
// switch to flows through, labelled with the version it declares, with the
// shape DRF sent; the one that truly cannot be used (a schema without
// schema_version) is a 502 that says why.
func TestLayoutsNobodyScriptedFlowThrough(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	type read struct {
		route, id string
	}
	cases := []struct {
		layout  testenv.Layout
		read    read
		version string // the label expected; "" = none checked
		errCode envelope.Code
		errText string
	}{
		{testenv.Layout{Schema: "v2"}, read{"farm_schema", ""}, "2", "", ""},
		{testenv.Layout{Schema: "v3-jsonschema"}, read{"farm_schema", ""}, "3", "", ""},
		{testenv.Layout{Schema: "renamed-keys"}, read{"farm_schema", ""}, "1", "", ""},
		{testenv.Layout{Schema: "choice-objects"}, read{"farm_schema", ""}, "1", "", ""},
		{testenv.Layout{Schema: "dotted-groups"}, read{"farm_schema", ""}, "4", "", ""},
		{testenv.Layout{Schema: "enum-names"}, read{"farm_schema", ""}, "5", "", ""},
		{testenv.Layout{Schema: "renamed-keys", SchemaVersion: ptr("2.0")}, read{"farm_schema", ""}, "2", "", ""},
		{testenv.Layout{Schema: "no-version"}, read{"farm_schema", ""}, "", envelope.CodeUpstreamBadResponse, `without "schema_version"`},
		{testenv.Layout{FarmState: "ndvi-object"}, read{"farm_state", "3"}, "1", "", ""},
		{testenv.Layout{Observation: "renamed-id"}, read{"observation_list", ""}, "1", "", ""},
	}
	for _, tc := range cases {
		name := tc.layout.Schema + tc.layout.FarmState + tc.layout.Observation
		t.Run(name, func(t *testing.T) {
			w.reset(t)
			svc, _ := w.service(t, resources.Options{})
			w.drf.SetLayout(t, tc.layout)
			a, err := svc.Read(ctx, tc.read.route, resources.Params{ID: tc.read.id})
			if tc.errCode != "" {
				e := envelope.From(err)
				if e == nil || e.Code != tc.errCode || !strings.Contains(e.Message, tc.errText) || envelope.StatusFor(e) != 502 {
					t.Fatalf("read = %v; want %s saying %q", err, tc.errCode, tc.errText)
				}
				return
			}
			if err != nil || a.Status != 200 {
				t.Fatalf("read = %d, %v; want 200", a.Status, err)
			}
			if tc.version != "" && a.SchemaVersion != tc.version {
				t.Errorf("version label = %q; want %q", a.SchemaVersion, tc.version)
			}
			// The shape is DRF's, not ours: the same print as a direct read.
			f, err := svc.Refetch(ctx, tc.read.route, upstreamRequest(t, tc.read.route, tc.read.id))
			if err != nil {
				t.Fatal(err)
			}
			if want, got := printOf(t, f.Body), printOf(t, a.Body); want != got {
				t.Errorf("served shape %s; DRF's is %s", got, want)
			}
		})
	}
}

func upstreamRequest(t *testing.T, route, id string) string {
	t.Helper()
	switch route {
	case "farm_schema":
		return "/api/v1/admin/farms/schema"
	case "farm_state":
		return "/api/v1/farms/" + id + "/state"
	case "observation_list":
		return "/api/v1/observations/"
	}
	t.Fatalf("no request for %s", route)
	return ""
}

func printOf(t *testing.T, body []byte) string {
	t.Helper()
	p, err := jsonshape.Of(body)
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return p.Hash()
}

// TestWritesAreNeverFalselyFailed: a write DRF accepted and stored is
// reported as accepted whatever the shape of its answer, and invalidates
// what it changed.
func TestWritesAreNeverFalselyFailed(t *testing.T) {
	w := newWorld(t)
	w.reset(t)
	ctx := context.Background()
	svc, _ := w.service(t, resources.Options{})
	if _, err := svc.Read(ctx, "farm_state", resources.Params{ID: "4"}); err != nil {
		t.Fatal(err)
	}
	w.drf.SetLayout(t, testenv.Layout{FarmState: "ndvi-object"})
	body := `{"ndvi":{"mean":0.42,"min":0.1,"max":0.8},"observed_at":"2026-06-01T10:00:00Z","source":"test","tiles":[]}`
	a, err := svc.Write(ctx, "farm_state_put", resources.Params{ID: "4"}, []byte(body))
	if err != nil || a.Status != 200 || a.Source != envelope.SourceUpstream {
		t.Fatalf("PUT in a shape weather_apis never saw = %d %s, %v; want 200 from upstream", a.Status, a.Source, err)
	}
	if got := member(t, a.Body, "ndvi.mean"); got != 0.42 {
		t.Errorf("write answer ndvi.mean = %v; want 0.42 (relayed as DRF answered)", got)
	}
	r, err := svc.Read(ctx, "farm_state", resources.Params{ID: "4"})
	if err != nil || r.XCache != cache.XCacheMiss || member(t, r.Body, "ndvi.mean") != 0.42 {
		t.Errorf("read after the write = %s %s, %v; want a MISS with the new value", r.XCache, r.Body, err)
	}
}

// TestPaginationLinksAreOurs: DRF's next/previous point at the backend's
// own address; weather_apis relays them as relative references to its own
// route with the same query, and no answer names the backend's address.
func TestPaginationLinksAreOurs(t *testing.T) {
	w := newWorld(t)
	w.reset(t)
	ctx := context.Background()
	svc, _ := w.service(t, resources.Options{})
	since := "2025-06-01T00:00:00Z"
	a, err := svc.Read(ctx, "observation_list", resources.Params{Query: url.Values{"since": {since}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(a.Body), w.drf.URL()) || strings.Contains(string(a.Body), "127.0.0.1") {
		t.Fatalf("the backend's address leaked: %.300s", a.Body)
	}
	next, _ := member(t, a.Body, "next").(string)
	wantNext := "?" + url.Values{"page": {"2"}, "since": {since}}.Encode()
	if next != wantNext {
		t.Errorf("next = %q; want %q", next, wantNext)
	}
	// Following it (resolved against the URL called) is our route again.
	nq, _ := url.ParseQuery(strings.TrimPrefix(next, "?"))
	b, err := svc.Read(ctx, "observation_list", resources.Params{Query: nq})
	if err != nil {
		t.Fatal(err)
	}
	if prev, _ := member(t, b.Body, "previous").(string); prev != "?"+(url.Values{"since": {since}}).Encode() {
		t.Errorf("previous = %q; want only since (DRF's first page has no page parameter)", prev)
	}
	// The member order of the body is kept.
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(a.Body)))
	_, _ = dec.Token() // the opening brace
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	if strings.Join(keys, ",") != "count,next,previous,results" {
		t.Errorf("member order = %v", keys)
	}
}

// TestIDsAreCanonical: /farms/007 and /farms/7 are one resource and one
// cache entry.
func TestIDsAreCanonical(t *testing.T) {
	w := newWorld(t)
	w.reset(t)
	ctx := context.Background()
	svc, _ := w.service(t, resources.Options{})
	if a, err := svc.Read(ctx, "farm_detail", resources.Params{ID: "007"}); err != nil || a.XCache != cache.XCacheMiss {
		t.Fatalf("007 = %s, %v", a.XCache, err)
	}
	if a, err := svc.Read(ctx, "farm_detail", resources.Params{ID: "7"}); err != nil || a.XCache != cache.XCacheHit {
		t.Errorf("7 after 007 = %s, %v; want a HIT of the same entry", a.XCache, err)
	}
	for _, bad := range []string{"0", "-7", "7.0", "99999999999999999991", "x"} {
		if _, err := svc.Read(ctx, "farm_detail", resources.Params{ID: bad}); envelope.CodeOf(err) != envelope.CodeBadRequest {
			t.Errorf("id %q: %v; want BAD_REQUEST before any upstream call", bad, err)
		}
	}
}

// TestCreateEndsTheCachedNotFound and the cascade of a delete: a farm read
// before it existed is cached as missing until the create; deleting a farm
// drops its state and its observations, which DRF deletes with it.
func TestCreateAndDeleteInvalidateWhatDRFChanges(t *testing.T) {
	w := newFreshWorld(t) // predicts the next id and deletes farm 5: not on the shared demo
	w.reset(t)
	ctx := context.Background()
	svc, _ := w.service(t, resources.Options{})
	list, err := svc.Read(ctx, "farm_list", resources.Params{})
	if err != nil {
		t.Fatal(err)
	}
	next := int(member(t, list.Body, "count").(float64)) + 1 // DRF's next id in this fresh demo
	nextID := jsonID(next)
	_, err = svc.Read(ctx, "farm_detail", resources.Params{ID: nextID})
	if e := envelope.From(err); e == nil || e.Code != envelope.CodeNotFound || e.Source() != envelope.SourceUpstream {
		t.Fatalf("before the create: %v (source %s); want NOT_FOUND relayed from upstream", err, e.Source())
	}
	a, err := svc.Read(ctx, "farm_detail", resources.Params{ID: nextID})
	if e := envelope.From(err); e == nil || a.XCache != cache.XCacheHit || e.Source() != envelope.SourceCache {
		t.Fatalf("cached not-found = %s, %v; want a HIT saying source cache", a.XCache, err)
	}
	created, err := svc.Write(ctx, "farm_create", resources.Params{}, []byte(`{"name":"Late farm","crop":"wheat","area_ha":3,"latitude":1,"longitude":2}`))
	if err != nil || created.Status != 201 || int(member(t, created.Body, "id").(float64)) != next {
		t.Fatalf("create = %d %s, %v; want 201 with id %d", created.Status, created.Body, err, next)
	}
	if a, err := svc.Read(ctx, "farm_detail", resources.Params{ID: nextID}); err != nil || a.Status != 200 {
		t.Fatalf("after the create: %s, %v; want the new farm, not the cached 404", a.XCache, err)
	}

	// Delete cascades (DRF's on_delete=CASCADE).
	if _, err := svc.Read(ctx, "farm_state", resources.Params{ID: "5"}); err != nil {
		t.Fatal(err)
	}
	obs, err := svc.Read(ctx, "observation_list", resources.Params{Query: url.Values{"farm": {"5"}}})
	if err != nil || member(t, obs.Body, "count").(float64) == 0 {
		t.Fatalf("observations of farm 5 = %s, %v", obs.Body, err)
	}
	if _, err := svc.Write(ctx, "farm_delete", resources.Params{ID: "5"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Read(ctx, "farm_state", resources.Params{ID: "5"}); envelope.CodeOf(err) != envelope.CodeNotFound {
		t.Errorf("state of the deleted farm: %v; want NOT_FOUND, not the cached state", err)
	}
	obs, err = svc.Read(ctx, "observation_list", resources.Params{Query: url.Values{"farm": {"5"}}})
	if err != nil || obs.XCache != cache.XCacheMiss || member(t, obs.Body, "count").(float64) != 0 {
		t.Errorf("observations of the deleted farm = %s count %v, %v; want a MISS with none", obs.XCache, member(t, obs.Body, "count"), err)
	}
}

// TestUpstreamErrorsSayUpstream: DRF's own 400 with field errors is relayed
// as VALIDATION_FAILED with source upstream.
func TestUpstreamErrorsSayUpstream(t *testing.T) {
	w := newWorld(t)
	w.reset(t)
	svc, _ := w.service(t, resources.Options{})
	_, err := svc.Write(context.Background(), "farm_create", resources.Params{}, []byte(`{"name":"","area_ha":-1}`))
	e := envelope.From(err)
	if e == nil || e.Code != envelope.CodeValidationFailed || e.Source() != envelope.SourceUpstream || e.Details == nil {
		t.Fatalf("invalid create = %+v; want VALIDATION_FAILED from upstream with DRF's field errors", e)
	}
	// DRF's OPTIONS metadata, the serializer's write contract, is a cached read.
	a, err := svc.Read(context.Background(), "farm_metadata", resources.Params{})
	if err != nil || a.Status != 200 || member(t, a.Body, "actions.POST.name") == nil {
		t.Fatalf("farm metadata = %d %.200s, %v; want DRF's actions.POST", a.Status, a.Body, err)
	}
	if a, _ := svc.Read(context.Background(), "farm_metadata", resources.Params{}); a.XCache != cache.XCacheHit {
		t.Errorf("second metadata read = %s; want HIT", a.XCache)
	}
}
