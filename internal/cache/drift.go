package cache

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/jsonshape"
)

// Shape drift: a serializer change often bumps no version. Every route
// keeps, in Redis, the shape fingerprint (jsonshape.Print) of the entries of
// its current generation (the union of what was stored) and one sample: the
// first request stored in the generation, with its print.
//
//   - Every answer that is stored is compared loosely with the route's
//     print: a value whose kind changed (a number that became an object) is
//     drift.
//   - An answer to a request the cache already holds an older answer of
//     (a refresh, a revalidation, the probe's re-read of the sample) is
//     compared strictly: a renamed, added or removed member is drift too.
//
// Drift bumps the route's generation, so every older entry of the route is
// unreachable at once in every process, is counted, and is recorded with
// what changed for diagnostics. The comparison runs only where an upstream
// answer is at hand, never on a cache hit.

// shapeTTL keeps a route's shape record as long as the control hash.
const shapeTTL = ctlTTL

// driftLua bumps a route's generation and/or records its print and sample,
// if the route's generation is still ARGV[2].
// KEYS: ctl, shape record. ARGV: route, expected generation, print JSON
// (""=keep), sample JSON (""=keep), bump (1|0), drift JSON, channel, ttl ms.
// Returns the route's generation afterwards, or "" if it had moved on.
const driftLua = `local function gen()
  return (redis.call('HGET', KEYS[1], 'epoch') or '') .. '.' .. (redis.call('HGET', KEYS[1], 'g') or '0') .. '.' ..
    (redis.call('HGET', KEYS[1], 'r:' .. ARGV[1]) or '0')
end
if gen() ~= ARGV[2] then return '' end
if ARGV[5] == '1' then
  redis.call('HINCRBY', KEYS[1], 'r:' .. ARGV[1], 1)
  redis.call('HINCRBY', KEYS[1], 'v', 1)
  redis.call('HINCRBY', KEYS[2], 'dcount', 1)
  redis.call('HSET', KEYS[2], 'drift', ARGV[6])
  redis.call('PUBLISH', ARGV[7], 'r ' .. ARGV[1])
end
local g = gen()
if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], 'ref_gen', g, 'ref', ARGV[3]) end
if ARGV[4] ~= '' and (ARGV[5] == '1' or (redis.call('HGET', KEYS[2], 'sample_gen') or '') ~= g) then
  redis.call('HSET', KEYS[2], 'sample_gen', g, 'sample', ARGV[4])
end
redis.call('PEXPIRE', KEYS[2], ARGV[8])
return g`

// shapeRef is this process's copy of a route's shape record.
type shapeRef struct {
	gen       string          // the generation the print describes
	print     jsonshape.Print // union of what was stored in gen
	has       bool            // a print exists for gen
	sampleGen string          // generation of the sample
}

// Sample is the request the probe re-reads for a route.
type Sample struct {
	Request  string          `json:"request"` // normalised path?query
	Print    jsonshape.Print `json:"print"`
	StoredAt int64           `json:"stored_at"` // unix ms
}

// ShapeDrift describes the last shape drift of a route.
type ShapeDrift struct {
	At      time.Time `json:"at"`
	Cause   string    `json:"cause"` // "store", "refresh" or "probe"
	Request string    `json:"request"`
	Changes string    `json:"changes"`
	From    string    `json:"from_print"`
	To      string    `json:"to_print"`
}

// shapeRef returns route's shape record for generation gen: this process's
// copy when it describes gen, else the one in Redis (a record of another
// generation describes entries that are unreachable and is ignored).
func (c *Cache) shapeRef(ctx context.Context, route, gen string) (shapeRef, error) {
	if v, ok := c.shapes.Load(route); ok {
		if r := v.(*shapeRef); r.gen == gen {
			return *r, nil
		}
	}
	rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	defer cancel()
	vals, err := c.rdb.HMGet(rctx, c.keys.shape(route), "ref_gen", "ref", "sample_gen").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		c.redisFailed(ctx, err)
		return shapeRef{}, err
	}
	r := shapeRef{gen: gen}
	if g, _ := vals[0].(string); g == gen {
		if raw, _ := vals[1].(string); raw != "" && json.Unmarshal([]byte(raw), &r.print) == nil {
			r.has = true
		}
	}
	r.sampleGen, _ = vals[2].(string)
	c.shapes.Store(route, &r)
	return r, nil
}

