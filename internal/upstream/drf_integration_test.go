package upstream_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// TestAgainstDRFDemo drives the real DRF demo (Django + SimpleJWT with
// rotation and blacklist) through token.Source, breaker.Breaker and Client.
func TestAgainstDRFDemo(t *testing.T) {
	testenv.NeedsProcesses(t, "the DRF demo (gunicorn)")
	r := testenv.StartRedis(t)
	drf := testenv.StartDRF(t, testenv.DRFOptions{AccessTTL: 2 * time.Second})
	newProcess := func() *upstream.Client {
		rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})
		t.Cleanup(func() { _ = rdb.Close() })
		src, err := token.New(token.Options{Redis: rdb, BaseURL: drf.URL(), Username: testenv.DRFDefaultUsername,
			Password: testenv.DRFDefaultPassword, RefreshAhead: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = src.Close() })
		br, _ := breaker.New(breaker.Options{Redis: rdb, Threshold: 50})
		c, err := upstream.New(upstream.Options{BaseURL: drf.URL(), Tokens: src, Breaker: br,
			RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 50 * time.Millisecond, RetryAfterCap: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := newProcess(), newProcess()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	get := func(c *upstream.Client, path string) (*upstream.Response, error) {
		return c.Do(ctx, upstream.Request{Method: "GET", Path: path, RequestID: "it-1"})
	}

	var wg sync.WaitGroup
	for _, c := range []*upstream.Client{a, b, a, b} {
		wg.Go(func() {
			for range 5 {
				if resp, err := get(c, "/api/v1/farms/"); err != nil || resp.SchemaVersion == "" {
					t.Errorf("GET farms = %+v, %v", resp, err)
				}
			}
		})
	}
	wg.Wait()
	if s := drf.Stats(t); s.TokenObtain != 1 {
		t.Errorf("token obtains = %d; want 1 for both processes", s.TokenObtain)
	}

	// Let every token expire (a refresh-ahead may have run above), then one
	// refresh serves both processes (rotating the refresh token).
	time.Sleep(2500 * time.Millisecond)
	before := drf.Stats(t)
	for _, c := range []*upstream.Client{a, b, a, b} {
		if _, err := get(c, "/api/v1/farms/1/"); err != nil {
			t.Fatalf("GET after expiry: %v", err)
		}
	}
	if s := drf.Stats(t); s.TokenObtain != 1 || s.TokenRefresh != before.TokenRefresh+1 {
		t.Errorf("after expiry: obtains = %d, refreshes %d -> %d; want 1 obtain and one more refresh",
			s.TokenObtain, before.TokenRefresh, s.TokenRefresh)
	}

	cases := []struct {
		name   string
		faults testenv.Faults
	}{
		{"html 503 once", testenv.Faults{FailRate: 1, HTMLErrors: true, MaxFaults: 1, Paths: "^/api/v1/farms/"}},
		{"429 once", testenv.Faults{RateLimit: true, RetryAfter: 30, MaxFaults: 1, Paths: "^/api/v1/farms/"}},
		{"reset once", testenv.Faults{ResetConnections: true, MaxFaults: 1, Paths: "^/api/v1/farms/"}},
	}
	for _, tc := range cases {
		drf.SetFaults(t, tc.faults)
		resp, err := get(a, "/api/v1/farms/2/")
		if err != nil || resp.Attempts != 2 {
			t.Errorf("%s: Do = %+v, %v; want success on attempt 2", tc.name, resp, err)
		}
	}
	drf.SetFaults(t, testenv.Faults{FailRate: 1, HTMLErrors: true, Paths: "^/api/v1/farms/"})
	_, err := get(a, "/api/v1/farms/2/")
	if e := envelope.From(err); e.Code != envelope.CodeUpstreamUnavailable || e.Status != 503 || !strings.Contains(e.Message, "HTML") {
		t.Errorf("persistent HTML 503: err = %+v", e)
	}
	drf.ClearFaults(t)

	_, err = get(b, "/api/v1/farms/999999/")
	if e := envelope.From(err); e.Code != envelope.CodeNotFound || e.Status != 404 {
		t.Errorf("unknown farm: err = %+v; want NOT_FOUND 404", e)
	}
	_, err = b.Do(ctx, upstream.Request{Method: "POST", Path: "/api/v1/farms/", Body: []byte(`{"area_ha":-1}`)})
	e := envelope.From(err)
	details, _ := e.Details.(map[string]any)
	if e.Code != envelope.CodeValidationFailed || e.Status != 422 || details["name"] == nil || details["area_ha"] == nil {
		t.Errorf("invalid farm: err = %+v; want VALIDATION_FAILED 422 with name and area_ha", e)
	}
}
