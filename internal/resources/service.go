// Package resources connects the API routes to the DRF backend: cached reads
// through internal/cache with each route's shape check, and writes through
// the upstream client that invalidate what they change before answering.
package resources

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// Params are a route's inputs.
type Params struct {
	ID    string
	Query url.Values
	// Revalidate asks for a fresh upstream read (the client sent
	// Cache-Control: no-cache); the fresh answer replaces the cached one.
	Revalidate     bool
	IdempotencyKey string
	RequestID      string
}

// Answer is upstream data with its provenance.
type Answer struct {
	Status        int
	Body          []byte
	SchemaVersion string
	Source        envelope.Source
	// XCache is HIT, MISS, STALE or BYPASS for cached routes, "" otherwise.
	XCache      string
	CacheStatus string
	Age         time.Duration
}

// Upstream is the DRF client.
type Upstream interface {
	Do(ctx context.Context, r upstream.Request) (*upstream.Response, error)
}

// Cache is what the service needs of the cache.
type Cache interface {
	Get(ctx context.Context, p cache.Policy, req cache.RequestKey, load cache.Loader) (cache.Result, error)
	// Fresh is Get's allocation-free fast path: a fresh answer from this
	// process's copy, or ok false.
	Fresh(p cache.Policy, req cache.RequestKey) (cache.Result, bool)
	Invalidate(ctx context.Context, route string, reqs ...cache.RequestKey) error
	InvalidateRoute(ctx context.Context, route string) error
	ObserveSchemaVersion(ctx context.Context, v string) error
}

var _ Cache = (*cache.Cache)(nil)

// Policy is the cache timing shared by every read route.
type Policy struct {
	TTL, SWR, StaleIfError, MaxStale, NegativeTTL time.Duration
}

// Service implements handlers.Resources.
type Service struct {
	up    Upstream
	cache Cache
	pol   map[string]cache.Policy
	// plain holds the request keys of parameterless reads (the hot path:
	// no hashing per request).
	plain map[string]cache.RequestKey
	log   *slog.Logger
}

// New returns a Service.
func New(up Upstream, c Cache, p Policy, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{up: up, cache: c, log: log, pol: map[string]cache.Policy{}, plain: map[string]cache.RequestKey{}}
	for name, spec := range reads {
		if !strings.Contains(spec.path, "{id}") {
			s.plain[name] = cache.NewRequestKey(spec.path, nil)
		}
		s.pol[name] = cache.Policy{Route: name, TTL: p.TTL, SWR: p.SWR, StaleIfError: p.StaleIfError,
			MaxStale: p.MaxStale, NegativeTTL: p.NegativeTTL, Validate: spec.validate}
	}
	return s
}

// RequestKey returns the cache key of a read route for id and query (query
// already filtered). Writes use it to invalidate exactly what reads stored.
func RequestKey(route, id string, q url.Values) cache.RequestKey {
	return cache.NewRequestKey(expand(reads[route].path, id), q)
}

// filterQuery keeps the route's parameters; any other one is a 400, so the
// cache key always describes exactly what was asked upstream.
func filterQuery(spec readSpec, q url.Values) (url.Values, error) {
	if len(q) == 0 {
		return nil, nil
	}
	out := url.Values{}
	for k, v := range q {
		allowed := false
		for _, a := range spec.query {
			if k == a {
				allowed = true
			}
		}
		if !allowed {
			names := append([]string(nil), spec.query...)
			sort.Strings(names)
			msg := "This route takes no query parameters."
			if len(names) > 0 {
				msg = "Unknown query parameter; allowed: " + strings.Join(names, ", ") + "."
			}
			return nil, envelope.New(envelope.CodeBadRequest, msg).WithDetails(map[string]string{"parameter": k})
		}
		if len(v) > 0 {
			if len(v[0]) > 256 {
				return nil, envelope.New(envelope.CodeBadRequest, "A query parameter is too long.").WithDetails(map[string]string{"parameter": k})
			}
			out.Set(k, v[0])
		}
	}
	return out, nil
}

