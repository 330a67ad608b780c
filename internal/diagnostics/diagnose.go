package diagnostics

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/routetable"
)

// Diagnose checks every layer live, in request order: AppAPI route, ExApp,
// Redis, upstream token, upstream, the upstream's contract, the cache, and
// last every cached read route exercised through the read path a client
// takes: it never says "healthy" while a route a client calls fails.
func (d *Doctor) Diagnose(ctx context.Context) Diagnosis {
	ls := d.ls
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	up, upSchema := ls.upstreamLayer(ctx)
	cacheRow := ls.cacheLayer(ctx, upSchema) // first: it makes entries of an older version unreachable
	// A probe round now: a shape change the probe has not seen yet makes the
	// older entries unreachable before the routes are exercised.
	ls.d.Cache.ProbeNow(ctx, ls.d.Reads.ProbeOptions())
	shapes, shapesErr := ls.d.Cache.Shapes(ctx, routetable.CachedReads())
	runs := ls.exercise(ctx, shapes)
	layers := []Layer{d.routeLayer(), d.exappLayer(), ls.redisLayer(ctx), ls.tokenLayer(ctx), up,
		ls.contractLayer(runs, shapes, shapesErr), cacheRow, ls.routesLayer(runs)}
	out := Diagnosis{Healthy: true, Layers: layers, Checked: time.Now().UTC().Format(time.RFC3339),
		Verdict: "Every layer is healthy."}
	for _, l := range layers {
		if l.State != StateOK {
			out.Healthy = false
			out.Verdict = fmt.Sprintf("The %s layer is %s: %s %s", l.Layer, l.State, l.Summary, l.Advice)
			break
		}
	}
	return out
}

func (d *Doctor) routeLayer() Layer {
	l := Layer{Layer: "appapi_route", State: StateOK, Summary: "AppAPI enabled the app and reaches it.", Evidence: map[string]any{}}
	enabled := d.o.Lifecycle.Enabled()
	l.Evidence["enabled"] = enabled
	if !enabled {
		l.State, l.Summary = StateDown, "AppAPI has not enabled the app in this process (no successful PUT /enabled?enabled=1)."
		l.Advice = "Run: occ app_api:app:enable weather_apis (or register it: occ app_api:app:register weather_apis <daemon> --wait-finish)."
	}
	if t := d.o.Verifier.LastVerified(); !t.IsZero() {
		l.Evidence["last_signed_request_age_s"] = int(time.Since(t).Seconds())
	}
	return l
}

func (d *Doctor) exappLayer() Layer {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Layer{Layer: "exapp", State: StateOK, Summary: "weather_apis is serving.", Evidence: map[string]any{
		"app_id": d.ls.d.AppID, "version": d.ls.d.AppVersion, "envelope_version": envelope.FormatVersion,
		"uptime_s": int(time.Since(d.o.Started).Seconds()), "goroutines": runtime.NumGoroutine(), "heap_mb": ms.HeapAlloc >> 20,
	}}
}

func (ls *Layers) redisLayer(ctx context.Context) Layer {
	l := Layer{Layer: "redis", State: StateOK, Summary: "Redis answers.", Evidence: map[string]any{"kind": ls.d.RedisKind}}
	start := time.Now()
	err := ls.d.Redis.Ping(ctx).Err()
	l.Evidence["latency_ms"] = time.Since(start).Milliseconds()
	if err != nil {
		l.State, l.Summary = StateDown, "Redis does not answer PING; requests bypass the cache (X-Cache: BYPASS) and tokens are per process."
		l.Evidence["error"] = err.Error()
		l.Advice = "Check WEATHER_APIS_REDIS_URL and that redis-server runs; weather_apis recovers by itself when it returns."
	}
	if ls.d.RedisKind == "embedded" {
		l.State, l.Summary = StateDegraded, "An embedded in-process store is used: nothing is shared between processes or replicas."
		l.Advice = "Set WEATHER_APIS_REDIS_URL to a shared Redis before running more than one replica."
	}
	return l
}

func (ls *Layers) tokenLayer(ctx context.Context) Layer {
	st := ls.d.Tokens.Status(ctx)
	c := ls.d.Tokens.Counters()
	l := Layer{Layer: "upstream_token", State: StateOK, Summary: "One DRF token is shared through Redis.", Evidence: map[string]any{
		"present": st.Present, "shared": st.Shared, "fence": st.Fence, "obtains": c.Obtains, "refreshes": c.Refreshes,
		"refresh_rejected": c.RefreshRejected, "fallbacks": c.Fallbacks,
	}}
	if !st.AccessExpires.IsZero() {
		l.Evidence["access_expires_in_s"] = int(time.Until(st.AccessExpires).Seconds())
	}
	switch {
	case st.Error != "":
		l.State, l.Summary = StateDown, "No DRF token: "+st.Error
		l.Evidence["error"] = st.Error
		l.Advice = "Check WEATHER_APIS_UPSTREAM_USERNAME/PASSWORD and that the DRF token endpoint answers."
	case !st.Shared:
		l.State, l.Summary = StateDegraded, "The token is kept per process because Redis is unavailable."
	case !st.Present:
		l.Summary = "No token yet; the first upstream call obtains one."
	}
	return l
}

