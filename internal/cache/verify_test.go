package cache

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

func TestEntriesAndVerify(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	ctx := context.Background()
	bodies := map[string]string{ // request -> current upstream body
		"/f/1":         `{"id":1,"name":"a"}`,
		"/f/2":         `{"id":2,"name":"b"}`,
		"/o/?farm=1":   `{"count":0,"results":[]}`,
		"/o/?farm=404": "",
	}
	load := func(path string) Loader {
		return func(context.Context) (Fetched, error) {
			if bodies[path] == "" {
				return Fetched{}, envelope.New(envelope.CodeNotFound, "gone")
			}
			return Fetched{Status: 200, Body: []byte(bodies[path])}, nil
		}
	}
	pf, po := policy("farm"), policy("observation_list")
	po.NegativeTTL = 10 * time.Second
	for _, path := range []string{"/f/1", "/f/2"} {
		if _, err := a.Get(ctx, pf, reqKey(path), load(path)); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = a.Get(ctx, po, reqKey("/o/", "farm", "1"), load("/o/?farm=1"))
	_, _ = a.Get(ctx, po, reqKey("/o/", "farm", "404"), load("/o/?farm=404"))

	farms, err := b.Entries(ctx, "farm")
	if err != nil || len(farms) != 2 {
		t.Fatalf("Entries(farm) = %v, %v; want 2", farms, err)
	}
	sort.Slice(farms, func(i, j int) bool { return farms[i].Request < farms[j].Request })
	if farms[0].Request != "/f/1" || farms[0].Route != "farm" || farms[0].Status != 200 || farms[0].Hash == "" ||
		!farms[0].StoredAt.Equal(clk.Now().Truncate(time.Millisecond)) || farms[0].TTL != time.Minute {
		t.Errorf("Entries(farm)[0] = %+v", farms[0])
	}
	all, err := b.Entries(ctx, "")
	if err != nil || len(all) != 4 {
		t.Fatalf("Entries() = %d entries, %v; want 4 (lock keys and other routes' generations excluded)", len(all), err)
	}

	// The upstream changes one farm (same JSON re-ordered for the other) and
	// fails for the observation list.
	bodies["/f/1"] = `{"id":1,"name":"renamed"}`
	bodies["/f/2"] = `{ "name": "b", "id": 2 }`
	refetch := func(ctx context.Context, e EntryInfo) (Fetched, error) {
		if e.Route == "observation_list" {
			return Fetched{}, envelope.New(envelope.CodeUpstreamTimeout, "The farm service did not answer in time.")
		}
		return Fetched{Status: 200, Body: []byte(bodies[e.Request])}, nil
	}
	drifts, err := b.Verify(ctx, refetch)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range drifts {
		got[d.Entry.Request] = d.Verdict
	}
	wantV := map[string]string{"/f/1": VerdictDifferent, "/f/2": VerdictSame, "/o/?farm=1": VerdictError}
	if len(got) != len(wantV) || got["/f/1"] != wantV["/f/1"] || got["/f/2"] != wantV["/f/2"] || got["/o/?farm=1"] != wantV["/o/?farm=1"] {
		t.Errorf("Verify verdicts = %v; want %v (negative entries skipped)", got, wantV)
	}
	// The drifted entry is gone everywhere (a had it in L1: Pub/Sub or L1TTL).
	clk.Advance(time.Second)
	res, err := a.Get(ctx, pf, reqKey("/f/1"), load("/f/1"))
	if err != nil || res.XCache != XCacheMiss || string(res.Body) != bodies["/f/1"] {
		t.Errorf("after Verify: %s %q %v; want a MISS with the new body", res.XCache, res.Body, err)
	}
	if st, _ := b.Stats(ctx); st.Routes["farm"].Drift != 1 {
		t.Errorf("drift count = %d; want 1", st.Routes["farm"].Drift)
	}
}

func TestProbeRunsInOneProcessAtATime(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	ctx := context.Background()
	version := "1"
	opts := ProbeOptions{
		Routes: []ProbeRoute{{Policy: policy("farm_schema"), Default: "/schema"}},
		Fetch: func(context.Context, string, string) (Fetched, error) {
			return Fetched{Status: 200, Body: []byte(`{"schema_version":` + version + `}`), SchemaVersion: version, Observe: version}, nil
		},
	}
	pa, pb := a.NewProbe(opts, time.Minute), b.NewProbe(opts, time.Minute)

	if ran, runs, err := pa.Once(ctx); !ran || len(runs) != 1 || runs[0].Version != "1" || err != nil {
		t.Fatalf("a.Once = %v %+v %v; want ran, version 1", ran, runs, err)
	}
	if ran, _, err := pb.Once(ctx); ran || err != nil {
		t.Fatalf("b.Once = %v %v; want not ran (a holds the lease)", ran, err)
	}
	version = "2"
	if ran, _, _ := pa.Once(ctx); !ran {
		t.Fatal("a.Once did not renew its lease")
	}
	clk.Advance(2 * time.Second)
	if s := b.snapshot(ctx); s == nil || s.schema != "2" {
		t.Errorf("b's schema version = %v; want 2 observed by a's probe", s)
	}

	// a stops: its lease is released and b takes over.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { pa.Run(runCtx, time.Hour); close(done) }()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Probe.Run did not stop")
	}
	if ran, _, _ := pb.Once(ctx); !ran {
		t.Error("b could not take the lease after a stopped")
	}
}
