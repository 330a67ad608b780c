package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/redisback"
)

// errLockedByOther: another process holds the load lock and the caller has
// a stale entry to serve meanwhile.
var errLockedByOther = errors.New("another process is loading this entry")

// shared runs f once per flight key in this process; callers wait for the
// result or their ctx. f gets a context that outlives the first caller
// (bounded by d and Close). leader is true for the caller whose f ran.
func (c *Cache) shared(ctx context.Context, flightKey string, d time.Duration, f func(context.Context) (Result, error)) (res Result, err error, leader bool) {
	ran := false
	ch := c.flight.DoChan(flightKey, func() (v any, ferr error) {
		ran = true
		lctx, cancel := c.detach(ctx, d)
		defer cancel()
		defer func() {
			if r := recover(); r != nil {
				v, ferr = Result{}, envelope.Wrap(envelope.CodeInternal, "Internal error", fmt.Errorf("cache loader panic: %v", r))
			}
		}()
		return f(lctx)
	})
	select {
	case r := <-ch:
		return r.Val.(Result), r.Err, ran
	case <-ctx.Done():
		return Result{}, envelope.From(ctx.Err()), false
	}
}

// detach returns a context with ctx's values that ends after d or at Close,
// not when ctx ends.
func (c *Cache) detach(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
	stop := context.AfterFunc(c.bgCtx, cancel)
	return lctx, func() { stop(); cancel() }
}

// fill makes the entry of key exist: it takes the cross-process lock and
// loads, or finds that another process stored the entry meanwhile, or waits
// for the lock holder (returning errLockedByOther at once when there is a
// stale entry prev to serve meanwhile), and after WaitMax loads without the
// lock.
func (c *Cache) fill(ctx context.Context, p Policy, req RequestKey, s *ctlState, key string, load Loader, prev *entry) (Result, error) {
	haveStale := prev != nil
	lock := redisback.Lock{Key: lockKey(key), Token: randToken(), TTL: p.LockTTL}
	deadline := time.Now().Add(p.WaitMax)
	for attempt := 0; ; attempt++ {
		got, tomb, e, err := c.tryLock(ctx, p, s, req, key, lock)
		switch {
		case err != nil:
			return c.direct(ctx, p, req, load)
		case e != nil:
			if got {
				c.release(ctx, lock)
			}
			return hitResult(e, key, c.now(), true)
		case got:
			defer c.release(ctx, lock)
			return c.loadAndStore(ctx, p, req, s, key, tomb, load, prev)
		case haveStale:
			return Result{}, errLockedByOther
		}
		e, lockGone, err := c.waitFor(ctx, p, s, req, key, lock.Key, deadline)
		switch {
		case ctx.Err() != nil:
			return Result{}, envelope.From(ctx.Err())
		case err != nil:
			return c.direct(ctx, p, req, load)
		case e != nil:
			return hitResult(e, key, c.now(), true)
		case !lockGone || attempt >= 3:
			// The holder is slow or keeps failing: load without the lock; the
			// tombstone still guards the store.
			return c.loadAndStore(ctx, p, req, s, key, tomb, load, prev)
		}
		// The holder finished but its entry is not under our key: its load
		// may have discovered a new schema version and stored under the new
		// key. Follow it instead of loading again.
		if ns := c.snapshot(ctx); ns != nil && ns != s {
			s, key = ns, c.keys.entryKey(ns, p.Route, req.Hash())
			lock.Key = lockKey(key)
		}
	}
}

