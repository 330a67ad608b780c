package cache

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestTypeChangeOnAnotherRecordBumpsTheRoute: a record of another request
// whose member changed kind (a number that became an object) makes every
// older entry of the route unreachable at once, in every process.
func TestTypeChangeOnAnotherRecordBumpsTheRoute(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	p := policy("farm_state")
	p.Check = objectRules
	one, two := reqKey("/farms/1/state"), reqKey("/farms/2/state")
	u1 := newUpstream(`{"farm":1,"ndvi":0.4,"tiles":[]}`)
	mustGet(t, a, p, one, u1)
	want(t, mustGet(t, b, p, one, u1), XCacheHit, envelope.SourceCache, `{"farm":1,"ndvi":0.4,"tiles":[]}`)

	// Nulls, empty lists and other values are no change.
	u2 := newUpstream(`{"farm":2,"ndvi":null,"tiles":[{"z":1}]}`)
	mustGet(t, a, p, two, u2)
	want(t, mustGet(t, b, p, one, u1), XCacheHit, envelope.SourceCache, `{"farm":1,"ndvi":0.4,"tiles":[]}`)

	// The backend nests ndvi: farm 2's fresh answer shows it.
	u1.set(`{"farm_id":1,"ndvi":{"mean":0.4,"min":0.1,"max":0.8},"tiles":[]}`, nil)
	u2.set(`{"farm_id":2,"ndvi":{"mean":0.5,"min":0.2,"max":0.9},"tiles":[]}`, nil)
	if err := a.Invalidate(context.Background(), "farm_state", two); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, a, p, two, u2)
	if !got.Stored {
		t.Fatalf("the new shape was not stored: %s", got.CacheStatus())
	}
	for _, c := range []*Cache{a, b} {
		eventually(t, 2*time.Second, "farm 1's entry of the old shape to be unreachable", func() bool {
			return strings.Contains(string(mustGet(t, c, p, one, u1).Body), `"mean"`)
		})
	}
	st, _ := a.Stats(context.Background())
	if st.Routes["farm_state"].Drift != 1 {
		t.Errorf("drift = %d; want 1", st.Routes["farm_state"].Drift)
	}
	shapes, err := b.Shapes(context.Background(), []string{"farm_state"})
	if err != nil || len(shapes) != 1 || shapes[0].DriftCount != 1 || shapes[0].LastDrift == nil ||
		!strings.Contains(shapes[0].LastDrift.Changes, "/ndvi changed from number to object") {
		t.Errorf("shape record = %+v, %v", shapes, err)
	}
}

// TestProbeFindsARenameNobodyScripted: a renamed member bumps no version
// and changes no kind; the probe re-reads the route's sample, compares it
// strictly and makes the old entries unreachable in one round.
func TestProbeFindsARenameNobodyScripted(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("observation_list")
	p.Check = pageRules
	bodies := map[string]string{
		"/obs/?page=1": `{"count":2,"next":"?page=2","results":[{"id":1,"t":2.5}]}`,
		"/obs/?page=2": `{"count":2,"previous":"?page=1","results":[{"id":2,"t":3.5}]}`,
	}
	load := func(path string) Loader {
		return func(context.Context) (Fetched, error) { return Fetched{Status: 200, Body: []byte(bodies[path])}, nil }
	}
	for _, page := range []string{"1", "2"} {
		req := reqKey("/obs/", "page", page)
		if _, err := a.Get(ctx, p, req, load(req.String())); err != nil {
			t.Fatal(err)
		}
	}
	probe := b.NewProbe(ProbeOptions{Routes: []ProbeRoute{{Policy: p}},
		Fetch: func(ctx context.Context, route, request string) (Fetched, error) { return load(request)(ctx) }}, time.Minute)
	if _, runs, err := probe.Once(ctx); err != nil || runs[0].Outcome != ProbeOK {
		t.Fatalf("probe without change = %+v, %v; want ok", runs, err)
	}

	bodies["/obs/?page=1"] = `{"count":2,"next":"?page=2","results":[{"observation_id":1,"t":2.5}]}`
	bodies["/obs/?page=2"] = `{"count":2,"previous":"?page=1","results":[{"observation_id":2,"t":3.5}]}`
	_, runs, err := probe.Once(ctx)
	if err != nil || runs[0].Outcome != ProbeDrift || !strings.Contains(runs[0].Message, "/results/[]/observation_id is new") {
		t.Fatalf("probe after the rename = %+v, %v; want drift naming the new member", runs, err)
	}
	page2 := reqKey("/obs/", "page", "2")
	for _, c := range []*Cache{a, b} {
		eventually(t, 2*time.Second, "page 2 of the old shape to be unreachable", func() bool {
			res, _ := c.Get(ctx, p, page2, load(page2.String()))
			return strings.Contains(string(res.Body), "observation_id")
		})
	}
	// No change afterwards: the probe stays quiet (no flapping).
	for range 3 {
		if _, runs, _ := probe.Once(ctx); runs[0].Outcome != ProbeOK {
			t.Fatalf("probe without further change = %+v", runs)
		}
	}
}

// TestVerifyFindsAShapeChange: cache:verify re-reads an entry; a member that
// was renamed (the same request, so compared strictly) is drift of the
// route, recorded like the probe's.
func TestVerifyFindsAShapeChange(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clk := newClock()
	a := mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("farm_detail")
	one, two := reqKey("/farms/1/"), reqKey("/farms/2/")
	mustGet(t, a, p, one, newUpstream(`{"id":1,"name":"a"}`))
	mustGet(t, a, p, two, newUpstream(`{"id":2,"name":"b"}`))
	drifts, err := a.Verify(ctx, func(_ context.Context, e EntryInfo) (Fetched, error) {
		return Fetched{Status: 200, Body: []byte(`{"farm_id":1,"name":"a"}`)}, nil
	})
	if err != nil || len(drifts) != 2 {
		t.Fatalf("Verify = %+v, %v", drifts, err)
	}
	shapes, err := a.Shapes(ctx, []string{"farm_detail"})
	if err != nil || shapes[0].DriftCount != 1 || shapes[0].LastDrift == nil || shapes[0].LastDrift.Cause != "verify" ||
		!strings.Contains(shapes[0].LastDrift.Changes, "/farm_id is new") {
		t.Fatalf("shape record after verify = %+v, %v", shapes, err)
	}
}
