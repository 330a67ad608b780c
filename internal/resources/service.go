// Package resources connects the read and write routes of the route table
// (internal/routetable) to the DRF backend: reads go through internal/cache,
// writes through the upstream client and then invalidate what they change.
//
// What it checks in an upstream answer is generic (internal/jsonshape) and,
// when the backend publishes an OpenAPI document, what that document says
// (contract.go). Nothing here knows the members of a farm, a farm state or
// an observation: the backend's answers flow through, labelled with the
// schema version they declare, with the upstream's address rewritten
// (links.go).
package resources

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/routetable"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// Params are a route's inputs, as the client sent them.
type Params struct {
	// ID is the route's ":id" (checked and made canonical here).
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
	// Note is said in a response header when a write was applied but its
	// answer cannot be relayed (not JSON).
	Note string
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
	InvalidateNegatives(ctx context.Context, route string) error
	WriteUncertain(ctx context.Context, routes []string, d time.Duration) error
	ObserveSchemaVersion(ctx context.Context, v string) error
	SchemaVersion() string
	ObserveContract(ctx context.Context, hash string) error
	NoteViolation(ctx context.Context, route, request, text string)
}

var _ Cache = (*cache.Cache)(nil)

// Policy is the cache timing shared by every read route.
type Policy struct {
	TTL, SWR, StaleIfError, MaxStale, NegativeTTL time.Duration
}

// Options configure a Service.
type Options struct {
	Policy Policy
	// UpstreamURL is the DRF base URL: its address is rewritten out of
	// every answer (links.go).
	UpstreamURL string
	// Contract says where the upstream publishes its OpenAPI document and
	// what a violation does (contract.go).
	Contract ContractOptions
	// WriteSettle is how long a write whose outcome is unknown (it timed
	// out, the connection broke) may still land upstream: meanwhile nothing
	// it may change is cached (default 60 s, gunicorn's and most proxies'
	// request timeout order of magnitude).
	WriteSettle time.Duration
	Logger      *slog.Logger
}

// Service implements handlers.Resources.
type Service struct {
	up       Upstream
	cache    Cache
	routes   map[string]*route
	links    *linkRewriter
	contract *contract
	settle   time.Duration
	log      *slog.Logger
}

// New returns a Service for every read and write route of the table.
func New(up Upstream, c Cache, o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.WriteSettle <= 0 {
		o.WriteSettle = time.Minute
	}
	s := &Service{up: up, cache: c, log: o.Logger, routes: map[string]*route{},
		links: newLinkRewriter(o.UpstreamURL), settle: o.WriteSettle}
	s.contract = newContract(o.Contract, up, c, o.Logger)
	p := o.Policy
	for _, r := range routetable.Routes() {
		if r.Kind == routetable.Local {
			continue
		}
		rt := &route{Route: r}
		s.routes[r.Name] = rt
		if r.Kind != routetable.Read {
			continue
		}
		if !r.HasID() {
			rt.plain, rt.hasPlain = cache.NewRequestKey(r.Upstream.Path, nil), true
		}
		rt.pol = cache.Policy{Route: r.Name, TTL: p.TTL, SWR: p.SWR, StaleIfError: p.StaleIfError, MaxStale: p.MaxStale,
			Check: s.checker(r)}
		if r.NegativeCache {
			rt.pol.NegativeTTL = p.NegativeTTL
		}
	}
	return s
}

// route is one row of the table with what the service precomputes for it.
type route struct {
	routetable.Route
	pol      cache.Policy     // read routes
	plain    cache.RequestKey // the request key without parameters: the hot path hashes nothing
	hasPlain bool
}

// route returns the row of name if it is of kind k.
func (s *Service) route(name string, k routetable.Kind) (*route, error) {
	r, ok := s.routes[name]
	if !ok || r.Kind != k {
		return nil, envelope.Errorf(envelope.CodeInternal, "route %s is not a route of this kind", name)
	}
	return r, nil
}

// target is the canonical id, upstream path and canonical query of a
// request to r.
func (s *Service) target(r routetable.Route, p Params) (id, path string, q url.Values, err error) {
	if r.HasID() {
		if id, err = r.CanonicalID(p.ID); err != nil {
			return "", "", nil, err
		}
	}
	if q, err = r.CanonicalQuery(p.Query); err != nil {
		return "", "", nil, err
	}
	return id, r.UpstreamPath(id), q, nil
}

// Read serves a cached read route.
func (s *Service) Read(ctx context.Context, route string, p Params) (Answer, error) {
	r, err := s.route(route, routetable.Read)
	if err != nil {
		return Answer{}, err
	}
	key := r.plain
	var path string
	var q url.Values
	if !r.hasPlain || len(p.Query) > 0 {
		if _, path, q, err = s.target(r.Route, p); err != nil {
			return Answer{}, err
		}
		key = cache.NewRequestKey(path, q)
		if r.Unbounded(q) {
			key = key.OnRepeat()
		}
	}
	if !p.Revalidate {
		if res, ok := s.cache.Fresh(r.pol, key); ok {
			return answerOf(res), nil
		}
	}
	if path == "" {
		path = r.Upstream.Path
	}
	return s.readThrough(ctx, r, p, path, q, key)
}

// readThrough answers a read that the in-process copy could not: through
// Redis or the upstream. It is a function of its own because the loader
// closure captures p, path and q: in Read they would move to the heap on
// every call, hits included.
func (s *Service) readThrough(ctx context.Context, r *route, p Params, path string, q url.Values, key cache.RequestKey) (Answer, error) {
	load := func(ctx context.Context) (cache.Fetched, error) {
		return s.fetch(ctx, r.Route, path, q, p.RequestID)
	}
	pol := r.pol
	pol.Revalidate = p.Revalidate
	res, err := s.cache.Get(ctx, pol, key, load)
	return answerOf(res), err
}

func answerOf(res cache.Result) Answer {
	return Answer{Status: res.Status, Body: res.Body, SchemaVersion: res.SchemaVersion, Source: res.Source,
		XCache: res.XCache, CacheStatus: res.CacheStatus(), Age: res.Age}
}

// RequestKey returns the cache key of a read route for a canonical id and
// query. Writes use it to invalidate exactly what reads stored.
func RequestKey(route, id string, q url.Values) cache.RequestKey {
	r, _ := routetable.Lookup(route)
	return cache.NewRequestKey(r.UpstreamPath(id), q)
}
