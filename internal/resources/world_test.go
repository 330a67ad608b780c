package resources_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// TestMain stops the package's shared DRF demo after the tests.
func TestMain(m *testing.M) { testenv.Main(m) }

// world is a Redis of its own and the real DRF demo: the package's shared
// demo (starting one costs seconds), handed out with its layouts, faults
// and transforms reset. Its database is shared by the tests: rows they
// create stay.
type world struct {
	drf   *testenv.DRF
	redis *testenv.Redis
	rdb   *redis.Client
	up    *upstream.Client
}

func newWorld(t *testing.T) *world {
	t.Helper()
	return newWorldOn(t, testenv.SharedDRF(t, testenv.DRFOptions{}))
}

// newFreshWorld is newWorld on a demo of its own, with the seed data only,
// for a test that predicts ids or deletes seed rows.
func newFreshWorld(t *testing.T) *world {
	t.Helper()
	return newWorldOn(t, testenv.StartDRF(t, testenv.DRFOptions{}))
}

func newWorldOn(t *testing.T, drf *testenv.DRF) *world {
	t.Helper()
	r := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})
	t.Cleanup(func() { rdb.Close() })
	tokens, err := token.New(token.Options{Redis: rdb, BaseURL: drf.URL(), Username: testenv.DRFDefaultUsername, Password: testenv.DRFDefaultPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tokens.Close() })
	up, err := upstream.New(upstream.Options{BaseURL: drf.URL(), Tokens: tokens})
	if err != nil {
		t.Fatal(err)
	}
	return &world{drf: drf, redis: r, rdb: rdb, up: up}
}

// service returns a Service over a fresh cache namespace (its own app
// version), so subtests do not see each other's entries.
func (w *world) service(t *testing.T, o resources.Options) (*resources.Service, *cache.Cache) {
	t.Helper()
	c, err := cache.New(context.Background(), cache.Options{Redis: w.rdb, AppID: "weather_apis", AppVersion: strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if o.Policy.TTL == 0 {
		o.Policy = resources.Policy{TTL: time.Hour, SWR: time.Minute, StaleIfError: time.Hour, NegativeTTL: 10 * time.Second}
	}
	if o.UpstreamURL == "" {
		o.UpstreamURL = w.drf.URL()
	}
	return resources.New(w.up, c, o), c
}

// reset puts the demo back to its first layout without transforms.
func (w *world) reset(t *testing.T) {
	t.Helper()
	empty := ""
	w.drf.SetLayout(t, testenv.Layout{Schema: "v1", FarmState: "flat", Observation: "plain", SchemaVersion: &empty, VersionHeader: ptr(true)})
	w.drf.ClearTransforms(t)
}

func ptr[T any](v T) *T { return &v }

// member decodes body and returns the value at a dotted path ("" = root).
func member(t *testing.T, body []byte, path string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	for _, p := range strings.Split(path, ".") {
		if p == "" {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
