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
	res := resources.New(staticUpstream{body}, c, resources.Options{Policy: resources.Policy{TTL: time.Hour}})
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
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if w.status != 200 || w.n < 5400 {
		b.Fatalf("answered %d with %d bytes", w.status, w.n)
	}
}

// discardWriter is a ResponseWriter that keeps only the status and the
// byte count, so the benchmark measures the server, not a recorder's copy.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header  { return w.h }
func (w *discardWriter) WriteHeader(code int) { w.status = code }
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	w.n = len(b)
	return len(b), nil
}

// BenchmarkPing is the trivial signed, enveloped route.
func BenchmarkPing(b *testing.B) {
	h := newServer(b, nil)
	req := httptest.NewRequest("GET", "/api/v1/admin/ping", nil)
	creds.Sign(req.Header, "admin")
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
	if w.status != 200 {
		b.Fatalf("answered %d", w.status)
	}
}

var _ = http.StatusOK
var _ = os.Getenv
