package cache

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

func TestMissThenHit(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clk := newClock()
	a := mustCache(t, r, clk)
	u := newUpstream(`{"id":1,"name":"North"}`)
	p := policy("farm")
	p.Check = objectRules
	req := reqKey("/api/v1/farms/1/")

	got := mustGet(t, a, p, req, u)
	want(t, got, XCacheMiss, envelope.SourceUpstream, `{"id":1,"name":"North"}`)
	if !got.Stored || got.TTL != time.Minute || got.FwdStatus != 200 {
		t.Errorf("miss: stored=%v ttl=%v fwd=%d; want stored, 1m, 200", got.Stored, got.TTL, got.FwdStatus)
	}
	if cs := got.CacheStatus(); cs != "weather_apis; fwd=uri-miss; fwd-status=200; stored" {
		t.Errorf("CacheStatus = %q", cs)
	}

	clk.Advance(18 * time.Second)
	got = mustGet(t, a, p, req, u) // L1
	want(t, got, XCacheHit, envelope.SourceCache, `{"id":1,"name":"North"}`)
	if got.Age != 18*time.Second || got.TTL != 42*time.Second {
		t.Errorf("hit: age=%v ttl=%v; want 18s, 42s", got.Age, got.TTL)
	}
	if cs := got.CacheStatus(); cs != "weather_apis; hit; ttl=42" {
		t.Errorf("CacheStatus = %q; want weather_apis; hit; ttl=42", cs)
	}

	b := mustCache(t, r, clk) // another process: no L1, reads Redis
	got = mustGet(t, b, p, req, u)
	want(t, got, XCacheHit, envelope.SourceCache, `{"id":1,"name":"North"}`)
	if n := u.calls.Load(); n != 1 {
		t.Errorf("loader calls = %d; want 1", n)
	}
	if !strings.Contains(got.Key, ":1.0.0:e1:") || strings.Contains(got.Key, "/api") {
		t.Errorf("key %q should hold app version and envelope format and no raw path", got.Key)
	}
}

func TestEveryKeyHasATTL(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clk := newClock()
	c := mustCache(t, r, clk)
	u := newUpstream(`{"id":1,"name":"x"}`)
	ctx := context.Background()
	mustGet(t, c, policy("farm"), reqKey("/f/1"), u)
	_ = c.Invalidate(ctx, "farm", reqKey("/f/2"))
	_ = c.InvalidateRoute(ctx, "farm")
	if _, err := c.Stats(ctx); err != nil {
		t.Fatal(err)
	}
	p := c.NewProbe(ProbeOptions{Routes: []ProbeRoute{{Policy: policy("farm"), Default: "/f/1"}},
		Fetch: func(ctx context.Context, _, _ string) (Fetched, error) { return u.load(ctx) }}, time.Minute)
	if _, _, err := p.Once(ctx); err != nil {
		t.Fatal(err)
	}
	rdb := mustClient(t, r)
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil || len(keys) < 5 {
		t.Fatalf("KEYS = %v, %v; want at least entry, tomb, ctl, stats, probe, shape", keys, err)
	}
	for _, k := range keys {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %q has no TTL (%v)", k, ttl)
		}
	}
}

func TestStaleWhileRevalidate(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clk := newClock()
	c := mustCache(t, r, clk)
	u := newUpstream(`{"id":1,"name":"old"}`)
	p := policy("farm")
	p.SWR = 30 * time.Second
	req := reqKey("/f/1")
	mustGet(t, c, p, req, u)

	u.set(`{"id":1,"name":"new"}`, nil)
	u.mu.Lock()
	u.gate = make(chan struct{}) // hold the background refresh until every stale read is done
	u.mu.Unlock()
	clk.Advance(p.TTL + 10*time.Second)
	for range 20 {
		got := mustGet(t, c, p, req, u)
		want(t, got, XCacheStale, envelope.SourceStale, `{"id":1,"name":"old"}`)
		if got.Detail != DetailSWR || got.TTL != -10*time.Second {
			t.Fatalf("stale: detail=%q ttl=%v; want %q, -10s", got.Detail, got.TTL, DetailSWR)
		}
	}
	if cs := mustGet(t, c, p, req, u).CacheStatus(); cs != "weather_apis; fwd=stale; ttl=-10; detail=stale-while-revalidate" {
		t.Errorf("CacheStatus = %q", cs)
	}
	close(u.gate)
	eventually(t, 5*time.Second, "the background refresh", func() bool {
		return string(mustGet(t, c, p, req, u).Body) == `{"id":1,"name":"new"}`
	})
	if n := u.calls.Load(); n != 2 {
		t.Errorf("loader calls = %d; want 2 (one miss, ONE background refresh)", n)
	}
	want(t, mustGet(t, c, p, req, u), XCacheHit, envelope.SourceCache, `{"id":1,"name":"new"}`)
}

