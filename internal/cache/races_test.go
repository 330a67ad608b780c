package cache

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// The five races a consistency probe found (issue "The backend's contract,
// not ours", item 11); each test reproduces one.

// TestNotFoundBeforeCreate: an id read before it existed is cached as
// missing; the create that makes it exist must make that NOT_FOUND
// unreachable at once (InvalidateNegatives), in every process.
func TestNotFoundBeforeCreate(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("farm_detail")
	p.NegativeTTL = 10 * time.Second
	req := reqKey("/farms/26/")
	u := newUpstream("")
	u.set("", envelope.New(envelope.CodeNotFound, "Not found.").WithOrigin(envelope.SourceUpstream))
	if _, err := a.Get(ctx, p, req, u.load); codeOf(err) != envelope.CodeNotFound {
		t.Fatalf("before the create: %v", err)
	}
	if res, err := b.Get(ctx, p, req, u.load); codeOf(err) != envelope.CodeNotFound || res.XCache != XCacheHit {
		t.Fatalf("cached not-found = %s %v; want a HIT", res.XCache, err)
	} else if e := envelope.From(err); e.Source() != envelope.SourceCache {
		t.Errorf("a cached not-found says source %q; want cache", e.Source())
	}
	u.set(`{"id":26,"name":"new farm"}`, nil) // the create lands upstream
	if err := a.InvalidateNegatives(ctx, "farm_detail"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Cache{a, b} {
		eventually(t, time.Second, "the new farm instead of a cached 404", func() bool {
			res, err := c.Get(ctx, p, req, u.load)
			return err == nil && string(res.Body) == `{"id":26,"name":"new farm"}`
		})
	}
}

// TestWriteThatLandsLate: a write times out but lands upstream later. A read
// in between must not re-cache the old row: while the write may still land
// nothing of the route is stored, and the route is invalidated once more
// when that time is over.
func TestWriteThatLandsLate(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("farm_state")
	req := reqKey("/farms/1/state")
	u := newUpstream(`{"farm":1,"ndvi":0.1}`)
	mustGet(t, a, p, req, u)
	// The write timed out: weather_apis invalidates and holds caching.
	if err := a.Invalidate(ctx, "farm_state", req); err != nil {
		t.Fatal(err)
	}
	settle := 400 * time.Millisecond
	if err := a.WriteUncertain(ctx, []string{"farm_state"}, settle); err != nil {
		t.Fatal(err)
	}
	// A read before DRF commits sees the old row, from the upstream, and
	// must not store it (in any process).
	eventually(t, time.Second, "b to learn of the pending write", func() bool {
		s := b.snapshot(ctx)
		return s.writePending("farm_state", time.Now())
	})
	for _, c := range []*Cache{a, b} {
		res := mustGet(t, c, p, req, u)
		if res.Stored || res.XCache != XCacheMiss || res.Detail != DetailWritePending {
			t.Fatalf("read during the pending write = %s stored=%v; want a MISS not stored", res.CacheStatus(), res.Stored)
		}
	}
	u.set(`{"farm":1,"ndvi":0.9}`, nil) // the write commits upstream
	time.Sleep(settle + 200*time.Millisecond)
	for _, c := range []*Cache{a, b} {
		eventually(t, time.Second, "the landed write", func() bool {
			return string(mustGet(t, c, p, req, u).Body) == `{"farm":1,"ndvi":0.9}`
		})
	}
	if got := mustGet(t, b, p, req, u); got.XCache != XCacheHit {
		t.Errorf("after the write settled = %s; want it cached again", got.CacheStatus())
	}
}

// TestRedisRestoredFromAnOlderSnapshot: Redis comes back with data from
// before a write (a restore, a restart from an old dump, a failover to a
// replica that missed it). No process, not even a new one, may serve the
// pre-write entry, and a flush must reach every process.
func TestRedisRestoredFromAnOlderSnapshot(t *testing.T) {
	testenv.NeedsProcesses(t, "restarts redis-server from an older dump.rdb")
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("farm_state")
	req := reqKey("/farms/1/state")
	u := newUpstream(`{"farm":1,"ndvi":0.1}`)
	mustGet(t, a, p, req, u)
	r.Do(t, "SAVE") // the snapshot Redis will come back from
	dir := redisDir(t, r)
	dump, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}

	u.set(`{"farm":1,"ndvi":0.9}`, nil)
	if err := a.Invalidate(ctx, "farm_state", req); err != nil {
		t.Fatal(err)
	}
	want(t, mustGet(t, a, p, req, u), XCacheMiss, envelope.SourceUpstream, `{"farm":1,"ndvi":0.9}`)
	want(t, mustGet(t, b, p, req, u), XCacheHit, envelope.SourceCache, `{"farm":1,"ndvi":0.9}`)

	r.Stop(t)
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), dump, 0o600); err != nil {
		t.Fatal(err)
	}
	r.Start(t)
	fresh := mustCache(t, r, clk) // a process that starts after the restore
	for _, c := range []*Cache{fresh, a, b} {
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			res, err := c.Get(ctx, p, req, u.load)
			if err == nil && string(res.Body) == `{"farm":1,"ndvi":0.1}` {
				t.Fatalf("pre-write data served after the restore: %s", res.CacheStatus())
			}
			if err == nil && res.XCache == XCacheHit && string(res.Body) == `{"farm":1,"ndvi":0.9}` {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if st, _ := fresh.Stats(ctx); st.Total.EpochRotations == 0 {
		t.Errorf("no epoch rotation counted: %+v", st.Total)
	}
	// A flush after the restore reaches every process.
	u.set(`{"farm":1,"ndvi":0.5}`, nil)
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*Cache{a, b, fresh} {
		eventually(t, 2*time.Second, "the flush", func() bool {
			return string(mustGet(t, c, p, req, u).Body) == `{"farm":1,"ndvi":0.5}`
		})
	}
}

// TestControlHashGoesBackInPlace: the same server (same run_id) suddenly
// holds an older control hash and entry (restored in place, as a lagging
// replica's data would be). The processes notice the change counter going
// back and rotate the epoch, so the old entry is never served again.
func TestControlHashGoesBackInPlace(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a := mustCache(t, r, clk)
	rdb := mustClient(t, r)
	ctx := context.Background()
	p := policy("farm_state")
	req := reqKey("/farms/1/state")
	u := newUpstream(`{"farm":1,"ndvi":0.1}`)
	first := mustGet(t, a, p, req, u)
	oldCtl, _ := rdb.Dump(ctx, a.keys.ctl()).Result()
	oldEntry, _ := rdb.Dump(ctx, first.Key).Result()

	u.set(`{"farm":1,"ndvi":0.9}`, nil)
	if err := a.Flush(ctx); err != nil { // bumps the change counter
		t.Fatal(err)
	}
	want(t, mustGet(t, a, p, req, u), XCacheMiss, envelope.SourceUpstream, `{"farm":1,"ndvi":0.9}`)

	for key, val := range map[string]string{a.keys.ctl(): oldCtl, first.Key: oldEntry} {
		if err := rdb.RestoreReplace(ctx, key, 0, val).Err(); err != nil {
			t.Fatal(err)
		}
	}
	a.expireCtl()
	clk.Advance(2 * time.Second) // past L1
	for range 5 {
		res := mustGet(t, a, p, req, u)
		if string(res.Body) == `{"farm":1,"ndvi":0.1}` {
			t.Fatalf("the restored pre-flush entry was served: %s", res.CacheStatus())
		}
	}
	fresh := mustCache(t, r, clk)
	if res := mustGet(t, fresh, p, req, u); string(res.Body) == `{"farm":1,"ndvi":0.1}` {
		t.Fatalf("a new process served the restored entry: %s", res.CacheStatus())
	}
}

// TestFlushRacingALoadThatSeesANewVersion: a load begins, a flush happens,
// and the load's answer (fetched before the flush took effect upstream)
// declares a new schema version. It must not be stored in the generation
// the flush made.
func TestFlushRacingALoadThatSeesANewVersion(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("farm_list")
	req := reqKey("/farms/")
	v1 := newUpstream(`{"results":[{"id":1}]}`)
	v1.version = "1"
	mustGet(t, a, p, req, v1)
	clk.Advance(p.TTL + time.Second)

	old := newUpstream(`{"results":[{"id":1,"name":"before the flush"}]}`)
	old.version = "2"
	old.gate, old.entered = make(chan struct{}), make(chan struct{}, 1)
	done := make(chan Result, 1)
	go func() { res, _ := a.Get(ctx, p, req, old.load); done <- res }()
	<-old.entered
	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	close(old.gate)
	if res := <-done; res.Stored {
		t.Errorf("the pre-flush answer was stored: %s", res.CacheStatus())
	}
	now := newUpstream(`{"results":[{"id":1,"name":"after the flush"}]}`)
	now.version = "2"
	for _, c := range []*Cache{a, b} {
		clk.Advance(2 * time.Second)
		got := mustGet(t, c, p, req, now)
		if strings.Contains(string(got.Body), "before the flush") {
			t.Fatalf("served the body of a load that raced the flush: %s", got.CacheStatus())
		}
	}
}

// TestSilentSubscriberLossTurnsL1Off: the Pub/Sub connection stops
// delivering without closing (half-open: a NAT or a firewall dropped it).
// Invalidations sent meanwhile are lost, so the process must stop serving
// its L1 copies within the subscriber's dead time, not after its L1 TTL.
func TestSilentSubscriberLossTurnsL1Off(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	px := newFreezer(t, r.Addr())
	viaProxy := func(o *Options) {
		rdb := redis.NewClient(&redis.Options{Addr: px.addr(), ContextTimeoutEnabled: true,
			DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
		t.Cleanup(func() { _ = rdb.Close() })
		o.Redis, o.L1TTL = rdb, time.Minute // long L1: the bound under test is the subscriber's
	}
	a := mustCache(t, r, clk, viaProxy)
	b := mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("farm_state")
	req := reqKey("/farms/1/state")
	u := newUpstream(`{"farm":1,"ndvi":0.1}`)
	eventually(t, 2*time.Second, "a's subscriber", func() bool { return a.subOK.Load() })
	mustGet(t, a, p, req, u)
	want(t, mustGet(t, a, p, req, u), XCacheHit, envelope.SourceCache, `{"farm":1,"ndvi":0.1}`)

	px.freezeSubscribers()
	u.set(`{"farm":1,"ndvi":0.9}`, nil)
	if err := b.Invalidate(ctx, "farm_state", req); err != nil { // a never hears of it
		t.Fatal(err)
	}
	start := time.Now()
	for {
		res, ok := a.Fresh(p, req)
		if !ok || string(res.Body) != `{"farm":1,"ndvi":0.1}` {
			break
		}
		if time.Since(start) > subDead+2*subPing {
			t.Fatalf("a still serves its L1 copy %v after its subscriber went silent", time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("L1 copy dropped %v after the subscriber went silent (bound %v)", time.Since(start).Round(time.Millisecond), subDead+subPing)
}

// TestKilledSubscriberDropsL1AtOnce: a subscriber connection that is
// killed (the message sent while it reconnects is lost) turns L1 off until
// the new subscription is confirmed, which starts with an empty L1.
func TestKilledSubscriberDropsL1AtOnce(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	long := func(o *Options) { o.L1TTL = time.Minute }
	a, b := mustCache(t, r, clk, long), mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("farm_state")
	req := reqKey("/farms/1/state")
	u := newUpstream(`{"farm":1,"ndvi":0.1}`)
	eventually(t, 2*time.Second, "a's subscriber", func() bool { return a.subOK.Load() })
	mustGet(t, a, p, req, u)
	r.Do(t, "CLIENT", "KILL", "TYPE", "pubsub")
	u.set(`{"farm":1,"ndvi":0.9}`, nil)
	if err := b.Invalidate(ctx, "farm_state", req); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if res, ok := a.Fresh(p, req); ok && string(res.Body) == `{"farm":1,"ndvi":0.1}` {
		t.Fatalf("a serves its L1 copy after its subscriber was killed and a message was lost")
	}
	eventually(t, 2*time.Second, "the new subscription", func() bool { return a.subOK.Load() })
	want(t, mustGet(t, a, p, req, u), XCacheMiss, envelope.SourceUpstream, `{"farm":1,"ndvi":0.9}`)
}

// TestL1IsNotRefilledAcrossAnInvalidation: a Redis read that was in flight
// when an invalidation arrived must not put its (old) answer into L1.
func TestL1IsNotRefilledAcrossAnInvalidation(t *testing.T) {
	t.Parallel()
	l := newL1(time.Second, 100, 1<<20)
	s := newCtlState(map[string]string{"epoch": "e"}, time.Now())
	e := &entry{meta: meta{Status: 200}, body: []byte(`{}`), storedAt: time.Now(), ttl: time.Minute}
	seq := l.seq() // the read is sent
	l.drop("farm_state", "h")
	l.put("farm_state", "h", "k", s, e, time.Now(), seq) // its answer arrives after the drop
	if it := l.get("farm_state", "h", s, time.Now()); it != nil {
		t.Fatal("an answer read before an invalidation was copied into L1 after it")
	}
	l.put("farm_state", "h", "k", s, e, time.Now(), l.seq())
	if it := l.get("farm_state", "h", s, time.Now()); it == nil {
		t.Fatal("a read after the invalidation must be copied")
	}
}
