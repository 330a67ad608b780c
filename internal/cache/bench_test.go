package cache

import (
	"context"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// Run with: go test -run '^$' -bench Hit -benchmem ./internal/cache/

func benchCache(b *testing.B, l1 time.Duration) (*Cache, Policy, RequestKey, Loader) {
	r := testenv.StartRedis(b)
	clk := newClock()
	c := mustCache(b, r, clk, func(o *Options) { o.L1TTL = l1 })
	u := newUpstream(`{"count":2,"next":null,"previous":null,"results":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}`)
	p, req := policy("farm_list"), reqKey("/api/v1/farms/", "page", "1")
	p.Check = pageRules
	mustGet(b, c, p, req, u)
	return c, p, req, u.load
}

// BenchmarkHitL1 measures a hit served from the in-process copy.
func BenchmarkHitL1(b *testing.B) {
	c, p, req, load := benchCache(b, time.Hour)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r, err := c.Get(ctx, p, req, load); err != nil || r.XCache != XCacheHit {
			b.Fatalf("%s %v", r.XCache, err)
		}
	}
}

// BenchmarkHitRedis measures a hit read from Redis (L1 disabled): one round
// trip (entry + tombstone), metadata, sha256 and shape check.
func BenchmarkHitRedis(b *testing.B) {
	c, p, req, load := benchCache(b, -1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r, err := c.Get(ctx, p, req, load); err != nil || r.XCache != XCacheHit {
			b.Fatalf("%s %v", r.XCache, err)
		}
	}
}
