package cache

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Problem is the last answer of a route that the route's checks refused
// (kept in the route's shape record, so every process and the doctor see
// it).
type Problem struct {
	At      time.Time `json:"at"`
	Request string    `json:"request"`
	Code    string    `json:"code"`
	Message string    `json:"message"`
}

// problemEvery limits how often one process records a route's problem.
const problemEvery = time.Second

// noteProblem records err as route's last problem (at most once per
// problemEvery per process, in the background).
func (c *Cache) noteProblem(route string, req RequestKey, err error) {
	now := time.Now()
	if v, ok := c.problems.Load(route); ok && now.Sub(v.(time.Time)) < problemEvery {
		return
	}
	c.problems.Store(route, now)
	e := envelope.From(err)
	pj, _ := json.Marshal(Problem{At: c.now(), Request: req.String(), Code: string(e.Code), Message: e.Message})
	c.goBackground(func() { c.putShape(c.bgCtx, route, "problem", pj, "") })
}

// putShape sets field of route's shape record to value, adds 1 to counter
// when one is named, and renews the record's TTL.
func (c *Cache) putShape(ctx context.Context, route, field string, value []byte, counter string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.RedisTimeout)
	defer cancel()
	key := c.keys.shape(route)
	_, err := c.rdb.Pipelined(rctx, func(p redis.Pipeliner) error {
		if counter != "" {
			p.HIncrBy(rctx, key, counter, 1)
		}
		p.HSet(rctx, key, field, value)
		p.PExpire(rctx, key, shapeTTL)
		return nil
	})
	if err != nil {
		c.redisFailed(rctx, err)
	}
}

// RouteShape is what the cache knows of one route's upstream answers.
type RouteShape struct {
	Route string `json:"route"`
	// Current is true when the record describes the route's current
	// generation (its entries can be served).
	Current bool `json:"current"`
	// Print is the hash of the shape of the route's current entries and
	// Paths how many JSON paths it has.
	Print      string      `json:"print,omitempty"`
	Paths      int         `json:"paths,omitempty"`
	Sample     string      `json:"sample,omitempty"` // the request the probe re-reads
	DriftCount int64       `json:"drift_count"`
	LastDrift  *ShapeDrift `json:"last_drift,omitempty"`
	Probe      *ProbeRun   `json:"probe,omitempty"`
	Problem    *Problem    `json:"problem,omitempty"`
	// Violations counts answers that broke the published contract.
	Violations    int64      `json:"contract_violations"`
	LastViolation *Violation `json:"last_violation,omitempty"`
}

// Shapes reports the shape records of routes, read from Redis.
func (c *Cache) Shapes(ctx context.Context, routes []string) ([]RouteShape, error) {
	s := c.snapshot(ctx)
	if s == nil {
		return nil, envelope.New(envelope.CodeStoreUnavailable, "Redis is not reachable.")
	}
	rctx, cancel := context.WithTimeout(ctx, 2*c.o.RedisTimeout)
	defer cancel()
	cmds := make([]*redis.MapStringStringCmd, len(routes))
	_, err := c.rdb.Pipelined(rctx, func(p redis.Pipeliner) error {
		for i, r := range routes {
			cmds[i] = p.HGetAll(rctx, c.keys.shape(r))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		c.redisFailed(ctx, err)
		return nil, envelope.Wrap(envelope.CodeStoreUnavailable, "Redis is not reachable.", err)
	}
	out := make([]RouteShape, len(routes))
	for i, r := range routes {
		f := cmds[i].Val()
		rs := RouteShape{Route: r, Current: f["ref_gen"] == s.gen(r)}
		rs.DriftCount, _ = strconv.ParseInt(f["dcount"], 10, 64)
		var sh shapeRef
		if rs.Current && json.Unmarshal([]byte(f["ref"]), &sh.print) == nil {
			rs.Print, rs.Paths = sh.print.Hash(), sh.print.Len()
		}
		var sm Sample
		if f["sample_gen"] == s.gen(r) && json.Unmarshal([]byte(f["sample"]), &sm) == nil {
			rs.Sample = sm.Request
		}
		rs.LastDrift = decodeInto[ShapeDrift](f["drift"])
		rs.Probe = decodeInto[ProbeRun](f["probe"])
		rs.Problem = decodeInto[Problem](f["problem"])
		rs.Violations, _ = strconv.ParseInt(f["vcount"], 10, 64)
		rs.LastViolation = decodeInto[Violation](f["violation"])
		out[i] = rs
	}
	return out, nil
}

func decodeInto[T any](raw string) *T {
	if raw == "" {
		return nil
	}
	var v T
	if json.Unmarshal([]byte(raw), &v) != nil {
		return nil
	}
	return &v
}

// Violation is the last answer of a route that broke the upstream's
// published contract (reported, or refused in enforce mode).
type Violation struct {
	At      time.Time `json:"at"`
	Request string    `json:"request"`
	Text    string    `json:"text"` // "<JSON pointer>: <message>"
}

// NoteViolation counts a contract violation of route and keeps it as the
// route's last one (in the route's shape record, shared by every process).
func (c *Cache) NoteViolation(ctx context.Context, route, request, text string) {
	vj, _ := json.Marshal(Violation{At: c.now(), Request: request, Text: text})
	c.putShape(ctx, route, "violation", vj, "vcount")
}