// shapeCheck compares the print of an answer about to be stored under s
// with the route's print (loosely) and, when prev is the older answer of
// the same request, with prev (strictly); it records the print, the
// sample and any drift. It returns the state to store under (after a
// drift, the new generation of the route) and ok false when the route's
// generation moved on meanwhile (the answer must then not be stored:
// its key would belong to an older generation anyway).
func (c *Cache) shapeCheck(ctx context.Context, route string, req RequestKey, s *ctlState, fp jsonshape.Print, prev *entry, cause string) (*ctlState, []jsonshape.Change, bool) {
	gen := s.gen(route)
	ref, err := c.shapeRef(ctx, route, gen)
	if err != nil {
		return s, nil, false
	}
	var changes []jsonshape.Change
	if ref.has {
		changes = jsonshape.Compare(ref.print, fp, false)
	}
	var from string
	if prev != nil && !prev.negative() {
		if pp, err := jsonshape.Of(prev.body); err == nil {
			changes = append(changes, jsonshape.Compare(pp, fp, true)...)
			from = pp.Hash()
		}
	}
	bump := len(changes) > 0
	next := fp
	switch {
	case bump:
	case !ref.has:
	case jsonshape.Covers(ref.print, fp) && ref.sampleGen == gen:
		return s, nil, true // nothing new: the common case costs no Redis call
	default:
		next = jsonshape.Merge(ref.print, fp, nil)
	}
	if from == "" && ref.has {
		from = ref.print.Hash()
	}
	newGen, err := c.recordShape(ctx, route, gen, next, Sample{Request: req.String(), Print: fp, StoredAt: c.now().UnixMilli()},
		bump, ShapeDrift{At: c.now(), Cause: cause, Request: req.String(), Changes: jsonshape.Describe(changes, 6), From: from, To: fp.Hash()})
	if err != nil || newGen == "" {
		return s, changes, false
	}
	if bump {
		n, _ := strconv.ParseInt(newGen[strings.LastIndexByte(newGen, '.')+1:], 10, 64)
		s = s.withRouteGen(route, n)
	}
	return s, changes, true
}

// recordShape runs driftLua and updates this process's copy. It returns
// the route's generation afterwards ("" if it had moved on).
func (c *Cache) recordShape(ctx context.Context, route, gen string, print jsonshape.Print, sample Sample, bump bool, d ShapeDrift) (string, error) {
	pj, _ := json.Marshal(print)
	sj, _ := json.Marshal(sample)
	var dj []byte
	b := "0"
	if bump {
		b = "1"
		dj, _ = json.Marshal(d)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.RedisTimeout)
	defer cancel()
	newGen, err := c.driftScript.Run(rctx, c.rdb, []string{c.keys.ctl(), c.keys.shape(route)}, route, gen, pj, sj, b,
		dj, c.keys.channel(), shapeTTL.Milliseconds()).Text()
	if err != nil && !errors.Is(err, redis.Nil) {
		c.redisFailed(rctx, err)
		return "", err
	}
	if newGen == "" {
		c.shapes.Delete(route)
		return "", nil
	}
	c.shapes.Store(route, &shapeRef{gen: newGen, print: print, has: true, sampleGen: newGen})
	if bump {
		c.stats.inc(route, cDrift)
		c.l1.dropRoute(route)
		c.o.Logger.Warn("cache: the upstream changed the shape of its answers; older entries of the route are unreachable",
			"route", route, "cause", d.Cause, "request", d.Request, "changes", d.Changes)
		_, _ = c.refreshCtl(rctx, nil)
	}
	return newGen, nil
}

// sample returns route's sample for generation gen (nil when there is none).
func (c *Cache) sample(ctx context.Context, route, gen string) (*Sample, error) {
	vals, err := c.rdb.HMGet(ctx, c.keys.shape(route), "sample_gen", "sample").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		c.redisFailed(ctx, err)
		return nil, err
	}
	if g, _ := vals[0].(string); g != gen {
		return nil, nil
	}
	raw, _ := vals[1].(string)
	var sm Sample
	if raw == "" || json.Unmarshal([]byte(raw), &sm) != nil {
		return nil, nil
	}
	return &sm, nil
}
