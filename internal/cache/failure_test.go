package cache

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

func TestRedisStoppedAndRestarted(t *testing.T) {
	testenv.NeedsProcesses(t, "kills and restarts redis-server")
	r := testenv.StartRedis(t)
	clk := newClock()
	c := mustCache(t, r, clk)
	u := newUpstream(`{"id":1,"name":"a"}`)
	p, req := policy("farm"), reqKey("/f/1")
	ctx := context.Background()
	mustGet(t, c, p, req, u)

	r.Stop(t)
	clk.Advance(2 * time.Second) // past the L1 copy
	for i := range 3 {
		got := mustGet(t, c, p, req, u)
		want(t, got, XCacheBypass, envelope.SourceUpstream, `{"id":1,"name":"a"}`)
		if i == 0 && got.CacheStatus() != "weather_apis; fwd=bypass; fwd-status=200; detail=redis-down" {
			t.Errorf("CacheStatus = %q", got.CacheStatus())
		}
	}
	// Writes while Redis is down report the deferral and retry later.
	if err := c.Invalidate(ctx, "farm", req); err == nil {
		t.Errorf("Invalidate with Redis down = nil; want a deferral error")
	}
	if st, err := c.Stats(ctx); err != nil || st.Shared || st.Total.Bypass != 3 {
		t.Errorf("Stats with Redis down = %+v, %v; want local counts (3 bypass), Shared false, no error", st, err)
	}
	// Concurrent requests during the outage still collapse in-process.
	u.delay = 20 * time.Millisecond
	before := u.calls.Load()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { mustGet(t, c, p, req, u) })
	}
	wg.Wait()
	if n := u.calls.Load() - before; n > 3 {
		t.Errorf("20 concurrent bypassed requests made %d upstream calls; want them collapsed", n)
	}

	r.Start(t)
	eventually(t, 5*time.Second, "the cache to use Redis again", func() bool {
		return mustGet(t, c, p, req, u).XCache != XCacheBypass
	})
	want(t, mustGet(t, c, p, req, u), XCacheHit, envelope.SourceCache, `{"id":1,"name":"a"}`)
	eventually(t, 5*time.Second, "the deferred invalidation", func() bool {
		c.pending.mu.Lock()
		defer c.pending.mu.Unlock()
		return len(c.pending.ops) == 0 && !c.pending.running
	})
}

// TestRedisFrozen: a Redis that accepts connections but never answers
// (SIGSTOP) costs at most one timeout, then requests bypass at once.
func TestRedisFrozen(t *testing.T) {
	testenv.NeedsProcesses(t, "freezes redis-server (SIGSTOP)")
	r := testenv.StartRedis(t)
	clk := newClock()
	c := mustCache(t, r, clk, func(o *Options) { o.RedisTimeout = 200 * time.Millisecond; o.RedisBackoff = time.Minute })
	u := newUpstream(`{"id":1,"name":"a"}`)
	p, req := policy("farm"), reqKey("/f/1")
	mustGet(t, c, p, req, u)

	r.Pause(t)
	defer r.Resume(t)
	clk.Advance(2 * time.Second)
	for range 5 {
		want(t, mustGet(t, c, p, req, u), XCacheBypass, envelope.SourceUpstream, `{"id":1,"name":"a"}`)
	}
	if n := u.calls.Load(); n != 6 {
		t.Errorf("loader calls = %d; want 6 (1 miss + 5 bypass)", n)
	}
}

func TestNewWithRedisDown(t *testing.T) {
	testenv.NeedsProcesses(t, "kills and restarts redis-server")
	r := testenv.StartRedis(t)
	r.Stop(t)
	clk := newClock()
	c := mustCache(t, r, clk)
	u := newUpstream(`{"id":1,"name":"a"}`)
	want(t, mustGet(t, c, policy("farm"), reqKey("/f/1"), u), XCacheBypass, envelope.SourceUpstream, `{"id":1,"name":"a"}`)
	r.Start(t)
	eventually(t, 5*time.Second, "the first MISS after Redis came up", func() bool {
		return mustGet(t, c, policy("farm"), reqKey("/f/1"), u).XCache == XCacheMiss
	})
	want(t, mustGet(t, c, policy("farm"), reqKey("/f/1"), u), XCacheHit, envelope.SourceCache, `{"id":1,"name":"a"}`)
}
