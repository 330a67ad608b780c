package cache

import (
	"context"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// l1Expiry returns when the L1 copy of req expires (zero: none).
func l1Expiry(c *Cache, route string, req RequestKey) time.Time {
	c.l1.mu.RLock()
	defer c.l1.mu.RUnlock()
	if it := c.l1.m[l1Key{route, req.Hash()}]; it != nil {
		return it.expires
	}
	return time.Time{}
}

// TestRefreshAhead: steady traffic re-reads the L1 copy and the control
// hash in the background before they expire, so no request waits for Redis
// at the L1 boundary; an invalidation is still honoured within one L1 life
// even without Pub/Sub.
func TestRefreshAhead(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a := mustCache(t, r, clk, noPubSub)
	b := mustCache(t, r, clk, noPubSub)
	u := newUpstream(`{"farm":1,"ndvi":0.1}`)
	p, req := policy("farm_state"), reqKey("/api/v1/farms/1/state")
	t0 := clk.Now()
	want(t, mustGet(t, a, p, req, u), XCacheMiss, envelope.SourceUpstream, `{"farm":1,"ndvi":0.1}`)
	if exp := l1Expiry(a, p.Route, req); !exp.Equal(t0.Add(time.Second)) {
		t.Fatalf("L1 expiry = %v; want t0+1s", exp.Sub(t0))
	}

	clk.Advance(800 * time.Millisecond) // last quarter of the L1 life and of the control snapshot
	if res, ok := a.Fresh(p, req); !ok || string(res.Body) != `{"farm":1,"ndvi":0.1}` {
		t.Fatalf("Fresh at t0+0.8s = %v %q; want the L1 copy", ok, res.Body)
	}
	eventually(t, 3*time.Second, "the L1 copy to be re-read", func() bool {
		return l1Expiry(a, p.Route, req).Equal(t0.Add(1800 * time.Millisecond))
	})
	eventually(t, 3*time.Second, "the control snapshot to be re-read", func() bool {
		return a.ctl.Load().loadedAt.Equal(t0.Add(800 * time.Millisecond))
	})

	clk.Advance(400 * time.Millisecond) // past the first L1 life: still served from memory
	if _, ok := a.Fresh(p, req); !ok {
		t.Fatal("Fresh at t0+1.2s: the re-read copy should still be fresh")
	}

	// Another process changes the answer; a hears nothing (no Pub/Sub).
	u.set(`{"farm":1,"ndvi":0.9}`, nil)
	if err := b.Invalidate(context.Background(), p.Route, req); err != nil {
		t.Fatal(err)
	}
	clk.Advance(400 * time.Millisecond) // t0+1.6s: a's copy is in its last quarter again
	if _, ok := a.Fresh(p, req); !ok {
		t.Fatal("Fresh at t0+1.6s: the copy is within its L1 life")
	}
	time.Sleep(100 * time.Millisecond) // let the background re-read find the tombstone
	if exp := l1Expiry(a, p.Route, req); exp.After(t0.Add(1800 * time.Millisecond)) {
		t.Fatalf("an invalidated entry got a new L1 life (expires t0+%v)", exp.Sub(t0))
	}
	clk.Advance(250 * time.Millisecond) // t0+1.85s: the copy's life is over
	if _, ok := a.Fresh(p, req); ok {
		t.Fatal("Fresh after the L1 life of an invalidated entry; want a miss")
	}
	want(t, mustGet(t, a, p, req, u), XCacheMiss, envelope.SourceUpstream, `{"farm":1,"ndvi":0.9}`)
}
