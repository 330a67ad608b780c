package handlers_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/handlers"
	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/integration"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// BenchmarkHitAuth compares the same cached answer served on an admin route
// (AppAPI signature only) and on an integration route (AppAPI signature plus
// a real API key checked against a real Redis-backed store): the difference
// is the cost of credential checking (issue 4's ≤ 10 % target).
func BenchmarkHitAuth(b *testing.B) {
	r := testenv.StartRedis(b)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})
	defer rdb.Close()
	store := credentials.New(rdb, credentials.Options{})
	defer store.Close()
	auth, err := integration.New(integration.Options{Credentials: store, Limiter: credentials.NewLimiter(rdb, credentials.LimiterOptions{}), TrustOriginIP: true})
	if err != nil {
		b.Fatal(err)
	}
	created, err := store.Create(context.Background(), credentials.CreateRequest{Name: "bench", Type: credentials.TypeAPIKey,
		Scopes: []string{"farms:state:read"}, CreatedBy: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"farm":1,"ndvi":0.42,"observed_at":"2026-11-01T00:00:00Z","source":"bench","tiles":[]}`)
	h := newServer(b, func(d *handlers.Deps) {
		d.Integr = auth
		d.Resources = &fakeResources{ReadFn: func(ctx context.Context, route string, p handlers.Params) (handlers.Answer, error) {
			return handlers.Answer{Status: 200, Body: body, Source: envelope.SourceCache, XCache: "HIT", CacheStatus: "weather_apis; hit; ttl=60", Age: time.Second}, nil
		}}
	})
	run := func(b *testing.B, path string, key string) {
		req := httptest.NewRequest("GET", path, nil)
		creds.Sign(req.Header, "admin")
		req.Header.Set("X-Origin-IP", "10.1.2.3")
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		if rec := httptest.NewRecorder(); true {
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("%s = %d %s", path, rec.Code, rec.Body.String())
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
	}
	b.Run("admin", func(b *testing.B) { run(b, "/api/v1/admin/farms/1", "") })
	b.Run("integration", func(b *testing.B) { run(b, "/api/v1/farms/1/state", created.Secret) })
}
