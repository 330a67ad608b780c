package cache

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Get answers req for the route of p: from the L1 copy or Redis when a fresh
// entry exists, stale within the policy's windows, else from load (one load
// per key across all processes). The Result says where the answer came from.
//
// Errors: a cached or fresh upstream NOT_FOUND is returned as a NOT_FOUND
// *envelope.Error together with a Result (XCache HIT or MISS); other loader
// errors are returned unchanged unless a stale entry may be served instead;
// a 2xx answer that is not JSON or fails the shape check is an
// UPSTREAM_BAD_RESPONSE. Redis failures are never returned: the request
// bypasses the cache. ctx ending returns TIMEOUT; the shared load goes on.
func (c *Cache) Get(ctx context.Context, p Policy, req RequestKey, load Loader) (Result, error) {
	p, err := p.norm()
	if err != nil {
		return Result{}, err
	}
	r, err := c.get(ctx, p, req, load)
	c.count(p.Route, r, err)
	return r, err
}

// Fresh answers req from this process's copy (L1) when it holds a fresh,
// positive entry read under the current control state; ok is false
// otherwise, and the caller goes through Get. It does no I/O, never blocks,
// and counts a hit exactly as Get would. It lets a caller skip building a
// loader for the common case.
func (c *Cache) Fresh(p Policy, req RequestKey) (r Result, ok bool) {
	s := c.ctl.Load()
	if s == nil || c.l1 == nil {
		return Result{}, false
	}
	now := c.now()
	if !c.ctlUsable(s, now) {
		return Result{}, false // Get refreshes the control state first
	}
	it := c.l1Get(p, req, s, now)
	if it == nil || it.e.negative() {
		return Result{}, false
	}
	r, _ = hitResult(it.e, it.key, now, false)
	c.count(p.Route, r, nil)
	return r, true
}

// count adds one answer to the statistics.
func (c *Cache) count(route string, r Result, err error) {
	switch {
	case r.XCache == XCacheStale:
		c.stats.inc(route, cStale)
	case r.XCache == XCacheBypass:
		c.stats.inc(route, cBypass)
	case r.XCache == XCacheHit && r.Status == 404:
		c.stats.inc(route, cNegativeHits)
	case r.XCache == XCacheHit:
		c.stats.inc(route, cHits)
	case err == nil || r.XCache == XCacheMiss:
		c.stats.inc(route, cMisses)
	}
	if r.Collapsed {
		c.stats.inc(route, cCollapsed)
	}
}

// get serves from L1 when it can; otherwise every concurrent caller of one
// key in this process shares one lookup (one Redis read, at most one load).
func (c *Cache) get(ctx context.Context, p Policy, req RequestKey, load Loader) (Result, error) {
	hash := req.Hash()
	s := c.snapshot(ctx)
	if s != nil && !p.Revalidate {
		now := c.now()
		if it := c.l1Get(p, req, s, now); it != nil {
			return hitResult(it.e, it.key, now, false)
		}
	}
	if s == nil || c.health.Down() {
		return c.bypass(ctx, p, req, load)
	}
	if p.Revalidate {
		key := c.keys.entryKey(s, p.Route, hash)
		res, err, _ := c.shared(ctx, "reval|"+key, p.LockTTL, func(lctx context.Context) (Result, error) {
			return c.revalidateNow(lctx, p, req, s, key, load)
		})
		if ctx.Err() != nil {
			return Result{}, envelope.From(ctx.Err())
		}
		return res, err
	}
	key := c.keys.entryKey(s, p.Route, hash)
	res, err, leader := c.shared(ctx, key, p.LockTTL, func(lctx context.Context) (Result, error) {
		return c.lookup(lctx, p, req, s, key, load)
	})
	if ctx.Err() != nil {
		return Result{}, envelope.From(ctx.Err())
	}
	if !leader && res.FwdStatus != 0 {
		res.Collapsed = true // shared another caller's upstream call
	}
	return res, err
}

// l1Get returns the L1 item of req valid under s at now, starting its
// background re-read when it is in the last part of its L1 life.
func (c *Cache) l1Get(p Policy, req RequestKey, s *ctlState, now time.Time) *l1Item {
	it := c.l1.get(p.Route, req.Hash(), s, now)
	if it != nil && it.e.negative() && it.e.NegGen != s.negs[p.Route] {
		return nil // a create made the id exist
	}
	if it != nil && !it.refreshAt.IsZero() && !now.Before(it.refreshAt) && it.refreshing.CompareAndSwap(false, true) {
		c.goBackground(func() { c.rereadL1(p, req, it) })
	}
	return it
}

