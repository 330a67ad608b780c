package cache

import (
	"context"
	"encoding/json"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/jsonshape"
	"github.com/weather-apis/weather_apis/internal/redisback"
)

// The probe finds upstream changes that no request brings. Each round, one
// process (the holder of a Redis lease) re-reads, for every cached route,
// the route's sample (the first request stored in its current generation;
// for a route without parameters its one request even before anything was
// stored) exactly as the route's loader would, and:
//
//   - records the schema version the answer declares (a new one makes every
//     older entry unreachable, even if the answer is then refused);
//   - compares the answer's shape strictly with the sample's (it is the same
//     request): a renamed, added, removed or retyped member is drift, and the
//     route's older entries become unreachable;
//   - runs the route's checks and records the outcome for diagnostics.
//
// Rounds run every half interval, so that a change is acted on within one
// interval of happening, propagation included.

// ProbeRoute is one route the probe watches.
type ProbeRoute struct {
	Policy Policy
	// Default is the request to re-read while the route has no sample; ""
	// for routes that need an id or query (nothing to re-read until one of
	// their answers was stored).
	Default string
}

// ProbeFetch re-reads request (a RequestKey.String()) of route from the
// upstream, as the route's loader would.
type ProbeFetch func(ctx context.Context, route, request string) (Fetched, error)

// ProbeOptions configure a Probe.
type ProbeOptions struct {
	Routes []ProbeRoute
	Fetch  ProbeFetch
	// Before runs at the start of every round (the published contract is
	// re-read there); its error is logged and the round goes on.
	Before func(ctx context.Context) error
}

// ProbeRun is the outcome of the last probe of one route.
type ProbeRun struct {
	At      time.Time `json:"at"`
	Request string    `json:"request,omitempty"`
	// Outcome: ok, drift, refused (the route's checks refused the answer),
	// error (the upstream failed) or no-sample.
	Outcome string `json:"outcome"`
	Version string `json:"schema_version,omitempty"`
	Print   string `json:"print,omitempty"`
	Message string `json:"message,omitempty"`
}

// Probe outcomes.
const (
	ProbeOK       = "ok"
	ProbeDrift    = "drift"
	ProbeRefused  = "refused"
	ProbeError    = "error"
	ProbeNoSample = "no-sample"
)

// Probe re-reads the upstream so drift is noticed even when no request
// brings it. Only the process holding the probe lease (a Redis key with a
// TTL) probes; it renews the lease on each round, and another process takes
// over within one lease after it stops.
type Probe struct {
	c     *Cache
	o     ProbeOptions
	lease redisback.Lock // the probe lease (Key, this process's Token, TTL)
}

// NewProbe returns a Probe whose lease lasts lease (at least 1 s).
func (c *Cache) NewProbe(o ProbeOptions, lease time.Duration) *Probe {
	return &Probe{c: c, o: o, lease: redisback.Lock{Key: c.keys.probe(), Token: randToken(), TTL: max(lease, time.Second)}}
}

// Once runs one round if this process holds (or takes) the lease. ran
// reports whether it did; runs are the outcomes per route, in order.
func (p *Probe) Once(ctx context.Context) (ran bool, runs []ProbeRun, err error) {
	c := p.c
	rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	held, err := p.lease.Hold(rctx, c.rdb)
	cancel()
	if err != nil {
		c.redisFailed(ctx, err)
		return false, nil, err
	}
	if !held {
		return false, nil, nil
	}
	fctx, cancel := context.WithTimeout(ctx, p.lease.TTL)
	defer cancel()
	if p.o.Before != nil {
		if err := p.o.Before(fctx); err != nil {
			c.o.Logger.Warn("cache: probe could not re-read the upstream contract", "err", err)
		}
	}
	for _, rt := range p.o.Routes {
		runs = append(runs, p.route(fctx, rt))
	}
	return true, runs, nil
}

