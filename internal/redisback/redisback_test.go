package redisback_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/redisback"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// backend is a Redis server the tests run against: a real redis-server
// process or an embedded miniredis.
type backend struct {
	addr    string
	elapse  func(d time.Duration) // let d pass for the server's TTLs
	stop    func()                // the server goes away (connections refused)
	restart func()                // it answers again on the same address (empty)
}

// backends runs f against a real redis-server (skipped under -short, which
// starts no process) and against miniredis.
func backends(t *testing.T, f func(t *testing.T, b backend)) {
	t.Run("redis-server", func(t *testing.T) {
		testenv.NeedsProcesses(t, "a redis-server to stop and restart")
		r := testenv.StartRedis(t)
		f(t, backend{
			addr:    r.Addr(),
			elapse:  time.Sleep,
			stop:    func() { r.Stop(t) },
			restart: func() { r.Start(t) },
		})
	})
	t.Run("miniredis", func(t *testing.T) {
		m := miniredis.RunT(t)
		f(t, backend{
			addr:   m.Addr(),
			elapse: m.FastForward,
			stop:   m.Close,
			restart: func() {
				if err := m.Restart(); err != nil {
					t.Fatalf("miniredis restart: %v", err)
				}
			},
		})
	})
}

func client(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond,
		WriteTimeout: 200 * time.Millisecond, MaxRetries: -1, DialerRetries: 1, ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestLock(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		rdb := client(t, be.addr)
		const key = "{t}:lock"
		a, b := redisback.NewLock(key, 300*time.Millisecond), redisback.NewLock(key, 300*time.Millisecond)
		if a.Token == b.Token || len(a.Token) != 32 {
			t.Fatalf("tokens %q and %q: want two different 32-hex tokens", a.Token, b.Token)
		}
		must := func(what string, got bool, err error, want bool) {
			t.Helper()
			if err != nil || got != want {
				t.Fatalf("%s = %v, %v; want %v", what, got, err, want)
			}
		}
		got, err := a.Acquire(ctx, rdb)
		must("a.Acquire (free)", got, err, true)
		got, err = b.Acquire(ctx, rdb)
		must("b.Acquire (held by a)", got, err, false)
		got, err = b.Release(ctx, rdb)
		must("b.Release (not the holder)", got, err, false)
		got, err = b.Renew(ctx, rdb)
		must("b.Renew (not the holder)", got, err, false)
		got, err = b.Hold(ctx, rdb)
		must("b.Hold (held by a)", got, err, false)
		if v := rdb.Get(ctx, key).Val(); v != a.Token {
			t.Fatalf("lock value %q after b's attempts; want a's token", v)
		}
		if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > 300*time.Millisecond {
			t.Fatalf("PTTL %v; want (0, 300ms]", ttl)
		}

		be.elapse(200 * time.Millisecond)
		got, err = a.Renew(ctx, rdb)
		must("a.Renew", got, err, true)
		if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 200*time.Millisecond {
			t.Fatalf("PTTL %v after Renew; want the full lease again", ttl)
		}
		got, err = a.Hold(ctx, rdb)
		must("a.Hold (holder)", got, err, true)

		// The lease runs out: b takes over, and a can neither release nor
		// extend b's lease.
		be.elapse(400 * time.Millisecond)
		got, err = b.Acquire(ctx, rdb)
		must("b.Acquire (after a's lease ran out)", got, err, true)
		got, err = a.Release(ctx, rdb)
		must("a.Release (taken over)", got, err, false)
		got, err = a.Renew(ctx, rdb)
		must("a.Renew (taken over)", got, err, false)
		if v := rdb.Get(ctx, key).Val(); v != b.Token {
			t.Fatalf("lock value %q after a's late release; want b's token", v)
		}
		got, err = b.Release(ctx, rdb)
		must("b.Release (holder)", got, err, true)
		if n := rdb.Exists(ctx, key).Val(); n != 0 {
			t.Fatalf("lock key still exists after its holder released it")
		}
		got, err = a.Hold(ctx, rdb)
		must("a.Hold (free)", got, err, true)
		if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 {
			t.Fatalf("Hold took the lock without a TTL (PTTL %v)", ttl)
		}
	})
}

// TestLockPipelined: SetNX queues the acquisition in a pipeline, so a caller
// takes the lock and reads other keys in one round trip (the cache does).
func TestLockPipelined(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		rdb := client(t, be.addr)
		rdb.Set(ctx, "{t}:entry", "v", 0)
		l := redisback.NewLock("{t}:entry:lock", 1500*time.Millisecond)
		var set *redis.BoolCmd
		var val *redis.StringCmd
		if _, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			set = l.SetNX(ctx, p)
			val = p.Get(ctx, "{t}:entry")
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !set.Val() || val.Val() != "v" {
			t.Fatalf("pipelined SetNX = %v, GET = %q; want true, v", set.Val(), val.Val())
		}
		// A TTL that is not a whole second is sent in milliseconds.
		if ttl := rdb.PTTL(ctx, l.Key).Val(); ttl <= time.Second || ttl > 1500*time.Millisecond {
			t.Fatalf("PTTL %v; want (1s, 1.5s]", ttl)
		}
		again := l // same token: a second SetNX does not take it again
		if got := again.SetNX(ctx, rdb).Val(); got {
			t.Fatalf("SetNX on a held lock succeeded")
		}
	})
}