// tryLock takes the load lock and reads the tombstone and the entry in one
// round trip. e is a fresh entry (put in L1) or nil.
func (c *Cache) tryLock(ctx context.Context, p Policy, s *ctlState, req RequestKey, key string, lock redisback.Lock) (got bool, tomb string, e *entry, err error) {
	rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	defer cancel()
	seq := c.l1.seq()
	var set *redis.BoolCmd
	var val, tc *redis.StringCmd
	_, err = c.rdb.Pipelined(rctx, func(pl redis.Pipeliner) error {
		set = lock.SetNX(rctx, pl)
		tc = pl.Get(rctx, c.keys.tomb(p.Route, req.Hash()))
		val = pl.Get(rctx, key)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		c.redisFailed(ctx, err)
		return false, "", nil, err
	}
	got, tomb = set.Val(), tc.Val()
	if raw, rerr := val.Bytes(); rerr == nil {
		e = c.freshEntry(rctx, p, s, req, key, raw, tomb, seq)
	}
	return got, tomb, e, nil
}

// freshEntry validates raw and returns it when it is fresh (and puts it in
// L1 unless an invalidation reached this process after seq).
func (c *Cache) freshEntry(ctx context.Context, p Policy, s *ctlState, req RequestKey, key string, raw []byte, tomb string, seq uint64) *entry {
	now := c.now()
	e, _, _ := c.check(ctx, p, s, req, key, raw, tomb, now)
	if e == nil || now.Sub(e.storedAt) >= e.ttl {
		return nil
	}
	c.l1.put(p.Route, req.Hash(), key, s, e, now, seq)
	return e
}

// waitFor polls until the entry appears (e), the lock disappears without an
// entry (lockGone), or deadline passes.
func (c *Cache) waitFor(ctx context.Context, p Policy, s *ctlState, req RequestKey, key, lock string, deadline time.Time) (e *entry, lockGone bool, err error) {
	interval := 5 * time.Millisecond
	for time.Now().Before(deadline) {
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false, nil
		case <-t.C:
		}
		interval = min(interval*2, 50*time.Millisecond)
		rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
		seq := c.l1.seq()
		var val, tc *redis.StringCmd
		var ex *redis.IntCmd
		_, err = c.rdb.Pipelined(rctx, func(pl redis.Pipeliner) error {
			val = pl.Get(rctx, key)
			tc = pl.Get(rctx, c.keys.tomb(p.Route, req.Hash()))
			ex = pl.Exists(rctx, lock)
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			cancel()
			c.redisFailed(ctx, err)
			return nil, false, err
		}
		if raw, rerr := val.Bytes(); rerr == nil {
			e = c.freshEntry(rctx, p, s, req, key, raw, tc.Val(), seq)
		}
		cancel()
		if e != nil {
			return e, false, nil
		}
		if ex.Val() == 0 {
			return nil, true, nil
		}
	}
	return nil, false, nil
}

// release deletes the lock if this token still holds it.
func (c *Cache) release(ctx context.Context, lock redisback.Lock) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.RedisTimeout)
	defer cancel()
	if _, err := lock.Release(rctx, c.rdb); err != nil {
		c.redisFailed(rctx, err)
	}
}

// revalidate starts one background refresh of key (stale-while-revalidate);
// it returns at once. At most one refresh per key runs in this process, and
// the Redis lock makes it one across processes. A foreground lookup of the
// same key meanwhile finds the lock taken and serves its stale entry.
func (c *Cache) revalidate(ctx context.Context, p Policy, req RequestKey, s *ctlState, key string, load Loader, prev *entry) {
	if _, busy := c.refreshes.LoadOrStore(key, struct{}{}); busy {
		return
	}
	values := context.WithoutCancel(ctx)
	started := c.goBackground(func() {
		defer c.refreshes.Delete(key)
		bctx, cancel := context.WithCancel(values)
		defer cancel()
		stop := context.AfterFunc(c.bgCtx, cancel)
		defer stop()
		_, err, _ := c.shared(bctx, "refresh|"+key, p.LockTTL, func(lctx context.Context) (Result, error) {
			return c.fill(lctx, p, req, s, key, load, prev)
		})
		if err != nil && !errors.Is(err, errLockedByOther) {
			c.o.Logger.Debug("cache: background refresh failed", "route", p.Route, "request", req.String(), "err", err)
		}
	})
	if !started {
		c.refreshes.Delete(key)
	}
}