// ProbeNow runs one probe round in this process, lease or not (the doctor
// and diagnostics use it, so that what they show is checked now).
func (c *Cache) ProbeNow(ctx context.Context, o ProbeOptions) []ProbeRun {
	p := &Probe{c: c, o: o}
	if o.Before != nil {
		if err := o.Before(ctx); err != nil {
			c.o.Logger.Warn("cache: could not re-read the upstream contract", "err", err)
		}
	}
	runs := make([]ProbeRun, 0, len(o.Routes))
	for _, rt := range o.Routes {
		runs = append(runs, p.route(ctx, rt))
	}
	return runs
}

// route probes one route and records the outcome.
func (p *Probe) route(ctx context.Context, rt ProbeRoute) ProbeRun {
	c, route := p.c, rt.Policy.Route
	run := ProbeRun{At: c.now()}
	defer func() { c.recordProbe(ctx, route, run) }()
	s := c.snapshot(ctx)
	if s == nil {
		run.Outcome, run.Message = ProbeError, "Redis is not reachable."
		return run
	}
	gen := s.gen(route)
	sm, err := c.sample(ctx, route, gen)
	if err != nil {
		run.Outcome, run.Message = ProbeError, "Redis is not reachable."
		return run
	}
	run.Request = rt.Default
	if sm != nil {
		run.Request = sm.Request
	}
	if run.Request == "" {
		run.Outcome = ProbeNoSample
		return run
	}
	f, err := p.o.Fetch(ctx, route, run.Request)
	if err != nil {
		run.Outcome, run.Message = ProbeError, envelope.From(err).Message
		return run
	}
	run.Version = f.SchemaVersion
	if f.Observe != "" && f.Observe != s.schema {
		if ns, _, err := c.observe(ctx, s, "schema", f.Observe); err == nil && ns != nil {
			s = ns
		}
	}
	_, verr := rt.Policy.check(f)
	fp, perr := jsonshape.Of(f.Body)
	if perr == nil {
		run.Print = fp.Hash()
	}
	run.Outcome = ProbeOK
	if perr == nil && sm != nil && s.gen(route) == gen {
		if changes := jsonshape.Compare(sm.Print, fp, true); len(changes) > 0 {
			run.Outcome, run.Message = ProbeDrift, jsonshape.Describe(changes, 6)
			_, _ = c.recordShape(ctx, route, gen, fp, Sample{Request: run.Request, Print: fp, StoredAt: c.now().UnixMilli()}, true,
				ShapeDrift{At: c.now(), Cause: "probe", Request: run.Request, Changes: run.Message, From: sm.Print.Hash(), To: fp.Hash()})
		}
	}
	if verr != nil {
		run.Outcome, run.Message = ProbeRefused, envelope.From(verr).Message
		if req, err := parseRequest(run.Request); err == nil {
			c.noteProblem(route, req, verr)
		}
	}
	return run
}

// recordProbe keeps run as the route's last probe outcome.
func (c *Cache) recordProbe(ctx context.Context, route string, run ProbeRun) {
	raw, _ := json.Marshal(run)
	c.putShape(ctx, route, "probe", raw, "")
}

// Run probes every interval/2 until ctx ends, then gives the lease up.
func (p *Probe) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(max(interval/2, 50*time.Millisecond))
	defer t.Stop()
	var lastErr string
	for {
		_, _, err := p.Once(ctx)
		if msg := errString(err); msg != lastErr && ctx.Err() == nil {
			if err != nil {
				p.c.o.Logger.Warn("cache: probe failed", "err", err)
			} else {
				p.c.o.Logger.Info("cache: probe works again")
			}
			lastErr = msg
		}
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.c.o.RedisTimeout)
			_, err := p.lease.Release(rctx, p.c.rdb)
			cancel()
			if err != nil {
				p.c.redisFailed(rctx, err)
			}
			return
		case <-t.C:
		}
	}
}

// RunProbe runs a probe with a lease of two intervals until ctx ends; it
// does nothing when interval is not positive.
func (c *Cache) RunProbe(ctx context.Context, interval time.Duration, o ProbeOptions) {
	if interval <= 0 {
		return
	}
	c.NewProbe(o, 2*interval).Run(ctx, interval)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
