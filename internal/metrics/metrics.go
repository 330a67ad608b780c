// Package metrics exposes weather_apis's Prometheus metrics on a listener of
// its own (WEATHER_APIS_METRICS_ADDR), never through the AppAPI proxy.
//
// Two kinds of metric live here. Request and upstream latency, and auth
// failures, are observed on the hot path through ObserveRequest,
// ObserveUpstream and ObserveAuthFailure: after a label set's first use they
// cost a map read under a read lock and one atomic add, with no allocation.
// Everything the other packages already count (cache statistics, upstream
// calls and retries, token renewals, breaker state) is read from those
// counters when Prometheus scrapes, so it costs nothing per request and is
// never counted twice.
//
// Each Metrics owns its prometheus.Registry; nothing is registered globally.
// Metrics are always recorded; WEATHER_APIS_METRICS_ADDR only decides
// whether they are served.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric name of this package.
const namespace = "weather_apis"

// Path is the only path the metrics listener serves.
const Path = "/metrics"

// Options configure New. Every source is optional: leave a field nil (an
// untyped nil, not a nil pointer in an interface) when there is nothing to
// read, and its metrics are not exported.
type Options struct {
	// AppVersion is the build version, a label of weather_apis_schema_info.
	AppVersion string
	// Cache provides cache statistics (a *cache.Cache).
	Cache CacheStats
	// Upstream provides upstream call counters (an *upstream.Counters).
	Upstream UpstreamCounters
	// Tokens provides DRF token renewal counters (a *token.Source).
	Tokens TokenCounters
	// Breaker provides the circuit breaker state (a *breaker.Breaker).
	Breaker BreakerState
	// ScrapeTimeout bounds the Redis reads one scrape makes (cache
	// statistics, breaker state); default 2 s.
	ScrapeTimeout time.Duration
	// Logger receives listener and scrape errors; nil: discard.
	Logger *slog.Logger
}

// Metrics holds one registry and the hot-path metric families.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	reqTotal    *prometheus.CounterVec   // route, method, status, source
	reqDuration *prometheus.HistogramVec // route
	upDuration  *prometheus.HistogramVec // method, route, status_class
	authFail    *prometheus.CounterVec   // reason

	status [600]string // status code → label value, so observing never formats

	mu       sync.RWMutex
	reqs     map[reqKey]reqSeries
	ups      map[upKey]prometheus.Observer
	auths    map[string]prometheus.Counter
	routes   map[string]struct{}
	upRoutes map[string]struct{}
}

// latencyBuckets cover a loopback cache hit (~1 ms) to the 30 s request
// deadline.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// New returns Metrics with a fresh registry holding the Go and process
// collectors, the hot-path families and a scrape-time collector for every
// source set in o.
func New(o Options) *Metrics {
	if o.ScrapeTimeout <= 0 {
		o.ScrapeTimeout = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: o.Logger,
		reqTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "requests_total",
			Help: "HTTP requests answered, by route name, method, status and envelope source.",
		}, []string{"route", "method", "status", "source"}),
		reqDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help: "Time from receiving a request to its answer, by route name.", Buckets: latencyBuckets,
		}, []string{"route"}),
		upDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "upstream_request_duration_seconds",
			Help:    "Duration of one call to the DRF backend (retries included), by method, route (DRF path template) and status class.",
			Buckets: latencyBuckets,
		}, []string{"method", "route", "status_class"}),
		authFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "auth_failures_total",
			Help: "Refused authentications (AppAPI signature or integration credential), by reason.",
		}, []string{"reason"}),
		reqs:     map[reqKey]reqSeries{},
		ups:      map[upKey]prometheus.Observer{},
		auths:    map[string]prometheus.Counter{},
		routes:   map[string]struct{}{},
		upRoutes: map[string]struct{}{},
	}
	for code := 100; code < len(m.status); code++ {
		m.status[code] = strconv.Itoa(code)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.reqTotal, m.reqDuration, m.upDuration, m.authFail,
		newScrapeCollector(o),
	)
	return m
}

// Registry returns the registry, for tests and for adding metrics.
func (m *Metrics) Registry() *prometheus.Registry {
	return m.reg
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:            m.reg,
		ErrorLog:            printlnLogger{m.log},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             15 * time.Second,
	})
	return promhttp.InstrumentMetricHandler(m.reg, h)
}

// ServeListener serves Path on ln until ctx ends, then shuts down (in-flight
// scrapes get 5 s) and closes ln. It returns nil after ctx ends. The caller
// opens ln (WEATHER_APIS_METRICS_ADDR, or a socket handed over), so a bind
// error fails start-up before serving begins.
func (m *Metrics) ServeListener(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET "+Path, m.Handler())
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	m.log.Info("metrics listener serving", "addr", ln.Addr().String(), "path", Path)
	select {
	case err := <-errc:
		return fmt.Errorf("metrics: listener stopped: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("metrics: cannot shut down cleanly: %w", err)
	}
	return nil
}

// printlnLogger adapts slog to promhttp.Logger.
type printlnLogger struct{ log *slog.Logger }

func (p printlnLogger) Println(v ...any) {
	p.log.Warn("metrics: scrape error", "err", fmt.Sprint(v...))
}
