package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/handlers"
	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

type staticUpstream struct{ body []byte }

func (u staticUpstream) Do(ctx context.Context, r upstream.Request) (*upstream.Response, error) {
	return &upstream.Response{Status: 200, Body: u.body, SchemaVersion: "1"}, nil
}

// BenchmarkSchemaCacheHit measures a signed, enveloped cache hit through the
// whole handler stack (guard, gin, AppAPI verification, resources, cache L1)
// against a real redis-server.
func BenchmarkSchemaCacheHit(b *testing.B) {
	r := testenv.StartRedis(b)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	c, err := cache.New(context.Background(), cache.Options{Redis: rdb, AppID: "weather_apis", AppVersion: testVersion})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	body := []byte(`{"schema_version":1,"title":"Farm","fields":[{"name":"name","label":"Name","type":"text","help_text":"` + strings.Repeat("x", 5400) + `"}]}`)
	res := resources.New(staticUpstream{body}, c, resources.Policy{TTL: time.Hour}, nil)
	h := newServer(b, func(d *handlers.Deps) { d.Resources = res })
	req := httptest.NewRequest("GET", "/api/v1/admin/farms/schema", nil)
	creds.Sign(req.Header, "admin")
	do := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	do()
	if rec := do(); rec.Header().Get("X-Cache") != "HIT" {
		b.Fatalf("not a hit: %d %q", rec.Code, rec.Header().Get("X-Cache"))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
	}
}

// BenchmarkPing is the trivial signed, enveloped route.
func BenchmarkPing(b *testing.B) {
	h := newServer(b, nil)
	req := httptest.NewRequest("GET", "/api/v1/admin/ping", nil)
	creds.Sign(req.Header, "admin")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

var _ = http.StatusOK
var _ = os.Getenv
