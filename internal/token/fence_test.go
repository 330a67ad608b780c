package token

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestFenceStopsAnOldHolder: a holder that paused past its lease (fence 1)
// must not overwrite what the next holder (fence 2) wrote, nor write once a
// newer fence was handed out.
func TestFenceStopsAnOldHolder(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	s, err := New(Options{Redis: rdb, BaseURL: "http://127.0.0.1:1", Username: "svc"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	pair := func(name string, fence int64) *record {
		return &record{Access: name, Refresh: "r-" + name, AccessExp: now.Add(time.Minute), RefreshExp: now.Add(time.Hour), Fence: fence, ObtainedAt: now}
	}

	old, _ := s.nextFence(ctx)
	newer, _ := s.nextFence(ctx)
	if ok, err := s.write(ctx, pair("old-before", old)); ok || err != nil {
		t.Fatalf("old holder wrote after a newer fence was handed out (ok=%v err=%v)", ok, err)
	}
	if ok, err := s.write(ctx, pair("newer", newer)); !ok || err != nil {
		t.Fatalf("newest holder could not write (ok=%v err=%v)", ok, err)
	}
	if ok, _ := s.write(ctx, pair("old-after", old)); ok {
		t.Fatalf("old holder overwrote the newer token")
	}
	if ok, _ := s.write(ctx, pair("newer-again", newer)); ok {
		t.Fatalf("a fence wrote twice")
	}
	got, err := s.load(ctx)
	if err != nil || got.Access != "newer" || got.Fence != newer || got.Refresh != "r-newer" {
		t.Fatalf("stored = %+v, %v; want the newer pair", got, err)
	}
	ttl := rdb.PTTL(ctx, s.keys.data).Val()
	if ttl <= 50*time.Minute || ttl > time.Hour {
		t.Errorf("TTL = %v; want about the refresh expiry (1h)", ttl)
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cases := []struct {
		ahead, life, want time.Duration
	}{
		{0, 5 * time.Minute, time.Minute},      // 20%
		{0, 20 * time.Second, 5 * time.Second}, // min 5 s
		{0, 6 * time.Second, 3 * time.Second},  // at most half
		{30 * time.Second, time.Hour, 30 * time.Second},
	}
	for _, tc := range cases {
		s := &Source{opts: Options{RefreshAhead: tc.ahead}}
		if got := s.window(&record{ObtainedAt: now, AccessExp: now.Add(tc.life)}); got != tc.want {
			t.Errorf("window(ahead=%v, life=%v) = %v; want %v", tc.ahead, tc.life, got, tc.want)
		}
	}
}
