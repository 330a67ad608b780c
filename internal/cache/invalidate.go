package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Invalidate drops the entries of route for reqs at once, in every process
// and every app version: it sets each request's tombstone (checked on every
// Redis read and by any store of a load that began earlier), deletes the
// current entry, drops local L1 copies and tells other processes over
// Pub/Sub (their L1 copies end within L1TTL even if the message is lost).
//
// An error means Redis could not be reached; the invalidation is then
// retried in the background until Redis answers. Callers should log it and
// not fail the write that caused it.
func (c *Cache) Invalidate(ctx context.Context, route string, reqs ...RequestKey) error {
	if !safeName(route, 64) {
		return envelope.Errorf(envelope.CodeBadRequest, "cache route %q is not a valid name", route)
	}
	if len(reqs) == 0 {
		return nil
	}
	hashes := make([]string, len(reqs))
	for i, r := range reqs {
		hashes[i] = r.Hash()
		c.l1.drop(route, hashes[i])
	}
	c.stats.route(route)[cInvalidations].Add(int64(len(reqs)))
	return c.retrying(ctx, pendingOp{route: route, hashes: hashes})
}

// InvalidateRoute makes every entry of route unreachable in O(1) by bumping
// the route's generation (flush ?route=). Errors as for Invalidate.
func (c *Cache) InvalidateRoute(ctx context.Context, route string) error {
	if !safeName(route, 64) {
		return envelope.Errorf(envelope.CodeBadRequest, "cache route %q is not a valid name", route)
	}
	c.l1.dropRoute(route)
	c.stats.inc(route, cInvalidations)
	return c.retrying(ctx, pendingOp{route: route, wholeRoute: true})
}

// Flush makes every entry unreachable in O(1) by bumping the global
// generation; old entries age out by TTL. Errors as for Invalidate.
func (c *Cache) Flush(ctx context.Context) error {
	c.l1.dropRoute("")
	c.stats.inc(FlushRoute, cInvalidations)
	return c.retrying(ctx, pendingOp{all: true})
}

// ObserveSchemaVersion records that the upstream now answers with schema
// version v. When v differs from the current version, the version in Redis
// changes, so every entry of the old version is unreachable at once in every
// process (the version is part of each key). "" is ignored.
func (c *Cache) ObserveSchemaVersion(ctx context.Context, v string) error {
	if s := c.ctl.Load(); v == "" || s != nil && s.schema == v {
		return nil
	}
	_, err := c.observe(ctx, v)
	return err
}

func (c *Cache) observe(ctx context.Context, v string) (*ctlState, error) {
	rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	defer cancel()
	s, err := c.refreshCtl(rctx, func(p redis.Pipeliner) {
		p.HSet(rctx, c.keys.ctl(), "schema", v)
		p.HIncrBy(rctx, c.keys.ctl(), "v", 1)
		p.Publish(rctx, c.keys.channel(), "s")
	})
	if err != nil {
		return nil, err
	}
	c.l1.dropRoute("")
	return s, nil
}

// pendingOp is one invalidation: request tombstones, a route bump or a
// global bump.
type pendingOp struct {
	route      string
	hashes     []string
	wholeRoute bool
	all        bool
}

// apply runs op against Redis in one round trip.
func (c *Cache) apply(ctx context.Context, op pendingOp) error {
	if !op.all && !op.wholeRoute {
		s := c.ctl.Load()
		_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, h := range op.hashes {
				p.Set(ctx, c.keys.tomb(op.route, h), randToken(), maxEntryLife)
				if s != nil {
					p.Del(ctx, c.keys.entryKey(s, op.route, h))
				}
			}
			p.Publish(ctx, c.keys.channel(), "k "+op.route+" "+strings.Join(op.hashes, " "))
			return nil
		})
		if err != nil {
			c.redisFailed(ctx, err)
		}
		return err
	}
	field, msg := "g", "g"
	if op.wholeRoute {
		field, msg = "r:"+op.route, "r "+op.route
	}
	_, err := c.refreshCtl(ctx, func(p redis.Pipeliner) {
		p.HIncrBy(ctx, c.keys.ctl(), field, 1)
		p.HIncrBy(ctx, c.keys.ctl(), "v", 1)
		p.Publish(ctx, c.keys.channel(), msg)
	})
	return err
}

