package resources

import (
	"context"
	"net/http"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/routetable"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// msgNotJSON is said when a write was applied but its answer is not JSON.
const msgNotJSON = "The farm service applied the write but its answer was not JSON; it is not relayed."

// Write performs a write route and then, whatever the outcome (a failed or
// timed-out write may still have landed), invalidates what the route table
// says it changes. An answer the upstream accepted (2xx) is always relayed
// as accepted: only its JSON-ness is checked, never its shape, so a write
// that was applied is never reported as failed. A write whose outcome is
// unknown (timeout, broken connection, a 5xx from a proxy) also stops the
// caching of what it changes until it can no longer land (WriteSettle).
func (s *Service) Write(ctx context.Context, route string, p Params, body []byte) (Answer, error) {
	r, err := s.route(route, routetable.Write)
	if err != nil {
		return Answer{}, err
	}
	id, path, q, err := s.target(r.Route, p)
	if err != nil {
		return Answer{}, err
	}
	resp, err := s.up.Do(ctx, upstream.Request{Method: r.Upstream.Method, Path: path, Query: q, Body: body,
		IdempotencyKey: p.IdempotencyKey, RequestID: p.RequestID})
	ictx := context.WithoutCancel(ctx)
	s.invalidate(ictx, r.Route, id)
	if err != nil {
		if uncertain(err) {
			if werr := s.cache.WriteUncertain(ictx, targetRoutes(r.Route), s.settle); werr != nil {
				s.log.Error("cannot hold caching after an uncertain write", "route", route, "err", werr.Error())
			}
		}
		return Answer{Source: envelope.From(err).Source()}, err
	}
	v, observe := versions(r.Route, resp.SchemaVersion, resp.Body)
	if observe != "" {
		_ = s.cache.ObserveSchemaVersion(ictx, observe)
	}
	if v == "" {
		v = s.cache.SchemaVersion() // labelled as reads are (cache.label)
	}
	a := Answer{Status: resp.Status, Source: envelope.SourceUpstream, SchemaVersion: v}
	switch {
	case resp.NotJSON:
		a.Note = msgNotJSON
	case resp.Status == http.StatusNoContent || len(resp.Body) == 0:
		a.Status = http.StatusOK // 204 cannot carry the envelope; the write happened
	default:
		a.Body = s.links.rewrite(resp.Body, r.Route)
		s.contract.report(r.Name, r.Upstream.Method, path, resp.Status, resp.Body)
	}
	return a, nil
}

// uncertain reports whether a write that failed with err may still land:
// it was sent, and no answer of the upstream itself said it was refused
// (a 4xx is a refusal; a timeout, a broken connection or a 5xx, which a
// proxy sends when DRF is slow, is not).
func uncertain(err error) bool {
	if upstream.NotSent(err) {
		return false
	}
	e := envelope.From(err)
	return e.Source() != envelope.SourceUpstream || envelope.StatusFor(e) >= 500
}

// invalidate applies r's invalidation targets for id. Errors are logged:
// the cache retries them in the background.
func (s *Service) invalidate(ctx context.Context, r routetable.Route, id string) {
	for _, t := range r.Invalidates {
		var err error
		switch t.Scope {
		case routetable.Whole:
			err = s.cache.InvalidateRoute(ctx, t.Route)
		case routetable.ByID:
			err = s.cache.Invalidate(ctx, t.Route, RequestKey(t.Route, id, nil))
		case routetable.Negatives:
			err = s.cache.InvalidateNegatives(ctx, t.Route)
		}
		if err != nil {
			s.log.Error("cannot invalidate after a write now; retrying in the background", "route", r.Name, "target", t.Route, "err", err.Error())
		}
	}
}

// targetRoutes lists the routes r invalidates.
func targetRoutes(r routetable.Route) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range r.Invalidates {
		if !seen[t.Route] {
			seen[t.Route] = true
			out = append(out, t.Route)
		}
	}
	return out
}
