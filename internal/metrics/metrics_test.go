package metrics

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestScrapeAfterRequests observes a few requests, upstream calls and auth
// failures, then scrapes the real listener.
func TestScrapeAfterRequests(t *testing.T) {
	t.Parallel()
	m := New(Options{AppVersion: "1.2.3"})
	m.ObserveRequest("farm_schema", "GET", 200, "cache", 2*time.Millisecond)
	m.ObserveRequest("farm_schema", "GET", 200, "cache", 3*time.Millisecond)
	m.ObserveRequest("farm_schema", "GET", 200, "upstream", 40*time.Millisecond)
	m.ObserveRequest("farms", "POST", 422, "local", time.Millisecond)
	m.ObserveRequest("", "GET", 404, "local", time.Microsecond)
	m.ObserveUpstream("GET", "farm_schema", 200, 35*time.Millisecond)
	m.ObserveUpstream("GET", "farm_schema", 0, time.Second)
	m.ObserveAuthFailure("wrong_secret")
	m.ObserveAuthFailure("wrong_secret")

	s := scrape(t, serveOnLoopback(t, m))

	s.expect(t, "weather_apis_requests_total", labels{"route": "farm_schema", "method": "GET", "status": "200", "source": "cache"}, 2)
	s.expect(t, "weather_apis_requests_total", labels{"route": "farm_schema", "method": "GET", "status": "200", "source": "upstream"}, 1)
	s.expect(t, "weather_apis_requests_total", labels{"route": "farms", "method": "POST", "status": "422", "source": "local"}, 1)
	s.expect(t, "weather_apis_requests_total", labels{"route": "unmatched", "method": "GET", "status": "404", "source": "local"}, 1)
	s.expect(t, "weather_apis_request_duration_seconds", labels{"route": "farm_schema"}, 3)
	s.expect(t, "weather_apis_upstream_request_duration_seconds", labels{"method": "GET", "route": "farm_schema", "status_class": "2xx"}, 1)
	s.expect(t, "weather_apis_upstream_request_duration_seconds", labels{"method": "GET", "route": "farm_schema", "status_class": "error"}, 1)
	s.expect(t, "weather_apis_auth_failures_total", labels{"reason": "wrong_secret"}, 2)
	s.expect(t, "weather_apis_schema_info", labels{"app_version": "1.2.3", "schema_version": "unknown"}, 1)
	s.expect(t, "go_goroutines", nil, -1)
	s.expect(t, "process_start_time_seconds", nil, -1)
	s.expect(t, "promhttp_metric_handler_requests_total", labels{"code": "200"}, -1)
	// Sources that are not configured export nothing.
	for _, name := range []string{"weather_apis_cache_results_total", "weather_apis_upstream_calls_total",
		"weather_apis_token_obtains_total", "weather_apis_breaker_state"} {
		s.absent(t, name, nil)
	}
	if !strings.Contains(s.text, `weather_apis_request_duration_seconds_bucket{route="farm_schema",le="0.005"} 2`) {
		t.Errorf("histogram buckets wrong:\n%s", grep(s.text, "weather_apis_request_duration_seconds_bucket"))
	}

	problems, err := promlint.New(strings.NewReader(grep(s.text, "weather_apis_"))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestListenerServesOnlyMetrics: the listener is not a second API.
func TestListenerServesOnlyMetrics(t *testing.T) {
	t.Parallel()
	url := serveOnLoopback(t, New(Options{}))
	scrape(t, url) // wait until it serves
	base := strings.TrimSuffix(url, Path)
	cases := []struct {
		method, path string
		want         int
	}{
		{"GET", "/", http.StatusNotFound},
		{"GET", "/api/v1/admin/ping", http.StatusNotFound},
		{"GET", "/metrics/x", http.StatusNotFound},
		{"POST", "/metrics", http.StatusMethodNotAllowed},
		{"HEAD", "/metrics", http.StatusOK},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s %s = %d; want %d", c.method, c.path, resp.StatusCode, c.want)
		}
	}
}

func TestServeListener(t *testing.T) {
	t.Parallel()
	ln := testenv.Listen(t)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- New(Options{}).ServeListener(ctx, ln) }()
	scrape(t, "http://"+addr+Path)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ServeListener after cancel = %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeListener did not return within 10 s of cancel")
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		_ = c.Close()
		t.Errorf("listener still accepts after shutdown")
	}
}

