package cache

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/jsonshape"
)

// storeLua writes an entry only if the tombstone still has the value read
// before the load began, so a load that raced an Invalidate cannot re-cache
// the old answer. KEYS: entry, tombstone (one slot: same hash tag).
// ARGV: record, px, expected tombstone ("" = absent). Returns 1 if stored.
const storeLua = `local t = redis.call('GET', KEYS[2])
if (t or '') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

// entryGrace keeps an entry in Redis a little past its last servable
// moment, so metadata, not expiry, decides what is served.
const entryGrace = time.Second

// callLoader runs load and counts the upstream call.
func (c *Cache) callLoader(ctx context.Context, route string, load Loader) (Fetched, error) {
	c.stats.inc(route, cLoads)
	return load(ctx)
}

// loadAndStore calls the loader and stores what may be stored. In order:
//
//  1. The version the answer declares is a fact before anything is checked:
//     a new one is recorded (observe) even if the answer is refused below,
//     and the answer is then stored only under the state its load began
//     with plus that one change (never in a generation a flush or drift
//     made meanwhile).
//  2. The route's checks (Policy.Check): a refused 2xx answer is an error.
//  3. Its shape is compared with what the route holds (drift.go).
//  4. 2xx answers are stored for TTL minus jitter (kept for the stale
//     windows); a NOT_FOUND for NegativeTTL; nothing while a write whose
//     outcome is unknown may still land (Invalidate's write lease).
//
// tomb is the tombstone value read before the load; prev is the older
// entry of the same request (nil if none). The result's noStale is set when
// the answer showed that prev is of an older version or shape, so prev must
// not be served, not even as stale-if-error.
func (c *Cache) loadAndStore(ctx context.Context, p Policy, req RequestKey, s *ctlState, key, tomb string, load Loader, prev *entry) (Result, error) {
	f, err := c.callLoader(ctx, p.Route, load)
	now := c.now()
	res := Result{Source: envelope.SourceUpstream, XCache: XCacheMiss, Key: key, StoredAt: now}
	if err != nil {
		e := envelope.From(err)
		res.FwdStatus = envelope.StatusFor(e)
		if e.Code == envelope.CodeNotFound && p.NegativeTTL > 0 && !s.writePending(p.Route, time.Now()) {
			res.Status = 404
			res.Stored = c.store(ctx, p, req, s, key, tomb, 404, encodeNegative(e), p.NegativeTTL, p.NegativeTTL, now, meta{NegGen: s.negs[p.Route]})
			if res.Stored {
				res.TTL = p.NegativeTTL
			}
		}
		return res, err
	}
	res.Status, res.FwdStatus = f.Status, f.Status
	if f.Status < 200 || f.Status > 299 {
		res.Body, res.SchemaVersion = f.Body, f.SchemaVersion
		return res, nil
	}
	s, storable := c.observeAnswer(ctx, p, s, f.Observe, &res)
	res.SchemaVersion = label(f.SchemaVersion, s)
	note, verr := p.check(f)
	res.Detail = note
	if storable { // an answer that cannot be stored is compared by the next one
		s, storable = c.shapeOfAnswer(ctx, p, req, s, f.Body, prev, &res)
	}
	if verr != nil {
		c.noteProblem(p.Route, req, verr)
		return res, verr
	}
	res.Body = f.Body
	if cur, wall := c.ctl.Load(), time.Now(); s.writePending(p.Route, wall) || cur != nil && cur.writePending(p.Route, wall) {
		res.Detail = DetailWritePending
		return res, nil
	}
	if !storable {
		return res, nil
	}
	if req.repeat && !c.admit.admit(p.Route, req.Hash()) {
		c.stats.inc(p.Route, cNotAdmitted)
		return res, nil // first sight of an unbounded variant: answered, not stored
	}
	key = c.keys.entryKey(s, p.Route, req.Hash())
	ttl := p.TTL
	if p.Jitter > 0 {
		ttl -= rand.N(p.Jitter)
	}
	res.Key = key
	res.Stored = c.store(ctx, p, req, s, key, tomb, f.Status, f.Body, ttl, ttl+p.MaxStale, now,
		meta{Schema: res.SchemaVersion, Print: res.print, Note: note})
	if res.Stored {
		res.TTL = ttl
	}
	return res, nil
}

// shapeOfAnswer is step 3 of loadAndStore: the answer's print compared with
// the route's (drift.go). It returns the state to store under and whether
// the answer may still be stored.
func (c *Cache) shapeOfAnswer(ctx context.Context, p Policy, req RequestKey, s *ctlState, body []byte, prev *entry, res *Result) (*ctlState, bool) {
	fp, err := jsonshape.Of(body)
	if err != nil {
		return s, true // not JSON: the route's check refuses it
	}
	cause := "store"
	if prev != nil {
		cause = "refresh"
	}
	s, changes, storable := c.shapeCheck(ctx, p.Route, req, s, fp, prev, cause)
	if len(changes) > 0 {
		res.noStale = true
	}
	res.print = fp.Hash()
	return s, storable
}

// label is the version an answer is labelled with: the one it declares, or,
// when it declares none, the version the cache knows the upstream is at
// (the data was produced under it as far as anyone can tell); "" unknown.
func label(declared string, s *ctlState) string {
	if declared != "" || s == nil {
		return declared
	}
	return s.schema
}

// SchemaVersion is the upstream schema version the cache is keyed for ("" unknown).
func (c *Cache) SchemaVersion() string {
	if s := c.ctl.Load(); s != nil {
		return s.schema
	}
	return ""
}

// observeAnswer records the version an answer declares (step 1 of
// loadAndStore). It returns the state to store under and whether the
// answer may be stored at all.
func (c *Cache) observeAnswer(ctx context.Context, p Policy, s *ctlState, v string, res *Result) (*ctlState, bool) {
	if v == "" || v == s.schema {
		return s, true
	}
	res.noStale = true // prev is of another version
	ns, result, err := c.observe(ctx, s, "schema", v)
	if err != nil || result == observeOutdated || ns == nil {
		return s, false
	}
	// Store under the new state only if the version change is all that
	// happened since the load began: same epoch, one global bump (the
	// change) or none (another process recorded the same version), the
	// same route generation.
	if ns.schema != v || ns.epoch != s.epoch || ns.routes[p.Route] != s.routes[p.Route] ||
		ns.contract != s.contract || ns.global-s.global > 1 {
		return ns, false
	}
	return ns, true
}

// store writes one record under key if the tombstone is unchanged; fresh is
// its fresh life, life how long it may be served at all; m carries the
// fields that depend on the answer. It reports whether the record was
// written (and put in L1).
func (c *Cache) store(ctx context.Context, p Policy, req RequestKey, s *ctlState, key, tomb string, status int, body []byte, fresh, life time.Duration, now time.Time, m meta) bool {
	m.Format, m.Envelope, m.AppVersion, m.Versions = entryFormat, envelope.FormatVersion, c.o.AppVersion, s.versionTok
	m.Route, m.ReqHash, m.Request, m.Gen, m.Tomb, m.Status = p.Route, req.Hash(), req.String(), s.gen(p.Route), tomb, status
	m.StoredAt, m.TTL = now.UnixMilli(), fresh.Milliseconds()
	seq := c.l1.seq()
	rec := encodeEntry(&m, body)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.RedisTimeout)
	defer cancel()
	n, err := c.storeScript.Run(rctx, c.rdb, []string{key, c.keys.tomb(p.Route, req.Hash())},
		rec, (life + entryGrace).Milliseconds(), tomb).Int()
	if err != nil {
		c.redisFailed(rctx, err)
		return false
	}
	if n == 0 {
		c.o.Logger.Debug("cache: not stored, invalidated during the load", "route", p.Route, "request", req.String())
		return false
	}
	e := &entry{meta: m, body: body, storedAt: time.UnixMilli(m.StoredAt), ttl: fresh}
	c.l1.put(p.Route, req.Hash(), key, s, e, now, seq)
	return true
}

// bypass answers without Redis (it is down or unknown): one loader call per
// request key in this process, checked, never stored.
func (c *Cache) bypass(ctx context.Context, p Policy, req RequestKey, load Loader) (Result, error) {
	res, err, leader := c.shared(ctx, "bypass|"+p.Route+"|"+req.Hash(), p.LockTTL, func(lctx context.Context) (Result, error) {
		return c.direct(lctx, p, req, load)
	})
	if ctx.Err() != nil {
		return Result{}, envelope.From(ctx.Err())
	}
	res.Collapsed = !leader
	return res, err
}

// direct calls the loader and labels the answer BYPASS.
func (c *Cache) direct(ctx context.Context, p Policy, req RequestKey, load Loader) (Result, error) {
	f, err := c.callLoader(ctx, p.Route, load)
	res := Result{Source: envelope.SourceUpstream, XCache: XCacheBypass, Detail: DetailRedisDown}
	if err != nil {
		res.FwdStatus = envelope.StatusFor(envelope.From(err))
		return res, err
	}
	res.Status, res.FwdStatus, res.SchemaVersion = f.Status, f.Status, label(f.SchemaVersion, c.ctl.Load())
	if f.Status >= 200 && f.Status <= 299 {
		if _, err := p.check(f); err != nil {
			c.noteProblem(p.Route, req, err)
			return res, err
		}
	}
	res.Body = f.Body
	return res, nil
}
