package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

func redisClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newCache is one replica's cache on its own client, without L1, so every
// Get reads Redis.
func newCache(t *testing.T, r *testenv.Redis) *cache.Cache {
	t.Helper()
	c, err := cache.New(context.Background(), cache.Options{
		Redis: redisClient(t, r.Addr()), AppID: "metricstest", AppVersion: "1.0.0",
		L1TTL: -1, RedisTimeout: 500 * time.Millisecond, RedisBackoff: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestCacheCollectorReadsRealCache drives two replicas' caches on one real
// Redis and scrapes one of them: the counters are the cluster's, validation
// failures are counted, and with Redis gone the counters are omitted rather
// than reset.
func TestCacheCollectorReadsRealCache(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	a, b := newCache(t, r), newCache(t, r)
	ctx := context.Background()
	if err := a.ObserveSchemaVersion(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	pol := cache.Policy{Route: "farm_schema", TTL: time.Minute}
	key := cache.NewRequestKey("/api/v1/farms/schema/", nil)
	var loads atomic.Int64
	load := func(context.Context) (cache.Fetched, error) {
		loads.Add(1)
		return cache.Fetched{Status: 200, Body: []byte(`{"fields":[]}`), SchemaVersion: "2"}, nil
	}
	get := func(c *cache.Cache, want string) cache.Result {
		t.Helper()
		res, err := c.Get(ctx, pol, key, load)
		if err != nil || res.XCache != want {
			t.Fatalf("Get = %s, %v; want %s", res.XCache, err, want)
		}
		return res
	}
	first := get(a, cache.XCacheMiss)
	get(a, cache.XCacheHit)
	get(b, cache.XCacheHit)
	// A corrupted entry is dropped (a validation failure) and reloaded.
	r.Do(t, "SET", first.Key, "not an entry", "KEEPTTL")
	get(a, cache.XCacheMiss)
	if _, err := b.Stats(ctx); err != nil { // B flushes its counts to Redis
		t.Fatal(err)
	}

	m := New(Options{AppVersion: "1.0.0", Cache: a})
	url := serveOnLoopback(t, m)
	s := scrape(t, url)
	route := labels{"route": "farm_schema"}
	s.expect(t, "weather_apis_cache_results_total", labels{"route": "farm_schema", "result": "hit"}, 2) // A's and B's
	s.expect(t, "weather_apis_cache_results_total", labels{"route": "farm_schema", "result": "miss"}, 2)
	s.expect(t, "weather_apis_cache_results_total", labels{"route": "farm_schema", "result": "stale"}, 0)
	s.expect(t, "weather_apis_cache_results_total", labels{"route": "farm_schema", "result": "bypass"}, 0)
	s.expect(t, "weather_apis_cache_validation_failures_total", route, 1)
	s.expect(t, "weather_apis_cache_loads_total", route, float64(loads.Load()))
	s.expect(t, "weather_apis_cache_stats_shared", nil, 1)
	s.expect(t, "weather_apis_schema_info", labels{"app_version": "1.0.0", "schema_version": "2"}, 1)
	s.expect(t, "weather_apis_cache_generation", nil, -1)

	if err := a.Invalidate(ctx, "farm_schema", key); err != nil {
		t.Fatal(err)
	}
	s = scrape(t, url)
	s.expect(t, "weather_apis_cache_invalidations_total", route, 1)
	s.expect(t, "weather_apis_cache_results_total", labels{"route": "farm_schema", "result": "hit"}, 2) // scraping twice counts nothing twice

	t.Run("redis gone", func(t *testing.T) {
		testenv.NeedsProcesses(t, "kills redis-server")
		r.Stop(t)
		s := scrape(t, url)
		s.expect(t, "weather_apis_cache_stats_shared", nil, 0)
		s.absent(t, "weather_apis_cache_results_total", nil)
		s.expect(t, "weather_apis_schema_info", labels{"schema_version": "2"}, 1)
	})
}

// staticTokens is a TokenSource for a DRF stand-in that accepts any token.
type staticTokens struct{}

func (staticTokens) Token(context.Context) (string, error) { return "t", nil }
func (staticTokens) Reject(context.Context, string) error  { return nil }

// TestUpstreamCollectorReadsRealCounters calls a real HTTP backend through
// upstream.Client and exports its Counters.
func TestUpstreamCollectorReadsRealCounters(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	drf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/missing/":
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"detail":"Not found."}`))
		case n.Add(1) <= 2:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"detail":"busy"}`))
		default:
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer drf.Close()
	ctr := &upstream.Counters{}
	up, err := upstream.New(upstream.Options{BaseURL: drf.URL, Tokens: staticTokens{}, Counters: ctr,
		MaxRetries: 3, RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{Upstream: ctr})
	inst := m.InstrumentUpstream(up)
	ctx := context.Background()
	if _, err := inst.Do(ctx, upstream.Request{Method: "GET", Path: "/ok/"}); err != nil {
		t.Fatalf("Do after two 503s: %v", err)
	}
	if _, err := inst.Do(ctx, upstream.Request{Method: "GET", Path: "/missing/"}); err == nil {
		t.Fatal("Do /missing/ = nil error")
	}

	s := scrape(t, serveOnLoopback(t, m))
	s.expect(t, "weather_apis_upstream_calls_total", nil, 2)
	s.expect(t, "weather_apis_upstream_attempts_total", nil, 4)
	s.expect(t, "weather_apis_upstream_retries_total", nil, 2)
	s.expect(t, "weather_apis_upstream_failures_total", labels{"code": "NOT_FOUND"}, 1)
	s.expect(t, "weather_apis_upstream_request_duration_seconds", labels{"method": "GET", "route": "/ok/", "status_class": "2xx"}, 1)
	s.expect(t, "weather_apis_upstream_request_duration_seconds", labels{"method": "GET", "route": "/missing/", "status_class": "4xx"}, 1)
}

// TestInstrumentUpstreamSkipsBreakerRefusals: a call the open breaker refused
// never reached DRF, so it has no upstream latency.
func TestInstrumentUpstreamSkipsBreakerRefusals(t *testing.T) {
	t.Parallel()
	drf := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer drf.Close()
	brk, err := breaker.New(breaker.Options{Threshold: 1, Window: time.Minute, Cooldown: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	up, err := upstream.New(upstream.Options{BaseURL: drf.URL, Tokens: staticTokens{}, Breaker: brk, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{})
	inst := m.InstrumentUpstream(up)
	for range 3 {
		if _, err := inst.Do(context.Background(), upstream.Request{Method: "GET", Path: "/api/v1/farms/42/"}); err == nil {
			t.Fatal("Do = nil error; want 502 or circuit open")
		}
	}
	s := scrape(t, serveOnLoopback(t, m))
	s.expect(t, "weather_apis_upstream_request_duration_seconds", labels{"route": "/api/v1/farms/{id}/", "status_class": "5xx"}, 1)
}

func TestPathTemplate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"/api/v1/admin/farms/schema", "/api/v1/admin/farms/schema"},
		{"/api/v1/farms/", "/api/v1/farms/"},
		{"/api/v1/farms/123/", "/api/v1/farms/{id}/"},
		{"/api/v1/farms/7/state", "/api/v1/farms/{id}/state"},
		{"/a/12x/", "/a/12x/"},
		{"", ""},
	} {
		if got := pathTemplate(c.in); got != c.want {
			t.Errorf("pathTemplate(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

// tokenCounters stands in for token.Source, whose counters need a DRF token
// endpoint to move; the collector only maps the snapshot.
type tokenCounters token.Counters

func (c tokenCounters) Counters() token.Counters { return token.Counters(c) }

func TestTokenCollector(t *testing.T) {
	t.Parallel()
	tc := tokenCounters{Obtains: 1, Refreshes: 2, RefreshRejected: 3, LockWaits: 4, Fallbacks: 5, Fenced: 6, Rejects: 7}
	s := scrape(t, serveOnLoopback(t, New(Options{Tokens: tc})))
	for i, name := range []string{"obtains", "refreshes", "refresh_rejected", "lock_waits", "fallbacks", "fenced", "rejects"} {
		s.expect(t, "weather_apis_token_"+name+"_total", nil, float64(i+1))
	}
}

// TestBreakerCollector reads a real breaker: closed, opened by failures in
// Redis, and the local fallback when its Redis is unreachable.
func TestBreakerCollector(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	brk, err := breaker.New(breaker.Options{Redis: redisClient(t, r.Addr()), KeyPrefix: "metricstest",
		Threshold: 2, Window: time.Minute, Cooldown: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	url := serveOnLoopback(t, New(Options{Breaker: brk}))
	s := scrape(t, url)
	s.expect(t, "weather_apis_breaker_state", nil, 0)
	s.expect(t, "weather_apis_breaker_local", nil, 0)
	for range 2 {
		done, err := brk.Allow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		done(true)
	}
	s = scrape(t, url)
	s.expect(t, "weather_apis_breaker_state", nil, 2)
	s.expect(t, "weather_apis_breaker_opens_total", nil, 1)
	s.expect(t, "weather_apis_breaker_cooldown_seconds", nil, 60) // the first open lasts Cooldown
	s.expect(t, "weather_apis_breaker_rejected_opens_total", nil, 0)

	dead, err := breaker.New(breaker.Options{Redis: redisClient(t, testenv.DeadAddr(t)),
		KeyPrefix: "metricstest", RedisTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s = scrape(t, serveOnLoopback(t, New(Options{Breaker: dead})))
	s.expect(t, "weather_apis_breaker_state", nil, 0)
	s.expect(t, "weather_apis_breaker_local", nil, 1)
}
