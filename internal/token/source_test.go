package token_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

var _ upstream.TokenSource = (*token.Source)(nil)

func TestOneObtainAndOneRefreshAcrossProcesses(t *testing.T) {
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, 4*time.Second) // > the cold burst + the 0.5 s refresh-ahead window
	var sources []*token.Source
	for range 4 { // four "processes", each with its own Redis client
		sources = append(sources, newSource(t, newRedisClient(t, r), drf, nil))
	}

	seen := burst(t, sources, 8, 50)
	if obtains, refreshes, _ := drf.counts(); obtains != 1 || refreshes != 0 {
		t.Fatalf("cold burst: obtains = %d, refreshes = %d; want 1, 0", obtains, refreshes)
	}
	if len(seen) != 1 {
		t.Fatalf("cold burst: %d distinct tokens; want 1", len(seen))
	}
	var first string
	for tok := range seen {
		first = tok
	}
	if got := stored(t, newRedisClient(t, r)); got != first {
		t.Errorf("Redis holds a different token than the one served")
	}

	waitUntil(t, expOf(t, first).Add(50*time.Millisecond))
	seen = burst(t, sources, 8, 50)
	if obtains, refreshes, _ := drf.counts(); obtains != 1 || refreshes != 1 {
		t.Fatalf("after expiry: obtains = %d, refreshes = %d; want 1, 1", obtains, refreshes)
	}
	if _, ok := seen[first]; ok || len(seen) != 1 {
		t.Fatalf("after expiry: %d distinct tokens (old one served: %v); want exactly the new one", len(seen), ok)
	}
	var waits int64
	for _, s := range sources {
		waits += s.Counters().LockWaits
	}
	if waits == 0 {
		t.Errorf("no process waited for the lock; the stampede was not exercised")
	}
}

func TestRefreshAheadKeepsServingCurrentToken(t *testing.T) {
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, 3*time.Second)
	src := newSource(t, newRedisClient(t, r), drf, func(o *token.Options) { o.RefreshAhead = 2500 * time.Millisecond })
	ctx := context.Background()
	first, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Now inside the window: callers get a usable token at once while one
	// background refresh runs.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		tok, err := src.Token(ctx)
		if err != nil {
			t.Fatalf("Token during refresh-ahead: %v", err)
		}
		if tok != first {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if obtains, refreshes, _ := drf.counts(); obtains != 1 || refreshes < 1 {
		t.Fatalf("obtains = %d, refreshes = %d; want 1 obtain and a refresh ahead of expiry", obtains, refreshes)
	}
}

func TestRejectDropsOnlyThatToken(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, time.Minute)
	a := newSource(t, newRedisClient(t, r), drf, nil)
	b := newSource(t, newRedisClient(t, r), drf, nil)
	ctx := context.Background()
	t1, _ := a.Token(ctx)
	if got, _ := b.Token(ctx); got != t1 {
		t.Fatalf("b sees a different token")
	}
	if err := a.Reject(ctx, t1); err != nil {
		t.Fatal(err)
	}
	t2, err := a.Token(ctx)
	if err != nil || t2 == t1 {
		t.Fatalf("after Reject: Token = %v, %v; want a new token", t2 == t1, err)
	}
	// b still holds t1 locally and reports it stale: t2 must survive.
	if err := b.Reject(ctx, t1); err != nil {
		t.Fatal(err)
	}
	if got := stored(t, newRedisClient(t, r)); got != t2 {
		t.Fatalf("stale Reject dropped the newer token")
	}
	if got, _ := b.Token(ctx); got != t2 {
		t.Errorf("b.Token after stale reject is not the newer token")
	}
	obtains, refreshes, _ := drf.counts()
	if obtains+refreshes != 2 {
		t.Errorf("renewals = %d; want 2 (the first obtain and one after the reject)", obtains+refreshes)
	}
}

func TestRejectedRefreshFallsBackToObtain(t *testing.T) {
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, 2*time.Second)
	src := newSource(t, newRedisClient(t, r), drf, nil)
	ctx := context.Background()
	t1, _ := src.Token(ctx)
	// Another party already rotated (blacklisted) our refresh token.
	refresh, _ := newRedisClient(t, r).HGet(ctx, "{weather_apis:token}", "refresh").Result()
	drf.mu.Lock()
	drf.blacklist[refresh] = true
	drf.mu.Unlock()
	waitUntil(t, expOf(t, t1).Add(50*time.Millisecond))
	t2, err := src.Token(ctx)
	if err != nil || t2 == t1 {
		t.Fatalf("Token after expiry = new:%v, %v", t2 != t1, err)
	}
	if obtains, _, refused := drf.counts(); obtains != 2 || refused != 1 {
		t.Errorf("obtains = %d, refused refreshes = %d; want 2, 1", obtains, refused)
	}
	if c := src.Counters(); c.RefreshRejected != 1 || c.Obtains != 2 {
		t.Errorf("counters = %+v", c)
	}
}

func TestDeadHolderIsTakenOver(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, time.Minute)
	r.Do(t, "SET", "{weather_apis:token}:lock", "crashed-process", "PX", "300")
	src := newSource(t, newRedisClient(t, r), drf, nil)
	tok, err := src.Token(context.Background())
	if err != nil || tok == "" {
		t.Fatalf("Token = %v; want a token once the dead lease expired", err)
	}
	if c := src.Counters(); c.LockWaits != 1 || c.Obtains != 1 {
		t.Errorf("counters = %+v; want 1 lock wait, 1 obtain", c)
	}
}

