package cache

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/jsonshape"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// clock is a settable time source for entry ages and L1.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mustClient returns a go-redis client for r, closed at the end of the test.
func mustClient(tb testing.TB, r *testenv.Redis) *redis.Client {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr: r.Addr(), ContextTimeoutEnabled: true,
		DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second,
	})
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// mustCache returns a Cache on its own client (as a separate process would
// have), closed at the end of the test.
//
// Tests with one Cache call t.Parallel. Tests with several do not: they
// expect one instance to see another's control-hash change (a version, a
// shape, a flush) at its next read, which the Pub/Sub message delivers in
// microseconds on an idle machine but not always under the load of parallel
// tests (with -race, 2 CPUs).
func mustCache(tb testing.TB, r *testenv.Redis, clk *clock, tune ...func(*Options)) *Cache {
	tb.Helper()
	logs := &testenv.LockedBuffer{}
	o := Options{
		Redis: mustClient(tb, r), AppID: "weather_apis", AppVersion: "1.0.0",
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RedisTimeout: 500 * time.Millisecond, RedisBackoff: 100 * time.Millisecond, Now: clk.Now,
	}
	for _, f := range tune {
		f(&o)
	}
	c, err := New(context.Background(), o)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() {
		_ = c.Close()
		if tb.Failed() {
			tb.Logf("cache log:\n%s", logs.String())
		}
	})
	return c
}

func noPubSub(o *Options) { o.DisablePubSub = true }

// heard waits until b's control snapshot has a's versions. a's answer
// recorded a schema version and published it; b reloads its snapshot when
// the message arrives, or, if b's subscription was confirmed only after the
// publish, at its next read. Both take microseconds on an idle machine, but
// not always less than the gap to b's next read under load (then b, keyed
// for the old version, misses and loads itself: correct, but not the shared
// entry a test means to look at).
func heard(tb testing.TB, a, b *Cache) {
	tb.Helper()
	ctx := context.Background()
	eventually(tb, 3*time.Second, "the other instance to hear of the recorded version", func() bool {
		return b.snapshot(ctx).versionTok == a.snapshot(ctx).versionTok
	})
}

// upstream is a scripted loader that counts its calls.
type upstream struct {
	mu      sync.Mutex
	body    string
	status  int
	version string
	err     error
	delay   time.Duration
	gate    chan struct{} // when set, each call waits for it to close
	entered chan struct{} // when set, each call sends on it first
	calls   atomic.Int64
}

func newUpstream(body string) *upstream { return &upstream{body: body, status: 200} }

func (u *upstream) set(body string, err error) {
	u.mu.Lock()
	u.body, u.err = body, err
	u.mu.Unlock()
}

func (u *upstream) load(ctx context.Context) (Fetched, error) {
	u.calls.Add(1)
	u.mu.Lock()
	body, status, version, err, delay, gate, entered := u.body, u.status, u.version, u.err, u.delay, u.gate, u.entered
	u.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return Fetched{}, envelope.From(ctx.Err())
		}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if err != nil {
		return Fetched{}, err
	}
	// As the real loader does: the declared version is read before anything else.
	v, _, _ := jsonshape.Declared(version, []byte(body))
	return Fetched{Status: status, Body: []byte(body), SchemaVersion: v, Observe: v, Header: version}, nil
}

// rules returns a Policy.Check applying the generic rules r.
func rules(r jsonshape.Rules) func(Fetched) (string, error) {
	return func(f Fetched) (string, error) { return "", r.Check(f.Header, f.Body) }
}

var (
	objectRules = rules(jsonshape.Rules{Kind: jsonshape.Object})
	pageRules   = rules(jsonshape.Rules{Kind: jsonshape.Page})
	schemaRules = rules(jsonshape.Rules{Kind: jsonshape.Object, RequireVersion: true})
)

// policy is a route policy for tests: 60 s fresh, no jitter, no staleness.
func policy(route string) Policy {
	return Policy{Route: route, TTL: time.Minute, Jitter: -1, LockTTL: 5 * time.Second, WaitMax: 3 * time.Second}
}

func reqKey(path string, kv ...string) RequestKey {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return NewRequestKey(path, q)
}

// mustGet calls Get and fails the test on an error.
func mustGet(tb testing.TB, c *Cache, p Policy, req RequestKey, u *upstream) Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.Get(ctx, p, req, u.load)
	if err != nil {
		tb.Fatalf("Get(%s %s) error = %v; want none", p.Route, req, err)
	}
	return r
}

// want checks the label of r.
func want(tb testing.TB, r Result, xcache string, source envelope.Source, body string) {
	tb.Helper()
	if r.XCache != xcache || r.Source != source || string(r.Body) != body {
		tb.Fatalf("got %s/%s %q (%s); want %s/%s %q", r.XCache, r.Source, r.Body, r.CacheStatus(), xcache, source, body)
	}
}

// eventually polls cond every 10 ms for at most d (real time).
func eventually(tb testing.TB, d time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func codeOf(err error) envelope.Code {
	var e *envelope.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
