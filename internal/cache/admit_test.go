package cache

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// An unbounded variant is answered but stored only when it is asked for
// again; a bounded one is stored at once.
func TestUnboundedVariantStoredOnRepeat(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	c := mustCache(t, r, newClock())
	u := newUpstream(`{"count":0,"results":[]}`)
	p := policy("farm_list")
	req := reqKey("/api/v1/farms/", "search", "north").OnRepeat()

	got := mustGet(t, c, p, req, u)
	if got.Stored || got.XCache != XCacheMiss {
		t.Fatalf("first sight: stored=%v x-cache=%s; want not stored, MISS", got.Stored, got.XCache)
	}
	if got = mustGet(t, c, p, req, u); !got.Stored {
		t.Fatalf("second sight: not stored")
	}
	want(t, mustGet(t, c, p, req, u), XCacheHit, envelope.SourceCache, `{"count":0,"results":[]}`)
	if n := u.calls.Load(); n != 2 {
		t.Errorf("loader calls = %d; want 2", n)
	}
	if got = mustGet(t, c, p, reqKey("/api/v1/farms/", "page", "2"), u); !got.Stored {
		t.Errorf("a bounded variant was not stored on first sight")
	}
}

// One client sending 10 000 distinct search values adds no entry to Redis,
// and the doorkeeper's memory stays bounded by its window.
func TestDistinctSearchesAddNoKeys(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	c := mustCache(t, r, newClock(), func(o *Options) { o.AdmitWindow = 512 })
	u := newUpstream(`{"count":0,"results":[]}`)
	p := policy("farm_list")
	ctx := context.Background()
	rdb := mustClient(t, r)
	mustGet(t, c, p, reqKey("/api/v1/farms/"), u) // the control hash, shape record and one entry exist
	// and the statistics hash, which is written in the background: flush it
	// now, or its first write during the loop looks like a new key
	if err := c.flushStats(ctx); err != nil {
		t.Fatal(err)
	}
	before := rdb.DBSize(ctx).Val()
	var mem0 int64
	if !r.Embedded() { // miniredis has no INFO memory: the used_memory subtest below skips under -short
		mem0 = usedMemory(t, rdb)
	}
	for i := range 10000 {
		mustGet(t, c, p, reqKey("/api/v1/farms/", "search", "q"+strconv.Itoa(i)).OnRepeat(), u)
	}
	after := rdb.DBSize(ctx).Val()
	if after != before {
		keys, _ := rdb.Keys(ctx, "*").Result()
		t.Errorf("Redis keys %d → %d after 10 000 distinct searches; want no new key: %v", before, after, keys)
	}
	t.Run("used_memory", func(t *testing.T) {
		testenv.NeedsProcesses(t, "INFO memory of redis-server")
		if grew := usedMemory(t, rdb) - mem0; grew > 1<<20 {
			t.Errorf("Redis used_memory grew by %d bytes; want < 1 MiB", grew)
		}
	})
	c.admit.mu.Lock()
	held := len(c.admit.cur) + len(c.admit.prev)
	c.admit.mu.Unlock()
	if held > 2*512 {
		t.Errorf("doorkeeper holds %d variants; want ≤ %d", held, 2*512)
	}
	st, err := c.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.Routes["farm_list"].NotAdmitted; n != 10000 {
		t.Errorf("not_admitted = %d; want 10000", n)
	}
}

// usedMemory is Redis's used_memory in bytes.
func usedMemory(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("no used_memory in INFO memory")
	return 0
}

// L1 drops expired items within a sweep, and holds at most its byte bound.
func TestL1BoundedInBytesAndSweptWhenExpired(t *testing.T) {
	t.Parallel()
	l := newL1(time.Second, 1000, 64<<10)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &ctlState{}
	body := make([]byte, 4<<10)
	for i := range 100 {
		e := &entry{body: body, storedAt: now, ttl: time.Minute}
		l.put("r", fmt.Sprint(i), "k", s, e, now, l.seq())
	}
	if n, b := l.size(); b > 64<<10 || n == 0 {
		t.Fatalf("L1 holds %d items, %d bytes; want some, ≤ 64 KiB", n, b)
	}
	l.sweep(now.Add(2 * time.Second))
	if n, b := l.size(); n != 0 || b != 0 {
		t.Errorf("after the sweep: %d items, %d bytes; want none", n, b)
	}
	big := &entry{body: make([]byte, 16<<10), storedAt: now, ttl: time.Minute}
	l.put("r", "big", "k", s, big, now, l.seq())
	if n, _ := l.size(); n != 0 {
		t.Errorf("a body over an eighth of L1 was kept")
	}
}
