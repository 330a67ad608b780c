package metrics

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// CacheStats is what the cache collector reads (implemented by *cache.Cache).
type CacheStats interface {
	Stats(ctx context.Context) (cache.Stats, error)
}

// UpstreamCounters is what the upstream collector reads (implemented by
// *upstream.Counters).
type UpstreamCounters interface {
	Snapshot() upstream.CountersSnapshot
}

// TokenCounters is what the token collector reads (implemented by
// *token.Source).
type TokenCounters interface {
	Counters() token.Counters
}

// BreakerState is what the breaker collector reads (implemented by
// *breaker.Breaker): the state (Local while the shared state in Redis
// cannot be read), the cooldown and this process's events.
type BreakerState interface {
	Status(ctx context.Context) breaker.Status
}

// scrapeCollector turns the counters other packages keep into metrics at
// scrape time.
type scrapeCollector struct {
	o Options

	schemaInfo, cacheShared, cacheGeneration                                    *prometheus.Desc
	cacheResults, cacheValidation, cacheLoads, cacheCollapsed                   *prometheus.Desc
	cacheInvalidations, cacheDrift                                              *prometheus.Desc
	upCalls, upAttempts, upRetries, upFailures                                  *prometheus.Desc
	tokObtains, tokRefreshes, tokRefreshRejected, tokLockWaits                  *prometheus.Desc
	tokFallbacks, tokFenced, tokRejects, breakerState, brkLocal                 *prometheus.Desc
	brkCooldown, brkOpens, brkReopens, brkProbes, brkConfirms, brkRejectedOpens *prometheus.Desc
}

// cacheClusterNote ends the help of every cache counter: the statistics are
// shared through Redis, so each replica reports (about) the cluster total.
const cacheClusterNote = " Cluster-wide (shared through Redis): every replica reports the total, so aggregate with max, not sum."

func newScrapeCollector(o Options) *scrapeCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
	}
	return &scrapeCollector{
		o:               o,
		schemaInfo:      d("schema_info", "Always 1; labels name the build and the upstream schema version the cache works under.", "app_version", "schema_version"),
		cacheShared:     d("cache_stats_shared", "1 when the cache statistics could be read from Redis; 0 when not (the cache counters are then omitted)."),
		cacheGeneration: d("cache_generation", "Global cache generation; it grows with every full flush and schema change."),
		cacheResults: d("cache_results_total", "Answers of cached routes by result: hit, miss, stale, bypass (Redis down) or negative_hit (cached 404)."+cacheClusterNote,
			"route", "result"),
		cacheValidation:    d("cache_validation_failures_total", "Cache entries deleted because they failed validation on read."+cacheClusterNote, "route"),
		cacheLoads:         d("cache_loads_total", "Upstream loads made by the cache."+cacheClusterNote, "route"),
		cacheCollapsed:     d("cache_collapsed_total", "Answers that waited for another request's load."+cacheClusterNote, "route"),
		cacheInvalidations: d("cache_invalidations_total", "Invalidated keys, route flushes and flushes (route \"*\")."+cacheClusterNote, "route"),
		cacheDrift:         d("cache_drift_total", "Entries a verify run found different upstream and deleted."+cacheClusterNote, "route"),
		upCalls:            d("upstream_calls_total", "Calls to the DRF backend (one per request, retries not included)."),
		upAttempts:         d("upstream_attempts_total", "HTTP requests sent to the DRF backend, retries and 401 replays included."),
		upRetries:          d("upstream_retries_total", "Retries after 429, 5xx or transport errors."),
		upFailures:         d("upstream_failures_total", "Failed upstream calls by the envelope error code they returned.", "code"),
		tokObtains:         d("token_obtains_total", "DRF JWT obtains with the service password, by this process."),
		tokRefreshes:       d("token_refreshes_total", "Successful DRF JWT refreshes, by this process."),
		tokRefreshRejected: d("token_refresh_rejected_total", "Refresh tokens DRF refused (an obtain followed)."),
		tokLockWaits:       d("token_lock_waits_total", "Token renewals this process waited for instead of doing."),
		tokFallbacks:       d("token_fallbacks_total", "Process-local token renewals because Redis failed."),
		tokFenced:          d("token_fenced_total", "Renewed token pairs refused by the fence (another process renewed first)."),
		tokRejects:         d("token_rejects_total", "Access tokens dropped because DRF answered 401."),
		breakerState:       d("breaker_state", "Circuit breaker in front of DRF: 0 closed, 1 half-open, 2 open."),
		brkLocal:           d("breaker_local", "1 when breaker_state is this process's local fallback because Redis cannot be read."),
		brkCooldown:        d("breaker_cooldown_seconds", "Open: how long this open lasts; half-open: the cooldown that ended; closed: how long the next open would last."),
		brkOpens:           d("breaker_opens_total", "Closed to open transitions this process made."),
		brkReopens:         d("breaker_reopens_total", "Failed half-open probes of this process (each doubles the cooldown up to WEATHER_APIS_UPSTREAM_BREAKER_MAX_COOLDOWN)."),
		brkProbes:          d("breaker_probes_total", "Half-open probes this process let through to DRF."),
		brkConfirms:        d("breaker_confirms_total", "Known-good requests this process sent to DRF to confirm an open (an open needs DRF to fail them too)."),
		brkRejectedOpens:   d("breaker_rejected_opens_total", "Opens refused because a known-good request to DRF succeeded: the failures were the callers' own."),
	}
}

