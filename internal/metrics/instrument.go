package metrics

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// UpstreamDoer is an upstream call as resources.Upstream declares it
// (implemented by *upstream.Client).
type UpstreamDoer interface {
	Do(ctx context.Context, r upstream.Request) (*upstream.Response, error)
}

// InstrumentUpstream returns next with every call observed by
// ObserveUpstream: the route label is the DRF path with numeric segments
// replaced by {id} (e.g. /api/v1/farms/{id}/state), the status is DRF's on
// success and the status weather_apis answers on failure, and the duration
// covers the whole call (retries and backoff included). Calls the circuit
// breaker refused never reached DRF and are not observed.
func (m *Metrics) InstrumentUpstream(next UpstreamDoer) UpstreamDoer {
	return instrumentedUpstream{next: next, m: m}
}

type instrumentedUpstream struct {
	next UpstreamDoer
	m    *Metrics
}

func (u instrumentedUpstream) Do(ctx context.Context, r upstream.Request) (*upstream.Response, error) {
	start := time.Now()
	resp, err := u.next.Do(ctx, r)
	d := time.Since(start)
	var status int
	switch {
	case err == nil && resp != nil:
		status = resp.Status
	case errors.Is(err, breaker.ErrOpen):
		return resp, err
	case err != nil:
		status = envelope.StatusFor(envelope.From(err))
	}
	u.m.ObserveUpstream(r.Method, pathTemplate(r.Path), status, d)
	return resp, err
}

// pathTemplate replaces every all-digit path segment with {id}, so ids do not
// become label values.
func pathTemplate(p string) string {
	if !strings.ContainsAny(p, "0123456789") {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}
