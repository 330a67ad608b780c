package cache

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

func (c *Cache) now() time.Time { return c.o.Now() }

// ctlMaxAge is how old the local control snapshot may get.
func (c *Cache) ctlMaxAge() time.Duration {
	if c.o.L1TTL > 0 {
		return c.o.L1TTL
	}
	return time.Second
}

// ctlUsable reports whether snapshot s may still be used at now. In the
// last quarter of its life it starts one background re-read, so that steady
// traffic never waits for the control hash.
func (c *Cache) ctlUsable(s *ctlState, now time.Time) bool {
	age, maxAge := now.Sub(s.loadedAt), c.ctlMaxAge()
	if age >= maxAge-maxAge/refreshAhead && !c.health.Down() && c.ctlAhead.CompareAndSwap(false, true) {
		if !c.goBackground(func() {
			defer c.ctlAhead.Store(false)
			_, _, _ = c.ctlFlight.Do("ctl", func() (any, error) {
				rctx, cancel := context.WithTimeout(c.bgCtx, c.o.RedisTimeout)
				defer cancel()
				return c.refreshCtl(rctx, nil)
			})
		}) {
			c.ctlAhead.Store(false)
		}
	}
	return age < maxAge
}

// snapshot returns the control state, re-reading it when older than
// ctlMaxAge (concurrent callers share one read). It returns the old snapshot
// (or nil if there is none) when Redis is down.
func (c *Cache) snapshot(ctx context.Context) *ctlState {
	s := c.ctl.Load()
	if s != nil && c.ctlUsable(s, c.now()) {
		return s
	}
	if c.health.Down() {
		return s
	}
	ch := c.ctlFlight.DoChan("ctl", func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.RedisTimeout)
		defer cancel()
		return c.refreshCtl(rctx, nil)
	})
	select {
	case r := <-ch:
		if r.Err == nil {
			return r.Val.(*ctlState)
		}
	case <-ctx.Done():
	}
	return s
}

// refreshCtl re-reads the control hash (creating its epoch if needed) after
// running pre in the same pipeline, and installs the new snapshot. After a
// Redis failure it first checks that Redis still holds the same data set
// (identity.go).
func (c *Cache) refreshCtl(ctx context.Context, pre func(p redis.Pipeliner)) (*ctlState, error) {
	if c.identityStale() {
		if err := c.checkIdentity(ctx); err != nil {
			c.redisFailed(ctx, err)
			return nil, err
		}
	}
	seq := c.ctlSeq.Add(1)
	var all *redis.MapStringStringCmd
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, c.keys.ctl(), "epoch", randToken())
		if pre != nil {
			pre(p)
		}
		p.PExpire(ctx, c.keys.ctl(), ctlTTL)
		all = p.HGetAll(ctx, c.keys.ctl())
		return nil
	})
	if err != nil {
		c.redisFailed(ctx, err)
		return nil, err
	}
	c.redisOK()
	s := newCtlState(all.Val(), c.now())
	s.seq = seq
	return c.install(ctx, s), nil
}

// install makes s the current snapshot and returns the current one.
//
// A snapshot read before the installed one was read is older news and is
// ignored. A snapshot of the same epoch whose change counter is lower than
// the installed one's means that Redis went back in time: it was restored
// from an older snapshot, or a replica that missed the latest writes was
// promoted. Entries and tombstones written since may be lost and a flush
// forgotten, so after one confirming read the epoch is rotated: every
// entry of the old data set becomes unreachable for every process.
func (c *Cache) install(ctx context.Context, s *ctlState) *ctlState {
	for {
		old := c.ctl.Load()
		if old != nil && s.seq < old.seq {
			return old
		}
		if old != nil && old.epoch == s.epoch && s.version < old.version {
			if rs, rotated := c.wentBack(ctx, old, s); rotated {
				return rs
			}
			return old
		}
		if c.ctl.CompareAndSwap(old, s) {
			if old != nil && old.schema != s.schema && old.schema != "" {
				c.o.Logger.Info("cache: upstream schema version changed; entries of the old version are unreachable",
					"from", old.schema, "to", s.schema)
			}
			if old != nil && old.contract != s.contract {
				c.o.Logger.Info("cache: the upstream's published contract changed; entries stored under the old one are unreachable",
					"from", old.contract, "to", s.contract)
			}
			if old != nil && old.epoch != s.epoch {
				c.l1.dropRoute("")
			}
			return s
		}
	}
}

// wentBack handles a snapshot whose change counter went back: it re-reads
// the control hash once (a read sent now sees every write this process
// made) and rotates the epoch when the counter is still lower. It returns
// the snapshot to use and whether the caller should return it.
func (c *Cache) wentBack(ctx context.Context, old, s *ctlState) (*ctlState, bool) {
	if ctx.Err() != nil {
		return nil, false
	}
	all, err := c.rdb.HGetAll(ctx, c.keys.ctl()).Result()
	if err != nil {
		c.redisFailed(ctx, err)
		return nil, false
	}
	now := newCtlState(all, c.now())
	if now.epoch != old.epoch || now.version >= old.version {
		return nil, false // a slow read overtaken by this process's own write
	}
	c.stats.inc(FlushRoute, cRotations)
	c.o.Logger.Warn("cache: redis went back in time (restored or failed over to a lagging replica); rotating the epoch",
		"change_counter", now.version, "expected_at_least", old.version)
	rs, err := c.rotate(ctx, now.epoch, now.rid)
	if err != nil {
		return nil, false
	}
	return rs, true
}

// rotateLua replaces the epoch (and records the data set identity) if the
// epoch is still ARGV[1]. KEYS: ctl. ARGV: expected epoch, new epoch, rid,
// channel. Returns 1 when rotated.
const rotateLua = `if (redis.call('HGET', KEYS[1], 'epoch') or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'epoch', ARGV[2], 'rid', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PUBLISH', ARGV[4], 'e')
return 1`

// rotate draws a new epoch if the epoch is still expected, then re-reads.
func (c *Cache) rotate(ctx context.Context, expected, rid string) (*ctlState, error) {
	err := c.rotateScript.Run(ctx, c.rdb, []string{c.keys.ctl()}, expected, randToken(), rid, c.keys.channel()).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		c.redisFailed(ctx, err)
		return nil, err
	}
	c.l1.dropRoute("")
	seq := c.ctlSeq.Add(1)
	all, err := c.rdb.HGetAll(ctx, c.keys.ctl()).Result()
	if err != nil {
		c.redisFailed(ctx, err)
		return nil, err
	}
	s := newCtlState(all, c.now())
	s.seq = seq
	c.ctl.Store(s)
	return s, nil
}