// Describe implements prometheus.Collector.
func (c *scrapeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.schemaInfo, c.cacheShared, c.cacheGeneration, c.cacheResults, c.cacheValidation, c.cacheLoads,
		c.cacheCollapsed, c.cacheInvalidations, c.cacheDrift, c.upCalls, c.upAttempts, c.upRetries, c.upFailures,
		c.tokObtains, c.tokRefreshes, c.tokRefreshRejected, c.tokLockWaits, c.tokFallbacks, c.tokFenced,
		c.tokRejects, c.breakerState, c.brkLocal, c.brkCooldown, c.brkOpens, c.brkReopens, c.brkProbes, c.brkConfirms, c.brkRejectedOpens,
	} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. The Redis reads it makes (cache
// statistics, breaker state) share one ScrapeTimeout.
func (c *scrapeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.o.ScrapeTimeout)
	defer cancel()
	c.collectCache(ctx, ch)
	c.collectUpstream(ch)
	c.collectTokens(ch)
	c.collectBreaker(ctx, ch)
}

func (c *scrapeCollector) collectCache(ctx context.Context, ch chan<- prometheus.Metric) {
	schema := "unknown"
	defer func() {
		ch <- prometheus.MustNewConstMetric(c.schemaInfo, prometheus.GaugeValue, 1, c.o.AppVersion, schema)
	}()
	if c.o.Cache == nil {
		return
	}
	st, err := c.o.Cache.Stats(ctx)
	if err != nil {
		c.o.Logger.LogAttrs(ctx, slog.LevelWarn, "metrics: cannot read cache statistics", slog.String("err", err.Error()))
		return
	}
	if st.SchemaVersion != "" {
		schema = st.SchemaVersion
	}
	ch <- prometheus.MustNewConstMetric(c.cacheGeneration, prometheus.GaugeValue, float64(st.Generation))
	shared := 0.0
	if st.Shared {
		shared = 1
	}
	ch <- prometheus.MustNewConstMetric(c.cacheShared, prometheus.GaugeValue, shared)
	if !st.Shared {
		// This process's counts alone would look like a counter reset to
		// Prometheus; omit the series until Redis answers again.
		return
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	for route, k := range st.Routes {
		if route != cache.FlushRoute {
			counter(c.cacheResults, k.Hits, route, "hit")
			counter(c.cacheResults, k.Misses, route, "miss")
			counter(c.cacheResults, k.Stale, route, "stale")
			counter(c.cacheResults, k.Bypass, route, "bypass")
			counter(c.cacheResults, k.NegativeHits, route, "negative_hit")
			counter(c.cacheValidation, k.ValidationFailures, route)
			counter(c.cacheLoads, k.Loads, route)
			counter(c.cacheCollapsed, k.Collapsed, route)
			counter(c.cacheDrift, k.Drift, route)
		}
		counter(c.cacheInvalidations, k.Invalidations, route)
	}
}

func (c *scrapeCollector) collectUpstream(ch chan<- prometheus.Metric) {
	if c.o.Upstream == nil {
		return
	}
	s := c.o.Upstream.Snapshot()
	ch <- prometheus.MustNewConstMetric(c.upCalls, prometheus.CounterValue, float64(s.Calls))
	ch <- prometheus.MustNewConstMetric(c.upAttempts, prometheus.CounterValue, float64(s.Attempts))
	ch <- prometheus.MustNewConstMetric(c.upRetries, prometheus.CounterValue, float64(s.Retries))
	for code, n := range s.Failures {
		ch <- prometheus.MustNewConstMetric(c.upFailures, prometheus.CounterValue, float64(n), string(code))
	}
}

func (c *scrapeCollector) collectTokens(ch chan<- prometheus.Metric) {
	if c.o.Tokens == nil {
		return
	}
	t := c.o.Tokens.Counters()
	for _, v := range []struct {
		d *prometheus.Desc
		n int64
	}{
		{c.tokObtains, t.Obtains}, {c.tokRefreshes, t.Refreshes}, {c.tokRefreshRejected, t.RefreshRejected},
		{c.tokLockWaits, t.LockWaits}, {c.tokFallbacks, t.Fallbacks}, {c.tokFenced, t.Fenced}, {c.tokRejects, t.Rejects},
	} {
		ch <- prometheus.MustNewConstMetric(v.d, prometheus.CounterValue, float64(v.n))
	}
}

func (c *scrapeCollector) collectBreaker(ctx context.Context, ch chan<- prometheus.Metric) {
	if c.o.Breaker == nil {
		return
	}
	st := c.o.Breaker.Status(ctx)
	var v float64
	switch st.State {
	case breaker.StateClosed:
		v = 0
	case breaker.StateHalfOpen:
		v = 1
	case breaker.StateOpen:
		v = 2
	default:
		c.o.Logger.LogAttrs(ctx, slog.LevelWarn, "metrics: unknown breaker state", slog.String("state", st.State))
		return
	}
	ch <- prometheus.MustNewConstMetric(c.breakerState, prometheus.GaugeValue, v)
	l := 0.0
	if st.Local {
		l = 1
	}
	ch <- prometheus.MustNewConstMetric(c.brkLocal, prometheus.GaugeValue, l)
	ch <- prometheus.MustNewConstMetric(c.brkCooldown, prometheus.GaugeValue, st.Cooldown.Seconds())
	for _, n := range []struct {
		d *prometheus.Desc
		v int64
	}{
		{c.brkOpens, st.Counters.Opens}, {c.brkReopens, st.Counters.Reopens}, {c.brkProbes, st.Counters.Probes}, {c.brkConfirms, st.Counters.Confirms},
		{c.brkRejectedOpens, st.Counters.RejectedOpens},
	} {
		ch <- prometheus.MustNewConstMetric(n.d, prometheus.CounterValue, float64(n.v))
	}
}