// TestLockNeedsATTL: a lock without a lease would block everyone for ever
// once its holder dies; no operation sends one.
func TestLockNeedsATTL(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		rdb := client(t, be.addr)
		l := redisback.Lock{Key: "{t}:nottl", Token: redisback.NewToken()}
		if ok, err := l.Acquire(ctx, rdb); ok || err == nil {
			t.Fatalf("Acquire with TTL 0 = %v, %v; want an error", ok, err)
		}
		if ok, err := l.Hold(ctx, rdb); ok || err == nil {
			t.Fatalf("Hold with TTL 0 = %v, %v; want an error", ok, err)
		}
		if n := rdb.Exists(ctx, l.Key).Val(); n != 0 {
			t.Fatalf("a lock without TTL was written")
		}
	})
}

// TestLockOneHolder: of many concurrent acquirers exactly one wins.
func TestLockOneHolder(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		rdb := client(t, be.addr)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, take := range []func(redisback.Lock) (bool, error){
					func(l redisback.Lock) (bool, error) { return l.Acquire(ctx, rdb) },
					func(l redisback.Lock) (bool, error) { return l.Hold(ctx, rdb) },
				} {
					if ok, err := take(redisback.NewLock("{t}:one", 5*time.Second)); err != nil {
						t.Error(err)
					} else if ok {
						wins.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d of 32 acquisitions won; want exactly 1", n)
		}
	})
}

// TestGateOutage: the gate against a server that goes away and comes back.
func TestGateOutage(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		rdb := client(t, be.addr)
		var downs, ups atomic.Int32
		var downErr atomic.Value
		g := redisback.NewGate(redisback.GateOptions{
			Backoff: 150 * time.Millisecond, MaxBackoff: 300 * time.Millisecond,
			OnDown: func(err error, w time.Duration) {
				downs.Add(1)
				downErr.Store(fmt.Sprint(err, " ", w))
			},
			OnUp: func(time.Duration) { ups.Add(1) },
		})
		call := func() (tried, failed bool) {
			if g.Down() {
				return false, false
			}
			return true, g.Report(ctx, rdb.Ping(ctx).Err())
		}
		if tried, failed := call(); !tried || failed {
			t.Fatalf("healthy Redis: tried %v, failed %v", tried, failed)
		}
		if g.Report(ctx, rdb.Get(ctx, "missing").Err()) {
			t.Fatalf("a miss (redis.Nil) counted as a failure")
		}

		before := time.Now()
		be.stop()
		if tried, failed := call(); !tried || !failed {
			t.Fatalf("stopped Redis: tried %v, failed %v; want a failure", tried, failed)
		}
		since := g.DownSince()
		if !g.Down() || since.Before(before) || downs.Load() != 1 {
			t.Fatalf("after the failure: Down %v, DownSince %v, OnDown ran %d times", g.Down(), since, downs.Load())
		}
		if s, _ := downErr.Load().(string); s == "" {
			t.Fatalf("OnDown got no error")
		}
		// Inside the window nothing is sent.
		if tried, _ := call(); tried {
			t.Fatalf("Redis was tried inside the back-off window")
		}
		// After it, Redis is tried again; the failure grows the window
		// (150 ms → 300 ms) and is not a new outage.
		time.Sleep(160 * time.Millisecond)
		if tried, failed := call(); !tried || !failed {
			t.Fatalf("after the window: tried %v, failed %v", tried, failed)
		}
		if downs.Load() != 1 || !g.DownSince().Equal(since) {
			t.Fatalf("second failure: OnDown ran %d times, DownSince %v (was %v)", downs.Load(), g.DownSince(), since)
		}
		time.Sleep(160 * time.Millisecond)
		if !g.Down() {
			t.Fatalf("the second window did not grow past the first (150ms)")
		}

		be.restart()
		time.Sleep(160 * time.Millisecond)
		if tried, failed := call(); !tried || failed {
			t.Fatalf("restarted Redis: tried %v, failed %v", tried, failed)
		}
		if g.Down() || !g.DownSince().IsZero() || ups.Load() != 1 {
			t.Fatalf("after recovery: Down %v, DownSince %v, OnUp ran %d times", g.Down(), g.DownSince(), ups.Load())
		}
	})
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// downFor returns how long g stays down from now on clk (ms resolution).
func downFor(g *redisback.Gate, clk *clock) time.Duration {
	start := clk.Now()
	for g.Down() {
		clk.add(time.Millisecond)
	}
	return clk.Now().Sub(start)
}