// retrying applies op now; on failure it queues op for the retry loop and
// returns an INTERNAL error saying the invalidation was deferred.
func (c *Cache) retrying(ctx context.Context, op pendingOp) error {
	rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	err := c.apply(rctx, op)
	cancel()
	if err == nil {
		return nil
	}
	c.pending.add(op)
	c.goBackground(c.retryLoop)
	return envelope.Wrap(envelope.CodeInternal, "The cache could not be invalidated now; it will retry.", err)
}

// pendingOps are invalidations waiting for Redis.
type pendingOps struct {
	mu      sync.Mutex
	ops     []pendingOp
	running bool
}

func (p *pendingOps) add(op pendingOp) {
	p.mu.Lock()
	p.ops = append(p.ops, op)
	p.mu.Unlock()
}

// retryLoop applies pending invalidations every 500 ms until none is left or
// Close; only one loop runs at a time.
func (c *Cache) retryLoop() {
	c.pending.mu.Lock()
	if c.pending.running {
		c.pending.mu.Unlock()
		return
	}
	c.pending.running = true
	c.pending.mu.Unlock()
	defer func() { c.pending.mu.Lock(); c.pending.running = false; c.pending.mu.Unlock() }()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-c.bgCtx.Done():
			return
		case <-t.C:
		}
		c.pending.mu.Lock()
		ops := c.pending.ops
		c.pending.ops = nil
		c.pending.mu.Unlock()
		var failed []pendingOp
		for i, op := range ops {
			ctx, cancel := context.WithTimeout(c.bgCtx, c.o.RedisTimeout)
			err := c.apply(ctx, op)
			cancel()
			if err != nil {
				failed = append(failed, ops[i:]...)
				break
			}
		}
		c.pending.mu.Lock()
		c.pending.ops = append(failed, c.pending.ops...)
		done := len(c.pending.ops) == 0
		c.pending.mu.Unlock()
		if done {
			return
		}
	}
}

// listen applies invalidations published by any process until Close. After
// every (re)subscription L1 is dropped, since messages may have been lost.
func (c *Cache) listen(ps *redis.PubSub) {
	stop := context.AfterFunc(c.bgCtx, func() { _ = ps.Close() })
	defer stop()
	for {
		msg, err := ps.Receive(c.bgCtx)
		if err != nil {
			if c.bgCtx.Err() != nil || errors.Is(err, redis.ErrClosed) {
				return
			}
			t := time.NewTimer(200 * time.Millisecond)
			select {
			case <-c.bgCtx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			c.l1.dropRoute("")
			c.expireCtl()
		case *redis.Message:
			c.onMessage(m.Payload)
		}
	}
}

// onMessage applies one published invalidation: "k <route> <hash>...",
// "r <route>", "g" (flush) or "s" (schema change).
func (c *Cache) onMessage(payload string) {
	f := strings.Fields(payload)
	if len(f) == 0 {
		return
	}
	switch f[0] {
	case "k":
		if len(f) >= 2 {
			for _, h := range f[2:] {
				c.l1.drop(f[1], h)
			}
		}
		return
	case "r":
		if len(f) == 2 {
			c.l1.dropRoute(f[1])
		}
	default:
		c.l1.dropRoute("")
	}
	c.expireCtl()
	ctx, cancel := context.WithTimeout(c.bgCtx, c.o.RedisTimeout)
	defer cancel()
	_, _ = c.refreshCtl(ctx, nil)
}

// expireCtl makes the next request re-read the control hash.
func (c *Cache) expireCtl() {
	if s := c.ctl.Load(); s != nil {
		cp := *s
		cp.loadedAt = time.Time{}
		c.ctl.CompareAndSwap(s, &cp)
	}
}