// TestLabelsAreBounded: client-controlled or unexpected inputs map onto fixed
// label values, and distinct routes and reasons are capped.
func TestLabelsAreBounded(t *testing.T) {
	t.Parallel()
	m := New(Options{})
	cases := []struct {
		route, method string
		status        int
		source        string
		want          labels
		n             float64 // samples with want's labels after all cases
	}{
		{"farms", "BREW", 200, "cache", labels{"route": "farms", "method": "OTHER", "status": "200", "source": "cache"}, 2},
		{"farms", "get", 200, "cache", labels{"route": "farms", "method": "OTHER"}, 2},
		{"farms", "GET", 0, "cache", labels{"route": "farms", "status": "other"}, 2},
		{"farms", "GET", 999, "cache", labels{"route": "farms", "status": "other"}, 2},
		{"farms", "GET", 200, "", labels{"route": "farms", "source": "none"}, 1},
		{"farms", "GET", 200, "weird", labels{"route": "farms", "source": "other"}, 1},
		{"", "GET", 404, "local", labels{"route": "unmatched", "status": "404"}, 1},
	}
	for _, c := range cases {
		m.ObserveRequest(c.route, c.method, c.status, c.source, time.Millisecond)
	}
	m.ObserveUpstream("GET", "", 503, time.Millisecond)
	for i := range maxRoutes + 10 {
		m.ObserveRequest("r"+strconv.Itoa(i), "GET", 200, "local", time.Millisecond)
		m.ObserveUpstream("GET", "u"+strconv.Itoa(i), 200, time.Millisecond)
	}
	for i := range maxReasons + 5 {
		m.ObserveAuthFailure("reason" + strconv.Itoa(i))
	}
	m.ObserveAuthFailure("")

	s := scrape(t, serveOnLoopback(t, m))
	for _, c := range cases {
		s.expect(t, "weather_apis_requests_total", c.want, c.n)
	}
	// The cases used 2 routes (farms, unmatched), so 62 of r0..r73 got their
	// own series and 12 were counted as "other"; upstream's "none" took one
	// of its 64 slots, so 11 of u0..u73 are "other".
	s.expect(t, "weather_apis_requests_total", labels{"route": "r0"}, 1)
	s.expect(t, "weather_apis_requests_total", labels{"route": "other"}, 12)
	s.absent(t, "weather_apis_requests_total", labels{"route": "r73"})
	s.expect(t, "weather_apis_upstream_request_duration_seconds", labels{"route": "other"}, 11)
	s.expect(t, "weather_apis_upstream_request_duration_seconds", labels{"route": "none", "status_class": "5xx"}, 1)
	s.expect(t, "weather_apis_auth_failures_total", labels{"reason": "other"}, 6)
	if n := len(s.mfs["weather_apis_auth_failures_total"].GetMetric()); n != maxReasons+1 {
		t.Errorf("auth failure series = %d; want %d", n, maxReasons+1)
	}
}

// TestObserveDoesNotAllocate: after a label set's first use, the hot-path
// methods allocate nothing.
func TestObserveDoesNotAllocate(t *testing.T) {
	m := New(Options{})
	route, method, source := "farm_schema", strings.ToUpper("get"), "cache" // not constants
	m.ObserveRequest(route, method, 200, source, time.Millisecond)
	m.ObserveUpstream(method, route, 200, time.Millisecond)
	m.ObserveAuthFailure("wrong_secret")
	for name, f := range map[string]func(){
		"ObserveRequest":     func() { m.ObserveRequest(route, method, 200, source, time.Millisecond) },
		"ObserveUpstream":    func() { m.ObserveUpstream(method, route, 200, time.Millisecond) },
		"ObserveAuthFailure": func() { m.ObserveAuthFailure("wrong_secret") },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s allocates %v times per call; want 0", name, n)
		}
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	m := New(Options{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveRequest("farm_schema", "GET", 200, "cache", time.Millisecond)
		}
	})
}

// grep returns the lines of text containing s.
func grep(text, s string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n") + "\n"
}