// Read serves a cached read route.
func (s *Service) Read(ctx context.Context, route string, p Params) (Answer, error) {
	spec, ok := reads[route]
	if !ok {
		return Answer{}, envelope.Errorf(envelope.CodeInternal, "route %s is not a read route", route)
	}
	q, err := filterQuery(spec, p.Query)
	if err != nil {
		return Answer{}, err
	}
	path := expand(spec.path, p.ID)
	key, ok := s.plain[route]
	if !ok || len(q) > 0 {
		key = cache.NewRequestKey(path, q)
	}
	if p.Revalidate {
		if err := s.cache.Invalidate(ctx, route, key); err != nil {
			s.log.Warn("cannot invalidate before a revalidating read", "route", route, "err", err.Error())
		}
	} else if res, ok := s.cache.Fresh(s.pol[route], key); ok {
		return answerOf(res), nil
	}
	return s.readThrough(ctx, route, p, path, q, key)
}

// readThrough answers a read that the in-process copy could not: through
// Redis or the upstream. It is a function of its own because the loader
// closure captures p, path and q: in Read they would move to the heap on
// every call, hits included.
func (s *Service) readThrough(ctx context.Context, route string, p Params, path string, q url.Values, key cache.RequestKey) (Answer, error) {
	load := func(ctx context.Context) (cache.Fetched, error) {
		resp, err := s.up.Do(ctx, upstream.Request{Method: http.MethodGet, Path: path, Query: q, RequestID: p.RequestID})
		if err != nil {
			return cache.Fetched{}, err
		}
		return cache.Fetched{Status: resp.Status, Body: resp.Body, SchemaVersion: resp.SchemaVersion}, nil
	}
	res, err := s.cache.Get(ctx, s.pol[route], key, load)
	return answerOf(res), err
}

func answerOf(res cache.Result) Answer {
	return Answer{Status: res.Status, Body: res.Body, SchemaVersion: res.SchemaVersion, Source: res.Source,
		XCache: res.XCache, CacheStatus: res.CacheStatus(), Age: res.Age}
}

// Write performs a write route, then invalidates what it may have changed,
// whatever the outcome (a failed or timed-out write may still have landed).
func (s *Service) Write(ctx context.Context, route string, p Params, body []byte) (Answer, error) {
	spec, ok := writes[route]
	if !ok {
		return Answer{}, envelope.Errorf(envelope.CodeInternal, "route %s is not a write route", route)
	}
	path := expand(spec.path, p.ID)
	resp, err := s.up.Do(ctx, upstream.Request{Method: spec.method, Path: path, Body: body, IdempotencyKey: p.IdempotencyKey, RequestID: p.RequestID})
	if ierr := s.invalidate(context.WithoutCancel(ctx), spec, p.ID); ierr != nil {
		s.log.Error("cannot invalidate after a write; entries may be served until their TTL", "route", route, "err", ierr.Error())
	}
	if err != nil {
		return Answer{Source: envelope.SourceUpstream}, err
	}
	if resp.SchemaVersion != "" {
		_ = s.cache.ObserveSchemaVersion(ctx, resp.SchemaVersion)
	}
	a := Answer{Status: resp.Status, Source: envelope.SourceUpstream, SchemaVersion: resp.SchemaVersion}
	if resp.Status == http.StatusNoContent || len(resp.Body) == 0 {
		// 204 cannot carry the envelope; the deletion happened.
		a.Status, a.Body = http.StatusOK, nil
		return a, nil
	}
	if spec.validate != nil {
		if _, verr := spec.validate(resp.Body); verr != nil {
			return Answer{Source: envelope.SourceUpstream}, verr
		}
	}
	a.Body = resp.Body
	return a, nil
}

func (s *Service) invalidate(ctx context.Context, spec writeSpec, id string) error {
	for _, target := range spec.invalidate {
		route, withID := strings.CutSuffix(target, "/{id}")
		var err error
		if withID {
			err = s.cache.Invalidate(ctx, route, RequestKey(route, id, nil))
		} else {
			err = s.cache.InvalidateRoute(ctx, route)
		}
		if err != nil {
			return fmt.Errorf("invalidate %s: %w", target, err)
		}
	}
	return nil
}
