package cache

import (
	"context"
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

// InvalidateNegatives makes the cached NOT_FOUND answers of route
// unreachable (a create made an id exist that may have been cached as
// missing). Errors as for Invalidate.
func (c *Cache) InvalidateNegatives(ctx context.Context, route string) error {
	if !safeName(route, 64) {
		return envelope.Errorf(envelope.CodeBadRequest, "cache route %q is not a valid name", route)
	}
	c.stats.inc(route, cInvalidations)
	return c.retrying(ctx, pendingOp{route: route, negatives: true})
}

// WriteUncertain handles a write whose outcome is unknown (it timed out or
// the connection broke: it may still land upstream later). For d, answers
// of routes are not stored by any process (a read in that window could
// re-cache the old data just before the write commits); when d has passed,
// the routes are invalidated once more. d should be the upstream's own
// request timeout. Errors as for Invalidate.
func (c *Cache) WriteUncertain(ctx context.Context, routes []string, d time.Duration) error {
	until := time.Now().Add(d).UnixMilli()
	var first error
	for _, route := range routes {
		if !safeName(route, 64) {
			return envelope.Errorf(envelope.CodeBadRequest, "cache route %q is not a valid name", route)
		}
		if err := c.retrying(ctx, pendingOp{route: route, pendUntil: until}); err != nil && first == nil {
			first = err
		}
	}
	c.goBackground(func() {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-c.bgCtx.Done():
			return
		case <-t.C:
		}
		for _, route := range routes {
			_ = c.InvalidateRoute(c.bgCtx, route)
		}
	})
	return first
}

// pendLua sets ctl field ARGV[1] to ARGV[2] unless it holds a later time.
const pendLua = `local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if cur < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1`

// pendingOp is one invalidation: request tombstones, a route bump, a
// global bump, a bump of a route's NOT_FOUND generation, or a write lease.
type pendingOp struct {
	route      string
	hashes     []string
	wholeRoute bool
	all        bool
	negatives  bool
	pendUntil  int64 // unix ms: answers of route are not stored until then
}

// apply runs op against Redis in one round trip.
func (c *Cache) apply(ctx context.Context, op pendingOp) error {
	if op.pendUntil != 0 {
		_, err := c.refreshCtl(ctx, func(p redis.Pipeliner) {
			p.Eval(ctx, pendLua, []string{c.keys.ctl()}, "w:"+op.route, op.pendUntil)
			p.HIncrBy(ctx, c.keys.ctl(), "v", 1)
			p.Publish(ctx, c.keys.channel(), "w "+op.route)
		})
		return err
	}
	if !op.all && !op.wholeRoute && !op.negatives {
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
	switch {
	case op.wholeRoute:
		field, msg = "r:"+op.route, "r "+op.route
	case op.negatives:
		field, msg = "n:"+op.route, "n "+op.route
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

// Pub/Sub health: a subscriber connection can die silently (half-open), and
// a message sent while it reconnects is lost. The subscriber therefore
// pings every subPing and is replaced when nothing (message or pong) arrived
// for subDead; while it is not confirmed, L1 is off (dropped, and nothing is
// copied into it), so a lost invalidation can never be served from L1. On
// every (re)subscription L1 starts empty and the control hash is re-read.
const (
	subPing = 500 * time.Millisecond
	subDead = 3 * subPing
)

// subscribe keeps one healthy subscription until Close.
func (c *Cache) subscribe() {
	for c.bgCtx.Err() == nil {
		ps := c.rdb.Subscribe(c.bgCtx, c.keys.channel())
		c.listen(ps)
		_ = ps.Close()
		c.subOK.Store(false)
		c.l1.disable()
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-c.bgCtx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// listen applies invalidations published by any process until the
// subscription fails or goes quiet for subDead, or Close.
func (c *Cache) listen(ps *redis.PubSub) {
	stop := context.AfterFunc(c.bgCtx, func() { _ = ps.Close() })
	defer stop()
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(subPing)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(c.bgCtx, subPing)
			_ = ps.Ping(ctx)
			cancel()
		}
	}()
	for {
		msg, err := ps.ReceiveTimeout(c.bgCtx, subDead)
		if err != nil {
			if c.bgCtx.Err() == nil {
				c.o.Logger.Debug("cache: invalidation subscriber lost; L1 is off until it is back", "err", err)
			}
			return
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				c.l1.dropRoute("")
				c.expireCtl()
				c.l1.enable()
				c.subOK.Store(true)
			}
		case *redis.Message:
			c.onMessage(m.Payload)
		case *redis.Pong:
		}
	}
}

// onMessage applies one published invalidation: "k <route> <hash>...",
// "r <route>" (route flush or drift), "n <route>" (NOT_FOUNDs), "w <route>"
// (write lease), "g" (flush), "s" (schema or contract change), "e" (epoch
// rotated).
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
	case "n", "w":
		// L1 items of the route are checked against the new snapshot.
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