// upstreamLayer re-reads the route that declares the schema version
// straight from the upstream (no cache): reachability, latency, version.
func (ls *Layers) upstreamLayer(ctx context.Context) (Layer, string) {
	l := Layer{Layer: "upstream", State: StateOK, Summary: "The DRF backend answers.", Evidence: map[string]any{"url": ls.d.UpstreamURL}}
	if ls.d.Breaker != nil {
		breakerEvidence(l.Evidence, ls.d.Breaker.Status(ctx))
	}
	r := versionRoute()
	start := time.Now()
	f, err := ls.d.Reads.Refetch(ctx, r.Name, r.Upstream.Path)
	l.Evidence["latency_ms"] = time.Since(start).Milliseconds()
	l.Evidence["checked"] = r.Upstream.Method + " " + r.Upstream.Path
	if err != nil {
		e := envelope.From(err)
		l.State, l.Summary = StateDown, e.Message
		l.Evidence["error_code"] = string(e.Code)
		l.Advice = "Check WEATHER_APIS_UPSTREAM_URL and the DRF service; cached routes serve stale data (labelled) while it is down."
		return l, ""
	}
	l.Evidence["status"] = f.Status
	l.Evidence["schema_version"] = f.SchemaVersion
	return l, f.SchemaVersion
}

// versionRoute is the read route whose answer must declare the schema
// version (the farm schema), or the first cached read route.
func versionRoute() routetable.Route {
	var first routetable.Route
	for _, name := range routetable.CachedReads() {
		r, _ := routetable.Lookup(name)
		if r.Answer.RequireVersion {
			return r
		}
		if first.Name == "" && !r.HasID() {
			first = r
		}
	}
	return first
}

func (ls *Layers) cacheLayer(ctx context.Context, upSchema string) Layer {
	l := Layer{Layer: "cache", State: StateOK, Summary: "The cache holds the upstream's current schema version.", Evidence: map[string]any{}}
	st, err := ls.d.Cache.Stats(ctx)
	if err != nil {
		l.State, l.Summary = StateDown, "Cache statistics are unavailable (Redis)."
		return l
	}
	l.Evidence["schema_version"] = st.SchemaVersion
	l.Evidence["generation"] = st.Generation
	l.Evidence["shared"] = st.Shared
	l.Evidence["hits"], l.Evidence["misses"], l.Evidence["stale"] = st.Total.Hits, st.Total.Misses, st.Total.Stale
	l.Evidence["bypass"], l.Evidence["validation_failures"] = st.Total.Bypass, st.Total.ValidationFailures
	l.Evidence["drift"], l.Evidence["epoch_rotations"], l.Evidence["l1"] = st.Total.Drift, st.Total.EpochRotations, st.L1
	if upSchema != "" && st.SchemaVersion != "" && upSchema != st.SchemaVersion {
		l.State = StateOutdated
		l.Summary = fmt.Sprintf("The cache was keyed for schema %s but the upstream now serves schema %s.", st.SchemaVersion, upSchema)
		if err := ls.d.Cache.ObserveSchemaVersion(ctx, upSchema); err == nil {
			l.Advice = "Fixed now: entries of the old schema became unreachable. Re-check in a moment."
		} else {
			l.Advice = "Run: occ weather_apis:cache:flush"
		}
	}
	return l
}

// breakerEvidence adds the breaker's state to an upstream layer's evidence:
// the state ("local:" while Redis cannot be read and this process decides
// alone), since when, the cooldown (open: how long this open lasts;
// half-open: the one that ended; closed: the next open's), the failures
// counted in the current window, and this process's events: opens, probes,
// reopens (failed probes, each doubling the cooldown) and rejected opens (a
// known-good request succeeded, so the failures were the callers' own).
func breakerEvidence(ev map[string]any, st breaker.Status) {
	state := st.State
	if st.Local {
		state = "local:" + state
	}
	ev["breaker"] = state
	if !st.Since.IsZero() {
		ev["breaker_since"] = st.Since.UTC().Format(time.RFC3339)
	}
	ev["breaker_cooldown_ms"] = st.Cooldown.Milliseconds()
	ev["breaker_failures"] = st.Failures
	ev["breaker_opens"] = st.Counters.Opens
	ev["breaker_reopens"] = st.Counters.Reopens
	ev["breaker_probes"] = st.Counters.Probes
	ev["breaker_rejected_opens"] = st.Counters.RejectedOpens
}
