package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/config"
)

// TestEmbeddedStoreExpiresKeys: without WEATHER_APIS_REDIS_URL the
// embedded store expires keys with the wall clock, as Redis does; locks,
// leases and the breaker's cooldown rely on it.
func TestEmbeddedStoreExpiresKeys(t *testing.T) {
	t.Parallel()
	cfg := &config.Config{}
	cfg.Redis.Timeout = time.Second
	rdb, kind, closeRedis, err := openRedis(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer closeRedis()
	if kind != "embedded" {
		t.Fatalf("kind = %q; want embedded", kind)
	}
	ctx := context.Background()
	if err := rdb.Set(ctx, "lease", "x", 100*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Exists(ctx, "lease").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("a key with a 100 ms TTL still exists after 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
