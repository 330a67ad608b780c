package cache

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
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

// loadAndStore calls the loader and stores what may be stored: 2xx JSON that
// passes the shape check (fresh life TTL minus jitter, kept for the stale
// windows), or a NOT_FOUND for NegativeTTL. tomb is the tombstone value read
// before the load.
func (c *Cache) loadAndStore(ctx context.Context, p Policy, req RequestKey, s *ctlState, key, tomb string, load Loader) (Result, error) {
	f, err := c.callLoader(ctx, p.Route, load)
	now := c.now()
	res := Result{Source: envelope.SourceUpstream, XCache: XCacheMiss, Key: key, StoredAt: now, SchemaVersion: s.schema}
	if err != nil {
		e := envelope.From(err)
		res.FwdStatus = envelope.StatusFor(e)
		if e.Code == envelope.CodeNotFound && p.NegativeTTL > 0 {
			res.Status = 404
			res.Stored = c.store(ctx, p, req, s, key, tomb, 404, encodeNegative(e), p.NegativeTTL, p.NegativeTTL, now)
			if res.Stored {
				res.TTL = p.NegativeTTL
			}
		}
		return res, err
	}
	res.Status, res.Body, res.FwdStatus = f.Status, f.Body, f.Status
	version, cacheable, err := accept(p, f)
	if err != nil {
		res.Body = nil
		return res, err
	}
	if !cacheable {
		return res, nil
	}
	if version != "" && version != s.schema {
		s2, oerr := c.observe(ctx, version)
		if oerr != nil {
			res.SchemaVersion = version
			return res, nil // cannot record the drift: do not store under the old version
		}
		s, key = s2, c.keys.entryKey(s2, p.Route, req.Hash())
		res.Key, res.SchemaVersion = key, s.schema
	}
	ttl := p.TTL
	if p.Jitter > 0 {
		ttl -= rand.N(p.Jitter)
	}
	res.Stored = c.store(ctx, p, req, s, key, tomb, f.Status, f.Body, ttl, ttl+p.MaxStale, now)
	if res.Stored {
		res.TTL = ttl
	}
	return res, nil
}

// accept decides whether f may be stored: 2xx only, JSON, passing the
// route's shape check. It returns the schema version the answer declares
// (the shape check's, else the loader's). A 2xx answer that fails is an
// UPSTREAM_BAD_RESPONSE error.
func accept(p Policy, f Fetched) (version string, cacheable bool, err error) {
	if f.Status < 200 || f.Status > 299 {
		return "", false, nil
	}
	if p.Validate == nil {
		if !json.Valid(f.Body) {
			return "", false, envelope.New(envelope.CodeUpstreamBadResponse, "The farm service answered with something that is not JSON.")
		}
		return f.SchemaVersion, true, nil
	}
	v, err := p.Validate(f.Body)
	if err != nil {
		var e *envelope.Error
		if !errors.As(err, &e) {
			e = envelope.Wrap(envelope.CodeUpstreamBadResponse, "The farm service answered with an unexpected shape.", err)
		}
		return "", false, e
	}
	if v == "" {
		v = f.SchemaVersion
	}
	return v, true, nil
}

// store writes one record under key if the tombstone is unchanged; fresh is
// its fresh life, life how long it may be served at all. It reports whether
// the record was written (and put in L1).
func (c *Cache) store(ctx context.Context, p Policy, req RequestKey, s *ctlState, key, tomb string, status int, body []byte, fresh, life time.Duration, now time.Time) bool {
	m := meta{Format: entryFormat, Envelope: envelope.FormatVersion, AppVersion: c.o.AppVersion, Schema: s.schema,
		Route: p.Route, ReqHash: req.Hash(), Request: req.String(), Gen: s.gen(p.Route), Tomb: tomb, Status: status,
		StoredAt: now.UnixMilli(), TTL: fresh.Milliseconds()}
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
	c.l1.put(p.Route, req.Hash(), key, s, e, now)
	return true
}

// bypass answers without Redis (it is down or unknown): one loader call per
// request key in this process, shape-checked, never stored.
func (c *Cache) bypass(ctx context.Context, p Policy, req RequestKey, load Loader) (Result, error) {
	res, err, leader := c.shared(ctx, "bypass|"+p.Route+"|"+req.Hash(), p.LockTTL, func(lctx context.Context) (Result, error) {
		return c.direct(lctx, p, load)
	})
	if ctx.Err() != nil {
		return Result{}, envelope.From(ctx.Err())
	}
	res.Collapsed = !leader
	return res, err
}

// direct calls the loader and labels the answer BYPASS.
func (c *Cache) direct(ctx context.Context, p Policy, load Loader) (Result, error) {
	f, err := c.callLoader(ctx, p.Route, load)
	res := Result{Source: envelope.SourceUpstream, XCache: XCacheBypass, Detail: DetailRedisDown}
	if err != nil {
		res.FwdStatus = envelope.StatusFor(envelope.From(err))
		return res, err
	}
	res.Status, res.FwdStatus = f.Status, f.Status
	version, _, err := accept(p, f)
	if err != nil {
		return res, err
	}
	res.Body, res.SchemaVersion = f.Body, version
	return res, nil
}
