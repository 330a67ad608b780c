// Package cacheadmin is the cache's administration surface: statistics,
// flush and verify (README.md "Cache"), behind GET/DELETE
// /api/v1/admin/cache, POST /api/v1/admin/cache/verify and the
// weather_apis:cache:* occ commands.
package cacheadmin

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/routetable"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// Cache is the part of *cache.Cache the administration needs.
type Cache interface {
	Stats(ctx context.Context) (cache.Stats, error)
	Flush(ctx context.Context) error
	InvalidateRoute(ctx context.Context, route string) error
	Verify(ctx context.Context, refetch cache.Refetch) ([]cache.Drift, error)
}

// Refetcher re-reads a cached request from the upstream, as the route's
// loader does (*resources.Service).
type Refetcher interface {
	Refetch(ctx context.Context, route, request string) (cache.Fetched, error)
}

// TokenCounters are this process's DRF token counters (*token.Source).
type TokenCounters interface {
	Counters() token.Counters
}

// Deps are the Admin's dependencies, all required.
type Deps struct {
	Cache            Cache
	Reads            Refetcher
	Tokens           TokenCounters
	UpstreamCounters *upstream.Counters
	Logger           *slog.Logger
}

// Admin administers the cache.
type Admin struct{ d Deps }

// New returns the Admin over d.
func New(d Deps) *Admin { return &Admin{d: d} }

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
func (a *Admin) Stats(ctx context.Context) (StatsReport, error) {
	st, err := a.d.Cache.Stats(ctx)
	if err != nil {
		return StatsReport{}, envelope.Wrap(envelope.CodeStoreUnavailable, "Cache statistics are unavailable.", err)
	}
	r := StatsReport{Cache: st, CachedRoutes: routetable.CachedReads(), Token: a.d.Tokens.Counters(),
		Scope: "cache counters are summed over every process sharing Redis; upstream and token counters are this process's"}
	r.Upstream = a.d.UpstreamCounters.Snapshot()
	return r, nil
}

// FlushReport is DELETE /api/v1/admin/cache.
type FlushReport struct {
	Flushed string `json:"flushed"` // "all" or the route name
}

// Flush flushes everything or one cached route; an unknown route is 400.
func (a *Admin) Flush(ctx context.Context, route string) (FlushReport, error) {
	if route == "" || route == "all" {
		if err := a.d.Cache.Flush(ctx); err != nil {
			return FlushReport{}, envelope.Wrap(envelope.CodeStoreUnavailable, "Redis did not accept the flush.", err)
		}
		a.d.Logger.Info("cache flushed", "route", "all")
		return FlushReport{Flushed: "all"}, nil
	}
	if !slices.Contains(routetable.CachedReads(), route) {
		return FlushReport{}, envelope.Errorf(envelope.CodeBadRequest, "Unknown route %q; cached routes: %s.", route,
			strings.Join(routetable.CachedReads(), ", "))
	}
	if err := a.d.Cache.InvalidateRoute(ctx, route); err != nil {
		return FlushReport{}, envelope.Wrap(envelope.CodeStoreUnavailable, "Redis did not accept the flush.", err)
	}
	a.d.Logger.Info("cache flushed", "route", route)
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
func (a *Admin) Verify(ctx context.Context) (VerifyReport, error) {
	drifts, err := a.d.Cache.Verify(ctx, a.refetch)
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
func (a *Admin) refetch(ctx context.Context, e cache.EntryInfo) (cache.Fetched, error) {
	return a.d.Reads.Refetch(ctx, e.Route, e.Request)
}
