package cache

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

func TestInvalidateReachesOtherProcesses(t *testing.T) {
	cases := []struct {
		name   string
		pubsub bool
	}{
		{"pubsub disabled: bounded by L1TTL", false},
		{"pubsub enabled: pushed", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := testenv.StartRedis(t)
			clk := newClock()
			tune := func(o *Options) { o.DisablePubSub = !tc.pubsub }
			a, b := mustCache(t, r, clk, tune), mustCache(t, r, clk, tune)
			u := newUpstream(`{"farm":1,"ndvi":0.1}`)
			p, req := policy("farm_state"), reqKey("/api/v1/farms/1/state")
			mustGet(t, a, p, req, u)
			want(t, mustGet(t, b, p, req, u), XCacheHit, envelope.SourceCache, `{"farm":1,"ndvi":0.1}`) // b: L1 copy

			u.set(`{"farm":1,"ndvi":0.9}`, nil) // the NDVI service pushes a new state...
			if err := a.Invalidate(context.Background(), "farm_state", req); err != nil {
				t.Fatal(err)
			}
			want(t, mustGet(t, a, p, req, u), XCacheMiss, envelope.SourceUpstream, `{"farm":1,"ndvi":0.9}`)
			if tc.pubsub {
				eventually(t, 3*time.Second, "b's L1 copy to be dropped", func() bool {
					return string(mustGet(t, b, p, req, u).Body) == `{"farm":1,"ndvi":0.9}`
				})
				return
			}
			clk.Advance(time.Second) // the L1 bound, with no message at all
			want(t, mustGet(t, b, p, req, u), XCacheHit, envelope.SourceCache, `{"farm":1,"ndvi":0.9}`)
		})
	}
}

// TestInvalidateDuringLoad: a load that began before a write must not
// re-cache the old answer after the write's invalidation.
func TestInvalidateDuringLoad(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clk := newClock()
	c := mustCache(t, r, clk)
	u := newUpstream(`{"farm":1,"ndvi":0.1}`)
	u.gate, u.entered = make(chan struct{}), make(chan struct{}, 1)
	p, req := policy("farm_state"), reqKey("/api/v1/farms/1/state")

	done := make(chan Result, 1)
	go func() {
		res, _ := c.Get(context.Background(), p, req, u.load)
		done <- res
	}()
	select {
	case <-u.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("loader not called")
	}
	if err := c.Invalidate(context.Background(), "farm_state", req); err != nil {
		t.Fatal(err)
	}
	close(u.gate)
	var res Result
	select {
	case res = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Get did not return")
	}
	if res.Stored || res.XCache != XCacheMiss {
		t.Errorf("racing load: %s stored=%v; want MISS, not stored", res.XCache, res.Stored)
	}
	u.mu.Lock()
	u.gate, u.entered = nil, nil
	u.mu.Unlock()
	u.set(`{"farm":1,"ndvi":0.9}`, nil)
	want(t, mustGet(t, c, p, req, u), XCacheMiss, envelope.SourceUpstream, `{"farm":1,"ndvi":0.9}`)
}

// TestStampedeAcrossProcesses: 4 Cache instances (own clients, as separate
// processes) × 125 goroutines ask for one cold key: one upstream call.
func TestStampedeAcrossProcesses(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	caches := make([]*Cache, 4)
	for i := range caches {
		caches[i] = mustCache(t, r, clk)
	}
	u := newUpstream(`{"count":1,"next":null,"previous":null,"results":[{"id":1}]}`)
	u.delay = 50 * time.Millisecond
	p, req := policy("farm_list"), reqKey("/api/v1/farms/", "page", "1")

	start := make(chan struct{})
	var wg sync.WaitGroup
	results := make(chan Result, 500)
	errs := make(chan error, 500)
	for _, c := range caches {
		for range 125 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				res, err := c.Get(ctx, p, req, u.load)
				if err != nil {
					errs <- err
					return
				}
				results <- res
			}()
		}
	}
	close(start)
	wg.Wait()
	close(results)
	close(errs)
	for err := range errs {
		t.Errorf("Get error: %v", err)
	}
	var n, collapsed int
	for res := range results {
		n++
		if string(res.Body) != `{"count":1,"next":null,"previous":null,"results":[{"id":1}]}` {
			t.Fatalf("wrong body %q", res.Body)
		}
		if res.Collapsed {
			collapsed++
		}
	}
	if calls := u.calls.Load(); calls != 1 {
		t.Errorf("loader calls = %d; want exactly 1 for 500 concurrent cold requests", calls)
	}
	if n != 500 || collapsed < 400 {
		t.Errorf("answers = %d, collapsed = %d; want 500 answers, most of them collapsed", n, collapsed)
	}
	var st Stats
	for _, c := range caches {
		st, _ = c.Stats(context.Background())
	}
	if st.Total.Loads != 1 || st.Total.Hits+st.Total.Misses != 500 {
		t.Errorf("stats total = %+v; want 1 load and 500 answers", st.Total)
	}
}

func TestStatsSummedAcrossProcesses(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	u := newUpstream(`{"id":1}`)
	p, req := policy("observation"), reqKey("/o/1")
	mustGet(t, a, p, req, u) // a: miss + load
	mustGet(t, a, p, req, u) // a: hit
	mustGet(t, b, p, req, u) // b: hit (Redis)
	mustGet(t, b, p, req, u) // b: hit (L1)
	if err := b.Invalidate(context.Background(), "observation", req); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := b.Stats(ctx); err != nil { // flushes b's part
		t.Fatal(err)
	}
	st, err := a.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantC := Counters{Hits: 3, Misses: 1, Loads: 1, Invalidations: 1}
	if !st.Shared || st.Routes["observation"] != wantC || st.Total != wantC {
		t.Errorf("stats = %+v; want shared, observation and total = %+v", st, wantC)
	}
	// Flushing twice never double-counts.
	if st2, _ := a.Stats(ctx); st2.Total != wantC {
		t.Errorf("second Stats total = %+v; want %+v", st2.Total, wantC)
	}
}