// rereadL1 re-reads the entry of an L1 item from Redis and, when it is still
// fresh and valid under the current control state, gives the in-process copy
// a new L1 life. Anything else (missing, invalidated, stale, Redis failing,
// control state changed) leaves the item to expire and the next request to
// take the normal path.
func (c *Cache) rereadL1(p Policy, req RequestKey, it *l1Item) {
	s := c.ctl.Load()
	if s == nil || !it.ctl.sameGen(s, p.Route) || c.health.Down() {
		return
	}
	now := c.now()
	seq := c.l1.seq()
	e, _, err := c.read(c.bgCtx, p, s, req, it.key, now)
	if err != nil || e == nil || e.negative() != it.e.negative() || now.Sub(e.storedAt) >= e.ttl {
		return
	}
	c.l1.put(p.Route, req.Hash(), it.key, s, e, now, seq)
}

// lookup reads key from Redis and answers fresh, stale (starting one
// background refresh) or through fill; a Redis failure bypasses.
func (c *Cache) lookup(ctx context.Context, p Policy, req RequestKey, s *ctlState, key string, load Loader) (Result, error) {
	now := c.now()
	seq := c.l1.seq()
	e, detail, err := c.read(ctx, p, s, req, key, now)
	if err != nil {
		return c.direct(ctx, p, req, load)
	}
	if e != nil {
		age := now.Sub(e.storedAt)
		switch {
		case age < e.ttl:
			c.l1.put(p.Route, req.Hash(), key, s, e, now, seq)
			return hitResult(e, key, now, false)
		case !e.negative() && age-e.ttl <= p.SWR:
			c.revalidate(ctx, p, req, s, key, load, e)
			return staleResult(e, key, now, 0, DetailSWR, false), nil
		case e.negative() || age-e.ttl > p.StaleIfError:
			e = nil // too old for any use; Redis expiry removes it
		}
	}
	res, err := c.fill(ctx, p, req, s, key, load, e)
	switch {
	case errors.Is(err, errLockedByOther): // another process refreshes; e is set
		return staleResult(e, key, c.now(), 0, DetailSWR, true), nil
	case err != nil && e != nil && staleErr(err) && !res.noStale:
		// stale-if-error, within the same version and shape only: an answer
		// that showed a new version or shape made e a lie (res.noStale).
		return staleResult(e, key, c.now(), envelope.StatusFor(envelope.From(err)), DetailStaleIfError, res.Collapsed), nil
	}
	if res.Detail == "" {
		res.Detail = detail
	}
	return res, err
}

// hitResult answers from a fresh entry (a NOT_FOUND error for a negative one).
func hitResult(e *entry, key string, now time.Time, collapsed bool) (Result, error) {
	r := Result{Body: e.body, Status: e.Status, SchemaVersion: e.Schema, Source: envelope.SourceCache,
		XCache: XCacheHit, Age: now.Sub(e.storedAt), TTL: e.storedAt.Add(e.ttl).Sub(now), StoredAt: e.storedAt,
		Collapsed: collapsed, Key: key, Detail: e.Note, print: e.Print}
	if e.negative() {
		r.Body, r.Detail = nil, DetailNegative
		return r, negativeError(e.body)
	}
	return r, nil
}

// staleResult answers from an entry past its fresh life.
func staleResult(e *entry, key string, now time.Time, fwdStatus int, detail string, collapsed bool) Result {
	return Result{Body: e.body, Status: e.Status, SchemaVersion: e.Schema, Source: envelope.SourceStale,
		XCache: XCacheStale, Age: now.Sub(e.storedAt), TTL: e.storedAt.Add(e.ttl).Sub(now), StoredAt: e.storedAt,
		Collapsed: collapsed, Key: key, FwdStatus: fwdStatus, Detail: detail, print: e.Print}
}

// read fetches key and its tombstone in one round trip and validates the
// entry. A missing entry is (nil, "", nil); an invalid or invalidated one is
// deleted, counted and reported as (nil, DetailInvalid, nil); err is a Redis
// failure (already recorded).
func (c *Cache) read(ctx context.Context, p Policy, s *ctlState, req RequestKey, key string, now time.Time) (*entry, string, error) {
	e, _, detail, err := c.readTomb(ctx, p, s, req, key, now)
	return e, detail, err
}