func TestStaleIfErrorAndMaxStale(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clk := newClock()
	c := mustCache(t, r, clk)
	u := newUpstream(`{"id":1,"name":"kept"}`)
	p := policy("farm")
	p.StaleIfError, p.MaxStale = 10*time.Minute, 5*time.Minute // MaxStale caps the SIE window
	req := reqKey("/f/1")
	mustGet(t, c, p, req, u)

	down := envelope.New(envelope.CodeUpstreamUnavailable, "The farm service did not answer.").WithStatus(503)
	u.set("", down)
	clk.Advance(p.TTL + 4*time.Minute)
	got := mustGet(t, c, p, req, u)
	want(t, got, XCacheStale, envelope.SourceStale, `{"id":1,"name":"kept"}`)
	if got.FwdStatus != 503 || got.Detail != DetailStaleIfError {
		t.Errorf("stale-if-error: fwd=%d detail=%q; want 503, %q", got.FwdStatus, got.Detail, DetailStaleIfError)
	}
	if cs := got.CacheStatus(); cs != "weather_apis; fwd=stale; fwd-status=503; ttl=-240; detail=stale-if-error" {
		t.Errorf("CacheStatus = %q", cs)
	}

	// A client error is about the request: never answered with stale data.
	u.set("", envelope.New(envelope.CodeBadRequest, "bad filter"))
	if _, err := c.Get(context.Background(), p, req, u.load); codeOf(err) != envelope.CodeBadRequest {
		t.Errorf("Get with 400 upstream = %v; want BAD_REQUEST unchanged", err)
	}

	u.set("", down)
	clk.Advance(2 * time.Minute) // 6 min past TTL > MaxStale
	res, err := c.Get(context.Background(), p, req, u.load)
	if codeOf(err) != envelope.CodeUpstreamUnavailable || res.Source == envelope.SourceStale {
		t.Fatalf("past MaxStale: %v %s; want UPSTREAM_UNAVAILABLE and no stale body", err, res.XCache)
	}
	if res.XCache != XCacheMiss || res.FwdStatus != 503 {
		t.Errorf("past MaxStale: %s fwd=%d; want MISS fwd=503", res.XCache, res.FwdStatus)
	}
}

func TestNegativeCachingOf404Only(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	clk := newClock()
	c := mustCache(t, r, clk)
	p := policy("farm")
	p.NegativeTTL = 10 * time.Second
	ctx := context.Background()

	nf := newUpstream("")
	nf.err = envelope.New(envelope.CodeNotFound, "No farm 9.").WithDetails(map[string]string{"detail": "Not found."})
	res, err := c.Get(ctx, p, reqKey("/f/9"), nf.load)
	if codeOf(err) != envelope.CodeNotFound || res.XCache != XCacheMiss || !res.Stored || res.Status != 404 {
		t.Fatalf("first 404: %v %+v; want NOT_FOUND, MISS, stored", err, res)
	}
	res, err = c.Get(ctx, p, reqKey("/f/9"), nf.load)
	if codeOf(err) != envelope.CodeNotFound || res.XCache != XCacheHit || res.Detail != DetailNegative {
		t.Fatalf("second 404: %v %s %q; want NOT_FOUND from the cache", err, res.XCache, res.Detail)
	}
	if e := envelope.From(err); e.Message != "No farm 9." || e.Details == nil {
		t.Errorf("negative hit error = %+v; want the original message and details", e)
	}
	if nf.calls.Load() != 1 {
		t.Errorf("loader calls = %d; want 1", nf.calls.Load())
	}
	clk.Advance(11 * time.Second)
	if _, err = c.Get(ctx, p, reqKey("/f/9"), nf.load); nf.calls.Load() != 2 || codeOf(err) != envelope.CodeNotFound {
		t.Errorf("after NegativeTTL: calls=%d err=%v; want a new load", nf.calls.Load(), err)
	}

	cases := []struct {
		name string
		u    *upstream
		code envelope.Code
	}{
		{"503", &upstream{err: envelope.New(envelope.CodeUpstreamUnavailable, "down")}, envelope.CodeUpstreamUnavailable},
		{"400", &upstream{err: envelope.New(envelope.CodeBadRequest, "bad")}, envelope.CodeBadRequest},
		{"2xx not JSON", &upstream{status: 200, body: "<html>hi</html>"}, envelope.CodeUpstreamBadResponse},
		{"2xx list where an object is expected", &upstream{status: 200, body: `[{"name":"no id"}]`}, envelope.CodeUpstreamBadResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pp := p
			pp.Check = objectRules
			req := reqKey("/f/" + tc.name)
			for range 2 {
				res, err := c.Get(ctx, pp, req, tc.u.load)
				if codeOf(err) != tc.code || res.Stored || res.Body != nil {
					t.Fatalf("Get = %+v, %v; want %s, nothing stored, no body", res, err, tc.code)
				}
			}
			if n := tc.u.calls.Load(); n != 2 {
				t.Errorf("loader calls = %d; want 2 (never cached)", n)
			}
		})
	}
}

func TestStatusAndSchemaVersionOfNon200(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	c := mustCache(t, r, newClock())
	u := &upstream{status: 203, body: `{"id":2,"name":"x"}`, version: "7"}
	got := mustGet(t, c, policy("farm"), reqKey("/f/2"), u)
	if got.Status != 203 || !got.Stored || got.SchemaVersion != "7" {
		t.Errorf("got status=%d stored=%v schema=%q; want 203, stored, 7", got.Status, got.Stored, got.SchemaVersion)
	}
	got = mustGet(t, c, policy("farm"), reqKey("/f/2"), u)
	if got.Status != 203 || got.XCache != XCacheHit || got.SchemaVersion != "7" {
		t.Errorf("hit: status=%d %s schema=%q; want 203 HIT 7", got.Status, got.XCache, got.SchemaVersion)
	}
}