func TestGateWindows(t *testing.T) {
	errDown := errors.New("down")
	t.Run("fixed", func(t *testing.T) {
		clk := &clock{t: time.Unix(1000, 0)}
		var downs int
		var window time.Duration
		g := redisback.NewGate(redisback.GateOptions{Backoff: 100 * time.Millisecond, Now: clk.Now,
			OnDown: func(_ error, w time.Duration) { downs++; window = w }})
		if g.Down() || !g.DownSince().IsZero() || g.OK() {
			t.Fatalf("a new gate is not up")
		}
		g.Fail(errDown)
		if window != 100*time.Millisecond || !g.DownSince().Equal(clk.Now()) {
			t.Fatalf("OnDown window %v, DownSince %v", window, g.DownSince())
		}
		clk.add(40 * time.Millisecond)
		g.Fail(errDown) // inside the window: restarts it
		if d := downFor(g, clk); d != 100*time.Millisecond {
			t.Fatalf("window after a failure inside it: %v; want 100ms from that failure", d)
		}
		for range 3 {
			g.Fail(errDown) // after the window: fixed, no growth
			if d := downFor(g, clk); d != 100*time.Millisecond {
				t.Fatalf("fixed window %v; want 100ms", d)
			}
		}
		if downs != 1 {
			t.Fatalf("OnDown ran %d times in one outage", downs)
		}
	})
	t.Run("growing", func(t *testing.T) {
		clk := &clock{t: time.Unix(1000, 0)}
		var downs, ups int
		var lasted time.Duration
		g := redisback.NewGate(redisback.GateOptions{Backoff: 100 * time.Millisecond, MaxBackoff: 350 * time.Millisecond,
			Now: clk.Now, OnDown: func(error, time.Duration) { downs++ }, OnUp: func(d time.Duration) { ups++; lasted = d }})
		start := clk.Now()
		var got []time.Duration
		for range 4 {
			g.Fail(errDown)
			clk.add(10 * time.Millisecond)
			g.Fail(errDown)                    // a call already under way: no growth
			got = append(got, downFor(g, clk)) // from the later failure
		}
		want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 350 * time.Millisecond, 350 * time.Millisecond}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("windows %v; want %v", got, want)
		}
		if !g.DownSince().Equal(start) {
			t.Fatalf("DownSince %v; want the first failure %v", g.DownSince(), start)
		}
		clk.add(5 * time.Millisecond)
		if !g.OK() || g.OK() {
			t.Fatalf("OK must report true exactly once per outage")
		}
		if ups != 1 || lasted != clk.Now().Sub(start) {
			t.Fatalf("OnUp ran %d times with %v; want once with %v", ups, lasted, clk.Now().Sub(start))
		}
		g.Fail(errDown) // a new outage starts at Backoff again
		if d := downFor(g, clk); d != 100*time.Millisecond || downs != 2 {
			t.Fatalf("new outage: window %v, OnDown ran %d times; want 100ms, 2", d, downs)
		}
	})
	t.Run("OK ends the window at once", func(t *testing.T) {
		g := redisback.NewGate(redisback.GateOptions{Backoff: time.Hour})
		g.Fail(errDown)
		if !g.Down() || !g.OK() || g.Down() {
			t.Fatalf("OK did not end the outage at once")
		}
	})
	t.Run("zero backoff panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatalf("NewGate with Backoff 0 did not panic")
			}
		}()
		redisback.NewGate(redisback.GateOptions{})
	})
}

func TestFailed(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	boom := errors.New("dial tcp: connection refused")
	for _, c := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"nil", live, nil, false},
		{"miss", live, redis.Nil, false},
		{"wrapped miss", live, fmt.Errorf("get: %w", redis.Nil), false},
		{"caller cancelled", done, context.Canceled, false},
		{"cancelled under a live ctx", live, context.Canceled, true},
		{"timeout", live, context.DeadlineExceeded, true},
		{"timeout, caller gone", done, context.DeadlineExceeded, true},
		{"network", live, boom, true},
		{"network, caller gone", done, boom, true},
	} {
		if got := redisback.Failed(c.ctx, c.err); got != c.want {
			t.Errorf("%s: Failed = %v; want %v", c.name, got, c.want)
		}
	}
	g := redisback.NewGate(redisback.GateOptions{Backoff: time.Hour})
	if g.Report(done, context.Canceled) || g.Down() {
		t.Fatalf("the caller's cancellation put the gate down")
	}
}

// TestGateConcurrent (meant for -race): every outage is announced once and
// ended once, whatever the interleaving.
func TestGateConcurrent(t *testing.T) {
	var downs, ups atomic.Int32
	var g *redisback.Gate
	g = redisback.NewGate(redisback.GateOptions{Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		OnDown: func(error, time.Duration) { downs.Add(1); _ = g.DownSince() },
		OnUp:   func(time.Duration) { ups.Add(1); _ = g.Down() },
	})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 2000 {
				switch (i + j) % 3 {
				case 0:
					g.Fail(errors.New("x"))
				case 1:
					g.OK()
				default:
					_, _ = g.Down(), g.DownSince()
				}
			}
		}()
	}
	wg.Wait()
	d, u := downs.Load(), ups.Load()
	open := !g.DownSince().IsZero()
	if want := u + map[bool]int32{true: 1, false: 0}[open]; d != want || d == 0 {
		t.Fatalf("OnDown ran %d times, OnUp %d, outage open %v", d, u, open)
	}
}
