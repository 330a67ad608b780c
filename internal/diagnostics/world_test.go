package diagnostics_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/cacheadmin"
	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/exapp"
	"github.com/weather-apis/weather_apis/internal/occ"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

type world struct {
	layers *diagnostics.Layers
	doctor *diagnostics.Doctor
	occ    *occ.Runner
	admin  *cacheadmin.Admin
	creds  *credentials.Store
	res    *resources.Service
	redis  *testenv.Redis
	drf    *testenv.DRF
}

func TestMain(m *testing.M) { testenv.Main(m) }

// newWorld wires the diagnostics, the cache administration and the occ
// commands over a real redis-server and drf (the package's shared DRF
// demo, or a test's own when it stops it), as cmd/weather_apis does.
func newWorld(t *testing.T, lc diagnostics.Lifecycle, drf *testenv.DRF) world {
	t.Helper()
	r := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true, ReadTimeout: 200 * time.Millisecond, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	tokens, err := token.New(token.Options{Redis: rdb, BaseURL: drf.URL(), Username: testenv.DRFDefaultUsername, Password: testenv.DRFDefaultPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tokens.Close() })
	brk, _ := breaker.New(breaker.Options{Redis: rdb})
	counters := &upstream.Counters{}
	up, err := upstream.New(upstream.Options{BaseURL: drf.URL(), Tokens: tokens, Breaker: brk, Counters: counters})
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.New(context.Background(), cache.Options{Redis: rdb, AppID: "weather_apis", AppVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	res := resources.New(up, c, resources.Options{Policy: resources.Policy{TTL: time.Hour, SWR: time.Minute, StaleIfError: time.Hour}, UpstreamURL: drf.URL()})
	store := credentials.New(rdb, credentials.Options{})
	t.Cleanup(func() { store.Close() })
	layers := diagnostics.NewLayers(diagnostics.Deps{AppID: "weather_apis", AppVersion: "test", Cache: c, Reads: res, Tokens: tokens,
		Breaker: brk, Credentials: store, UpstreamURL: drf.URL(), Redis: rdb, RedisKind: "server", Logger: slog.New(slog.DiscardHandler)})
	doctor := diagnostics.NewDoctor(layers, diagnostics.DoctorOptions{Lifecycle: lc, Verifier: appapi.NewVerifier("weather_apis", "s"), Started: time.Now()})
	admin := cacheadmin.New(cacheadmin.Deps{Cache: c, Reads: res, Tokens: tokens, UpstreamCounters: counters, Logger: slog.New(slog.DiscardHandler)})
	return world{layers: layers, doctor: doctor, occ: occ.New(admin, doctor, store), admin: admin, creds: store, res: res, redis: r, drf: drf}
}

func doctor(t *testing.T, w world) string {
	t.Helper()
	out, err := w.occ.RunOcc(context.Background(), "doctor", exapp.OccInput{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDoctorNamesTheWrongLayer(t *testing.T) {
	w := newWorld(t, exapp.New(exapp.Options{}), testenv.StartDRF(t, testenv.DRFOptions{})) // stopped below
	ctx := context.Background()
	if _, err := w.res.Read(ctx, "farm_schema", resources.Params{}); err != nil {
		t.Fatal(err)
	}
	// The app was never enabled by AppAPI in this process: that is the first
	// wrong layer.
	if out := doctor(t, w); !strings.Contains(out, "Verdict: The appapi_route layer is down") {
		t.Errorf("doctor without enable:\n%s", out)
	}

	// The upstream row shows the breaker's state, cooldown and events.
	d := w.doctor.Diagnose(ctx)
	up := findLayer(t, d, "upstream")
	for k, want := range map[string]any{"breaker": "closed", "breaker_cooldown_ms": int64(1500), "breaker_opens": int64(0),
		"breaker_reopens": int64(0), "breaker_rejected_opens": int64(0), "breaker_failures": 0} {
		if got := up.Evidence[k]; got != want {
			t.Errorf("upstream evidence %s = %#v; want %#v", k, got, want)
		}
	}

	// The backend's schema evolves while the cache holds v1: the seed's bug.
	w.drf.SetSchema(t, 2)
	d = w.doctor.Diagnose(ctx)
	cacheRow := findLayer(t, d, "cache")
	if cacheRow.State != diagnostics.StateOutdated || !strings.Contains(cacheRow.Summary, "schema 1") || !strings.Contains(cacheRow.Summary, "schema 2") {
		t.Errorf("cache row = %+v; want outdated 1 → 2", cacheRow)
	}
	a, err := w.res.Read(ctx, "farm_schema", resources.Params{})
	if err != nil || a.SchemaVersion != "2" {
		t.Errorf("after diagnosis the schema read = %q, %v; want schema 2 (old entries unreachable)", a.SchemaVersion, err)
	}

	// Redis dies: the doctor says so and what to do.
	w.redis.Stop(t)
	d = w.doctor.Diagnose(ctx)
	row := findLayer(t, d, "redis")
	if row.State != diagnostics.StateDown || row.Advice == "" {
		t.Errorf("redis row with Redis stopped = %+v", row)
	}
	// The DRF backend dies too.
	w.drf.Stop(t)
	d = w.doctor.Diagnose(ctx)
	if row := findLayer(t, d, "upstream"); row.State != diagnostics.StateDown {
		t.Errorf("upstream row with DRF stopped = %+v", row)
	}
}

func TestFlushAndStatsText(t *testing.T) {
	w := newWorld(t, exapp.New(exapp.Options{}), testenv.SharedDRF(t, testenv.DRFOptions{}))
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := w.res.Read(ctx, "farm_list", resources.Params{}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := w.occ.RunOcc(ctx, "cache/stats", exapp.OccInput{})
	if err != nil || !strings.Contains(out, "farm_list") || !strings.Contains(out, "TOTAL") {
		t.Fatalf("stats text = %q, %v", out, err)
	}
	if _, err := w.occ.RunOcc(ctx, "cache/flush", exapp.OccInput{Options: map[string]any{"route": "bogus"}}); err == nil {
		t.Errorf("flush of an unknown route succeeded")
	}
	if out, err := w.occ.RunOcc(ctx, "cache/flush", exapp.OccInput{Options: map[string]any{"route": "farm_list"}}); err != nil || !strings.Contains(out, "farm_list") {
		t.Errorf("flush farm_list = %q, %v", out, err)
	}
	a, _ := w.res.Read(ctx, "farm_list", resources.Params{})
	if a.XCache != cache.XCacheMiss {
		t.Errorf("after flush X-Cache = %s; want MISS", a.XCache)
	}
	v, err := w.occ.RunOcc(ctx, "cache/verify", exapp.OccInput{})
	if err != nil || !strings.Contains(v, "1 same") {
		t.Errorf("verify = %q, %v", v, err)
	}
}

func findLayer(t *testing.T, d diagnostics.Diagnosis, name string) diagnostics.Layer {
	t.Helper()
	for _, l := range d.Layers {
		if l.Layer == name {
			return l
		}
	}
	t.Fatalf("no layer %s in %+v", name, d)
	return diagnostics.Layer{}
}
