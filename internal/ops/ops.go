// Package ops is the operator's view of weather_apis: cache statistics,
// flush and verify, the per-layer diagnostics table, and the occ commands
// that print the same reports as text (README.md "Registering with a real
// Nextcloud").
package ops

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/routetable"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// Cache is the cache administration surface ops needs.
type Cache interface {
	Stats(ctx context.Context) (cache.Stats, error)
	Flush(ctx context.Context) error
	InvalidateRoute(ctx context.Context, route string) error
	Verify(ctx context.Context, refetch cache.Refetch) ([]cache.Drift, error)
	ObserveSchemaVersion(ctx context.Context, v string) error
	Shapes(ctx context.Context, routes []string) ([]cache.RouteShape, error)
	ProbeNow(ctx context.Context, o cache.ProbeOptions) []cache.ProbeRun
}

// Reads is the read path a client takes and the upstream re-read of the
// read routes (internal/resources.Service).
type Reads interface {
	Read(ctx context.Context, route string, p resources.Params) (resources.Answer, error)
	Refetch(ctx context.Context, route, request string) (cache.Fetched, error)
	Contract() resources.ContractStatus
	ProbeOptions() cache.ProbeOptions
}

// Tokens reports on the shared DRF token.
type Tokens interface {
	Status(ctx context.Context) token.Status
	Counters() token.Counters
}

// Breaker reports the shared circuit breaker's state, cooldown and this
// process's breaker events (*breaker.Breaker).
type Breaker interface {
	Status(ctx context.Context) breaker.Status
}

// Lifecycle says whether AppAPI enabled the app.
type Lifecycle interface {
	Enabled() bool
}

// Credentials manages integration credentials (internal/credentials.Store).
type Credentials interface {
	Create(ctx context.Context, createdBy string, body []byte) (any, error)
	List(ctx context.Context) (any, error)
	Revoke(ctx context.Context, id string) (any, error)
}

// Deps are Ops' dependencies; Lifecycle and Creds may be nil.
type Deps struct {
	Creds             Credentials
	AppID, AppVersion string
	Cache             Cache
	Reads             Reads
	Tokens            Tokens
	Breaker           Breaker
	UpstreamCounters  *upstream.Counters
	UpstreamURL       string
	Redis             redis.UniversalClient
	RedisKind         string
	Lifecycle         Lifecycle
	// LastSigned returns when the last AppAPI-signed request was served.
	LastSigned func() time.Time
	Started    time.Time
	Logger     *slog.Logger
}

// Ops implements handlers.CacheAdmin, handlers.Diagnostician and
// handlers.OccRunner.
type Ops struct{ d Deps }

// New returns an Ops.
func New(d Deps) *Ops {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Ops{d: d}
}

// StatsReport is GET /api/v1/admin/cache.
type StatsReport struct {
	Cache    cache.Stats               `json:"cache"`
	Upstream upstream.CountersSnapshot `json:"upstream"`
	Token    token.Counters            `json:"token"`
	// CachedRoutes names every cached route (the names a flush takes).
	CachedRoutes []string `json:"cached_routes"`
	// Scope says which numbers are cluster-wide and which per process.
	Scope string `json:"scope"`
}

// Stats reports cache, upstream and token counters.
func (o *Ops) Stats(ctx context.Context) (any, error) { return o.stats(ctx) }

func (o *Ops) stats(ctx context.Context) (StatsReport, error) {
	st, err := o.d.Cache.Stats(ctx)
	if err != nil {
		return StatsReport{}, envelope.Wrap(envelope.CodeStoreUnavailable, "Cache statistics are unavailable.", err)
	}
	r := StatsReport{Cache: st, CachedRoutes: routetable.CachedReads(), Token: o.d.Tokens.Counters(),
		Scope: "cache counters are summed over every process sharing Redis; upstream and token counters are this process's"}
	if o.d.UpstreamCounters != nil {
		r.Upstream = o.d.UpstreamCounters.Snapshot()
	}
	return r, nil
}

// FlushReport is DELETE /api/v1/admin/cache.
type FlushReport struct {
	Flushed string `json:"flushed"` // "all" or the route name
}

// Flush flushes everything or one cached route; an unknown route is 400.
func (o *Ops) Flush(ctx context.Context, route string) (any, error) {
	if route == "" || route == "all" {
		if err := o.d.Cache.Flush(ctx); err != nil {
			return nil, envelope.Wrap(envelope.CodeStoreUnavailable, "Redis did not accept the flush.", err)
		}
		o.d.Logger.Info("cache flushed", "route", "all")
		return FlushReport{Flushed: "all"}, nil
	}
	if !slices.Contains(routetable.CachedReads(), route) {
		return nil, envelope.Errorf(envelope.CodeBadRequest, "Unknown route %q; cached routes: %s.", route,
			strings.Join(routetable.CachedReads(), ", "))
	}
	if err := o.d.Cache.InvalidateRoute(ctx, route); err != nil {
		return nil, envelope.Wrap(envelope.CodeStoreUnavailable, "Redis did not accept the flush.", err)
	}
	o.d.Logger.Info("cache flushed", "route", route)
	return FlushReport{Flushed: route}, nil
}

// VerifyReport is POST /api/v1/admin/cache/verify.
type VerifyReport struct {
	Checked   int           `json:"checked"`
	Same      int           `json:"same"`
	Different int           `json:"different"`
	Errors    int           `json:"errors"`
	Entries   []cache.Drift `json:"entries"`
}

// Verify re-reads every cached entry upstream and compares.
func (o *Ops) Verify(ctx context.Context) (any, error) { return o.verify(ctx) }

func (o *Ops) verify(ctx context.Context) (VerifyReport, error) {
	drifts, err := o.d.Cache.Verify(ctx, o.refetch)
	if err != nil {
		return VerifyReport{}, envelope.Wrap(envelope.CodeStoreUnavailable, "The cache could not be verified.", err)
	}
	r := VerifyReport{Checked: len(drifts), Entries: drifts}
	if r.Entries == nil {
		r.Entries = []cache.Drift{}
	}
	for _, d := range drifts {
		switch d.Verdict {
		case cache.VerdictSame:
			r.Same++
		case cache.VerdictDifferent:
			r.Different++
		default:
			r.Errors++
		}
	}
	return r, nil
}

// refetch reads an entry's request fresh from the upstream, as the
// route's loader does.
func (o *Ops) refetch(ctx context.Context, e cache.EntryInfo) (cache.Fetched, error) {
	return o.d.Reads.Refetch(ctx, e.Route, e.Request)
}
