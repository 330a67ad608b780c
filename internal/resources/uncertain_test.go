package resources_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// slowWriter is an upstream whose PUT of a farm state times out at the
// client but lands when commit is called, as a slow DRF behind a proxy does.
type slowWriter struct {
	mu    sync.Mutex
	state string
	next  string
}

func (s *slowWriter) Do(_ context.Context, r upstream.Request) (*upstream.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPut {
		s.next = string(r.Body)
		return nil, envelope.Wrap(envelope.CodeUpstreamTimeout, "The farm service did not answer in time.", errors.New("attempt timeout"))
	}
	return &upstream.Response{Status: 200, Body: []byte(s.state), SchemaVersion: "1"}, nil
}

func (s *slowWriter) commit() {
	s.mu.Lock()
	s.state = s.next
	s.mu.Unlock()
}

// TestWriteThatTimesOutButLands: a read between a timed-out write and its
// late commit must not cache the old row until the cache's TTL.
func TestWriteThatTimesOutButLands(t *testing.T) {
	r := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	c, err := cache.New(context.Background(), cache.Options{Redis: rdb, AppID: "weather_apis", AppVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	up := &slowWriter{state: `{"farm":1,"ndvi":0.1}`}
	settle := 500 * time.Millisecond
	svc := resources.New(up, c, resources.Options{Policy: resources.Policy{TTL: 5 * time.Minute}, WriteSettle: settle})
	ctx := context.Background()
	if _, err := svc.Read(ctx, "farm_state", resources.Params{ID: "1"}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Write(ctx, "farm_state_put", resources.Params{ID: "1"}, []byte(`{"farm":1,"ndvi":0.9}`))
	if envelope.CodeOf(err) != envelope.CodeUpstreamTimeout {
		t.Fatalf("write = %v; want UPSTREAM_TIMEOUT", err)
	}
	a, err := svc.Read(ctx, "farm_state", resources.Params{ID: "1"}) // before DRF commits
	if err != nil || string(a.Body) != `{"farm":1,"ndvi":0.1}` || a.XCache != cache.XCacheMiss {
		t.Fatalf("read before the commit = %s %s, %v", a.XCache, a.Body, err)
	}
	up.commit()
	a, err = svc.Read(ctx, "farm_state", resources.Params{ID: "1"})
	if err != nil || string(a.Body) != `{"farm":1,"ndvi":0.9}` {
		t.Fatalf("read after the commit = %s %s (%s), %v; want the landed write, not a cached old row", a.XCache, a.Body, a.CacheStatus, err)
	}
	time.Sleep(settle + 200*time.Millisecond)
	if a, _ := svc.Read(ctx, "farm_state", resources.Params{ID: "1"}); string(a.Body) != `{"farm":1,"ndvi":0.9}` {
		t.Errorf("after the settle time = %s %s", a.XCache, a.Body)
	}
}