func TestWaitIsBoundedByContext(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, time.Minute)
	r.Do(t, "SET", "{weather_apis:token}:lock", "busy-process", "PX", "10000")
	src := newSource(t, newRedisClient(t, r), drf, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := src.Token(ctx)
	if envelope.CodeOf(err) != envelope.CodeUpstreamTimeout {
		t.Fatalf("err = %v; want UPSTREAM_TIMEOUT", err)
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, time.Minute)
	src := newSource(t, newRedisClient(t, r), drf, func(o *token.Options) { o.Password = "wrong" })
	_, err := src.Token(context.Background())
	e := envelope.From(err)
	if e.Code != envelope.CodeUpstreamUnavailable || e.Retryable {
		t.Fatalf("err = %+v; want UPSTREAM_UNAVAILABLE, not retryable", e)
	}
}

func TestRedisOutageFallsBackAndReturns(t *testing.T) {
	testenv.NeedsProcesses(t, "kills or freezes redis-server")
	for _, mode := range []string{"stopped", "paused"} {
		t.Run(mode, func(t *testing.T) {
			r := testenv.StartRedis(t)
			drf := newSimpleJWT(t, time.Minute)
			a := newSource(t, newRedisClient(t, r), drf, nil)
			b := newSource(t, newRedisClient(t, r), drf, nil)
			ctx := context.Background()
			t1, _ := a.Token(ctx)

			if mode == "stopped" {
				r.Stop(t)
			} else {
				r.Pause(t)
			}
			_ = a.Reject(ctx, t1) // forces a renewal while Redis fails
			_ = b.Reject(ctx, t1)
			seen := burst(t, []*token.Source{a, b}, 8, 20)
			if _, ok := seen[t1]; ok {
				t.Errorf("rejected token still served during the outage")
			}
			obtains, _, _ := drf.counts()
			if obtains != 3 { // the first shared one, then one per process
				t.Errorf("obtains during outage = %d; want 3 (one per process)", obtains)
			}
			if a.Counters().Fallbacks != 1 || b.Counters().Fallbacks != 1 {
				t.Errorf("fallbacks = %d, %d; want 1, 1", a.Counters().Fallbacks, b.Counters().Fallbacks)
			}

			if mode == "stopped" {
				r.Start(t)
			} else {
				r.Resume(t)
			}
			time.Sleep(150 * time.Millisecond) // > RedisRetry
			ta, err := a.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tb, _ := b.Token(ctx)
			rdb := newRedisClient(t, r)
			if mode == "stopped" {
				// Redis came back empty: a's local pair was uploaded, b adopted it.
				if ta != tb || stored(t, rdb) != ta {
					t.Fatalf("after restart the processes do not share one token")
				}
				if obtains2, _, _ := drf.counts(); obtains2 != obtains {
					t.Errorf("obtains after restart = %d; want no new obtain", obtains2)
				}
			} else if ta != tb || stored(t, rdb) != ta {
				t.Fatalf("after resume the processes do not share Redis's token")
			}
		})
	}
}

func TestWithUpstreamClient(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, time.Minute)
	src := newSource(t, newRedisClient(t, r), drf, nil)
	c, err := upstream.New(upstream.Options{BaseURL: drf.URL, Tokens: src})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t1, _ := src.Token(ctx)
	drf.mu.Lock()
	drf.revoked[t1] = true // DRF stops accepting the shared token
	drf.mu.Unlock()
	resp, err := c.Do(ctx, upstream.Request{Method: "GET", Path: "/api/v1/farms/"})
	if err != nil || resp.Attempts != 2 {
		t.Fatalf("Do = %+v, %v; want success after one 401 replay", resp, err)
	}
	if t2, _ := src.Token(ctx); t2 == t1 || stored(t, newRedisClient(t, r)) != t2 {
		t.Errorf("the 401 did not replace the shared token")
	}
}

// TestGoneCallerDoesNotMarkRedisDown: a caller whose context ended (its
// client disconnected) fails its Redis read; that must not switch the
// process to a local token as if Redis were down, nor be logged as such.
func TestGoneCallerDoesNotMarkRedisDown(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	drf := newSimpleJWT(t, time.Minute)
	rdb := newRedisClient(t, r)
	a := newSource(t, rdb, drf, nil)
	shared, err := a.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// b has no copy of its own yet: its first Token reads Redis.
	b := newSource(t, newRedisClient(t, r), drf, nil)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Token(gone); !errors.Is(err, context.Canceled) {
		t.Errorf("Token(canceled) = %v; want context.Canceled", err)
	}
	again, err := b.Token(context.Background())
	if err != nil || again != shared {
		t.Errorf("after a gone caller Token = %.12q…, %v; want the shared token %.12q…", again, err, shared)
	}
	if c := b.Counters(); c.Fallbacks != 0 {
		t.Errorf("fallbacks = %d; want 0 (Redis never failed)", c.Fallbacks)
	}
	if obtains, _, _ := drf.counts(); obtains != 1 {
		t.Errorf("obtains = %d; want 1", obtains)
	}
}
