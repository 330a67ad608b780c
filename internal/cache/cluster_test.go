package cache

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// mustCluster starts a three-master Redis Cluster (slots split evenly, no
// replicas) and returns its addresses.
func mustCluster(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var addrs []string
	var bus0 int
	for i := range 3 {
		r := testenv.StartRedisWith(t, testenv.RedisOptions{Extra: []string{"--cluster-enabled", "yes"}})
		addrs = append(addrs, r.Addr())
		if i == 0 {
			bus0 = r.BusPort
		}
		c := redis.NewClient(&redis.Options{Addr: r.Addr()})
		lo, hi := i*16384/3, (i+1)*16384/3-1
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatalf("ADDSLOTSRANGE: %v", err)
		}
		if i > 0 {
			host, port, _ := strings.Cut(addrs[0], ":")
			if err := c.Do(ctx, "CLUSTER", "MEET", host, port, bus0).Err(); err != nil {
				t.Fatalf("MEET: %v", err)
			}
		}
		_ = c.Close()
	}
	eventually(t, 15*time.Second, "cluster_state:ok on every node", func() bool {
		for _, a := range addrs {
			c := redis.NewClient(&redis.Options{Addr: a})
			info, err := c.ClusterInfo(ctx).Result()
			_ = c.Close()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				return false
			}
		}
		return true
	})
	return addrs
}

func TestRedisCluster(t *testing.T) {
	testenv.NeedsProcesses(t, "a Redis Cluster of redis-server processes")
	addrs := mustCluster(t)
	clk := newClock()
	newCache := func() *Cache {
		rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: addrs, ContextTimeoutEnabled: true,
			DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
		if _, ok := rdb.(*redis.ClusterClient); !ok {
			t.Fatalf("UniversalClient is %T; want *redis.ClusterClient", rdb)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		logs := &testenv.LockedBuffer{}
		c, err := New(context.Background(), Options{Redis: rdb, AppID: "weather_apis", AppVersion: "1.0.0",
			Logger: slog.New(slog.NewTextHandler(logs, nil)), RedisTimeout: 2 * time.Second, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = c.Close()
			if t.Failed() {
				t.Logf("cache log:\n%s", logs.String())
			}
		})
		return c
	}
	a, b := newCache(), newCache()
	ctx := context.Background()
	p := policy("farm")

	// Many request keys, so entries land on every master.
	ups := map[string]*upstream{}
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7", "8"} {
		ups[id] = newUpstream(`{"id":` + id + `,"name":"f` + id + `"}`)
		want(t, mustGet(t, a, p, reqKey("/f/"+id), ups[id]), XCacheMiss, envelope.SourceUpstream, string(ups[id].body))
		want(t, mustGet(t, b, p, reqKey("/f/"+id), ups[id]), XCacheHit, envelope.SourceCache, string(ups[id].body))
	}
	if es, err := b.Entries(ctx, "farm"); err != nil || len(es) != 8 {
		t.Fatalf("Entries on a cluster = %d, %v; want 8", len(es), err)
	}

	// Invalidate: tombstone + store script in one slot per request.
	ups["1"].set(`{"id":1,"name":"new"}`, nil)
	if err := a.Invalidate(ctx, "farm", reqKey("/f/1")); err != nil {
		t.Fatal(err)
	}
	want(t, mustGet(t, a, p, reqKey("/f/1"), ups["1"]), XCacheMiss, envelope.SourceUpstream, `{"id":1,"name":"new"}`)

	// Stampede across two processes on a cluster.
	u := newUpstream(`{"id":99,"name":"x"}`)
	u.delay = 30 * time.Millisecond
	var wg sync.WaitGroup
	for _, c := range []*Cache{a, b} {
		for range 50 {
			wg.Go(func() { mustGet(t, c, p, reqKey("/f/99"), u) })
		}
	}
	wg.Wait()
	if n := u.calls.Load(); n != 1 {
		t.Errorf("cluster stampede: loader calls = %d; want 1", n)
	}

	// Route flush, schema change, Verify and Stats.
	if err := b.InvalidateRoute(ctx, "farm"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, b, p, reqKey("/f/2"), ups["2"]); got.XCache != XCacheMiss {
		t.Errorf("after route flush = %s; want MISS", got.XCache)
	}
	if err := a.ObserveSchemaVersion(ctx, "2"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, a, p, reqKey("/f/2"), ups["2"]); got.XCache != XCacheMiss {
		t.Errorf("after schema change = %s; want MISS", got.XCache)
	}
	if st, _ := a.Stats(ctx); st.SchemaVersion != "2" {
		t.Errorf("schema version after the change = %q; want 2", st.SchemaVersion)
	}
	drifts, err := a.Verify(ctx, func(context.Context, EntryInfo) (Fetched, error) {
		return Fetched{Status: 200, Body: []byte(`{"id":2,"name":"f2"}`)}, nil
	})
	if err != nil || len(drifts) != 1 || drifts[0].Verdict != VerdictSame {
		t.Errorf("Verify on a cluster = %+v, %v; want one same entry", drifts, err)
	}
	if _, err := b.Stats(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := a.Stats(ctx)
	if err != nil || !st.Shared || st.Total.Loads != 12 {
		t.Errorf("cluster stats = %+v, %v; want shared, 12 loads", st.Total, err)
	}
}
