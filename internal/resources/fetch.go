package resources

import (
	"context"
	"net/url"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/jsonshape"
	"github.com/weather-apis/weather_apis/internal/routetable"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// fetch is the loader of read route r: one upstream call, then, before any
// check, the schema version the answer declares (so that a new version is
// acted on even when the answer is refused), then the upstream's address
// rewritten out of the body.
func (s *Service) fetch(ctx context.Context, r routetable.Route, path string, q url.Values, requestID string) (cache.Fetched, error) {
	resp, err := s.up.Do(ctx, upstream.Request{Method: r.Upstream.Method, Path: path, Query: q, RequestID: requestID})
	if err != nil {
		return cache.Fetched{}, err
	}
	v, observe := versions(r, resp.SchemaVersion, resp.Body)
	return cache.Fetched{Status: resp.Status, Body: s.links.rewrite(resp.Body, r), SchemaVersion: v, Observe: observe,
		Header: resp.SchemaVersion, Method: r.Upstream.Method, Path: path, Raw: resp.Body}, nil
}

// versions reads an answer of r: the version it declares (its label) and
// the upstream's schema version it states (what the cache is keyed by). The
// route whose answer must declare schema_version (the farm schema) states
// the upstream's version with that declaration; every answer states it with
// an X-Schema-Version header. A schema_version member in the record of
// another route labels that answer only: it is the record's, and a backend
// that versions its resources apart must not make the cache's version flap.
func versions(r routetable.Route, header string, body []byte) (label, observe string) {
	label, _, _ = jsonshape.Declared(header, body)
	if r.Answer.RequireVersion {
		return label, label
	}
	return label, jsonshape.Canonical(header)
}

// checker is the cache.Policy.Check of read route r: the generic rules of
// its answer, then the upstream's published contract.
func (s *Service) checker(r routetable.Route) func(cache.Fetched) (string, error) {
	return func(f cache.Fetched) (string, error) {
		if err := r.Answer.Check(f.Header, f.Body); err != nil {
			return "", err
		}
		return s.contract.check(r.Name, f)
	}
}

// Refetch reads request (a normalised path?query, as stored with a cache
// entry) of read route name from the upstream exactly as the route's loader
// does. The probe and cache verification use it.
func (s *Service) Refetch(ctx context.Context, name, request string) (cache.Fetched, error) {
	r, err := s.route(name, routetable.Read)
	if err != nil {
		return cache.Fetched{}, err
	}
	path, q, err := cache.SplitRequest(request)
	if err != nil {
		return cache.Fetched{}, err
	}
	return s.fetch(ctx, r.Route, path, q, "probe")
}

// ProbeOptions are the cache probe's routes (every cached read route, with
// its one request when it takes no id) and fetcher; Before re-reads the
// upstream's published contract.
func (s *Service) ProbeOptions() cache.ProbeOptions {
	o := cache.ProbeOptions{Fetch: s.Refetch, Before: s.contract.refresh}
	for _, name := range routetable.CachedReads() {
		r := s.routes[name]
		pr := cache.ProbeRoute{Policy: r.pol}
		if r.hasPlain {
			pr.Default = r.plain.String()
		}
		o.Routes = append(o.Routes, pr)
	}
	return o
}