// readTomb is read that also returns the tombstone value.
func (c *Cache) readTomb(ctx context.Context, p Policy, s *ctlState, req RequestKey, key string, now time.Time) (*entry, string, string, error) {
	rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	defer cancel()
	var val, tomb *redis.StringCmd
	_, err := c.rdb.Pipelined(rctx, func(pl redis.Pipeliner) error {
		val = pl.Get(rctx, key)
		tomb = pl.Get(rctx, c.keys.tomb(p.Route, req.Hash()))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		c.redisFailed(ctx, err)
		return nil, "", "", err
	}
	c.redisOK()
	raw, err := val.Bytes()
	if err != nil {
		return nil, tomb.Val(), "", nil // redis.Nil: a miss
	}
	e, detail, err := c.check(rctx, p, s, req, key, raw, tomb.Val(), now)
	return e, tomb.Val(), detail, err
}

// revalidateNow answers a request whose client asked for a fresh answer
// (Policy.Revalidate): the upstream is asked whatever the entry's age, the
// answer replaces the entry (compared strictly with it, as the same request
// answered again) and is served as a MISS. When the upstream fails, an
// entry of the same version and shape that is within the stale-if-error
// window is served, labelled.
func (c *Cache) revalidateNow(ctx context.Context, p Policy, req RequestKey, s *ctlState, key string, load Loader) (Result, error) {
	now := c.now()
	e, tomb, _, err := c.readTomb(ctx, p, s, req, key, now)
	if err != nil {
		return c.direct(ctx, p, req, load)
	}
	c.l1.drop(p.Route, req.Hash())
	res, err := c.loadAndStore(ctx, p, req, s, key, tomb, load, e)
	if err != nil && e != nil && !e.negative() && staleErr(err) && !res.noStale &&
		now.Sub(e.storedAt)-e.ttl <= p.StaleIfError {
		return staleResult(e, key, c.now(), envelope.StatusFor(envelope.From(err)), DetailStaleIfError, false), nil
	}
	if res.Detail == "" {
		res.Detail = DetailRevalidated
	}
	return res, err
}

// check validates raw read under key; see read. When the read may have gone
// over a connection opened since the last identity check (Redis restarted
// or failed over), the data set is checked first: an entry of a data set
// that is not the one s describes is a plain miss.
func (c *Cache) check(ctx context.Context, p Policy, s *ctlState, req RequestKey, key string, raw []byte, tomb string, now time.Time) (*entry, string, error) {
	if c.identityStale() && !c.sameDataSet(ctx, s) {
		return nil, "", nil
	}
	e, err := decodeEntry(raw, c.expect(p, s, req.Hash()))
	if err == nil && e.Tomb != tomb {
		return nil, "", nil // invalidated after it was stored: a plain miss
	}
	if err == nil && e.negative() && e.NegGen != s.negs[p.Route] {
		return nil, "", nil // a NOT_FOUND from before a create: a plain miss
	}
	if err == nil && e.storedAt.After(now.Add(time.Minute)) {
		err = errors.New("stored_at is in the future")
	}
	if err != nil {
		c.stats.inc(p.Route, cValidationFailures)
		c.o.Logger.Warn("cache: dropped an invalid entry", "route", p.Route, "request", req.String(), "reason", err.Error())
		if derr := c.rdb.Del(ctx, key).Err(); derr != nil {
			c.redisFailed(ctx, derr)
		}
		return nil, DetailInvalid, nil
	}
	return e, "", nil
}

func (c *Cache) expect(p Policy, s *ctlState, hash string) expect {
	return expect{appVersion: c.o.AppVersion, versions: s.versionTok, route: p.Route, reqHash: hash, gen: s.gen(p.Route)}
}

// staleErr reports whether a loader error allows stale-if-error: upstream
// failures (5xx, timeouts, bad answers, rate limiting), not answers about the
// request itself (404, 400, 422, ...).
func staleErr(err error) bool {
	e := envelope.From(err)
	switch e.Code {
	case envelope.CodeRateLimited, envelope.CodeUpstreamUnavailable, envelope.CodeUpstreamTimeout,
		envelope.CodeUpstreamBadResponse, envelope.CodeTimeout, envelope.CodeInternal:
		return true
	}
	return e.Status >= 500
}
