package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// Cache is a Redis read-through cache shared by every process of the app.
// It is safe for concurrent use; Close stops its background goroutines.
type Cache struct {
	o      Options
	rdb    redis.UniversalClient
	keys   keyspace
	l1     *l1
	stats  counters
	health health

	ctl       atomic.Pointer[ctlState]
	ctlFlight singleflight.Group
	ctlAhead  atomic.Bool        // a background re-read of the control hash runs
	flight    singleflight.Group // loads, keyed by entry key
	refreshes sync.Map           // entry keys with a background refresh running
	pending   pendingOps         // invalidations waiting for Redis

	storeScript, releaseScript, leaseScript *redis.Script

	bgCtx  context.Context // cancelled by Close
	cancel context.CancelFunc
	mu     sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup
}

// ctlTTL keeps the control hash alive while any process uses it. If it ever
// expires a new epoch is drawn, so old entries stay unreachable.
const ctlTTL = 30 * 24 * time.Hour

// New returns a Cache. It fails only for unusable options; an unreachable
// Redis is not an error (requests bypass until it answers).
func New(ctx context.Context, o Options) (*Cache, error) {
	if o.Redis == nil {
		return nil, errors.New("cache: Options.Redis is required")
	}
	if o.AppID == "" || o.AppVersion == "" {
		return nil, errors.New("cache: Options.AppID and Options.AppVersion are required")
	}
	o.defaults()
	c := &Cache{
		o: o, rdb: o.Redis, keys: newKeyspace(o.AppID, o.AppVersion),
		l1:            newL1(o.L1TTL, o.L1MaxEntries),
		stats:         counters{routes: map[string]*routeCounters{}},
		health:        health{backoff: o.RedisBackoff, log: o.Logger},
		storeScript:   redis.NewScript(storeLua),
		releaseScript: redis.NewScript(releaseLua),
		leaseScript:   redis.NewScript(leaseLua),
	}
	c.bgCtx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	warnContextTimeouts(o)
	if _, err := c.refreshCtl(ctx, nil); err != nil {
		o.Logger.Warn("cache: redis not reachable at start; requests bypass the cache until it is", "err", err)
	}
	c.goBackground(func() { c.flushLoop() })
	if !o.DisablePubSub {
		ps := c.rdb.Subscribe(c.bgCtx, c.keys.channel())
		c.goBackground(func() { c.listen(ps) })
	}
	return c, nil
}

// warnContextTimeouts logs when the client ignores context deadlines, which
// would let a frozen Redis hold requests for the client's ReadTimeout.
func warnContextTimeouts(o Options) {
	enabled := true
	switch r := o.Redis.(type) {
	case *redis.Client:
		enabled = r.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		enabled = r.Options().ContextTimeoutEnabled
	}
	if !enabled {
		o.Logger.Warn("cache: the redis client has ContextTimeoutEnabled=false; RedisTimeout cannot bound a frozen redis")
	}
}

// Close stops background work (refreshes, Pub/Sub, stats flushing), flushes
// the stats once more and waits. Get keeps working after Close, without
// background refreshes.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), c.o.RedisTimeout)
	defer cancel()
	if !c.health.down() {
		_ = c.flushStats(ctx)
	}
	return nil
}

// goBackground runs f on a goroutine Close waits for; false after Close.
func (c *Cache) goBackground(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

func (c *Cache) flushLoop() {
	t := time.NewTicker(c.o.StatsInterval)
	defer t.Stop()
	for {
		select {
		case <-c.bgCtx.Done():
			return
		case <-t.C:
			if !c.health.down() {
				_ = c.flushStats(c.bgCtx)
			}
		}
	}
}

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
	if age >= maxAge-maxAge/refreshAhead && !c.health.down() && c.ctlAhead.CompareAndSwap(false, true) {
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
	if c.health.down() {
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
// running pre in the same pipeline, and installs the new snapshot.
func (c *Cache) refreshCtl(ctx context.Context, pre func(p redis.Pipeliner)) (*ctlState, error) {
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
	c.health.ok()
	return c.install(newCtlState(all.Val(), c.now())), nil
}

// install makes s the current snapshot unless a newer one (higher change
// counter, same epoch) is installed already, which happens when a slow read
// races a change made by this process. It returns the current snapshot.
func (c *Cache) install(s *ctlState) *ctlState {
	for {
		old := c.ctl.Load()
		if old != nil && old.epoch == s.epoch && s.version < old.version {
			return old
		}
		if c.ctl.CompareAndSwap(old, s) {
			if old != nil && old.schema != s.schema && old.schema != "" {
				c.o.Logger.Info("cache: upstream schema version changed; entries of the old version are unreachable",
					"from", old.schema, "to", s.schema)
			}
			return s
		}
	}
}

// randToken is 16 random hex characters (lock tokens, epochs, tombstones).
func randToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// health remembers a Redis failure for backoff, so requests during an
// outage do not each wait for a timeout.
type health struct {
	downUntil atomic.Int64 // unix nanoseconds, real time
	wasDown   atomic.Bool
	backoff   time.Duration
	log       interface {
		Warn(string, ...any)
		Info(string, ...any)
	}
}

func (h *health) down() bool { return time.Now().UnixNano() < h.downUntil.Load() }

func (h *health) fail(err error) {
	h.downUntil.Store(time.Now().Add(h.backoff).UnixNano())
	if !h.wasDown.Swap(true) {
		h.log.Warn("cache: redis failed; bypassing the cache", "err", err, "retry_after", h.backoff)
	}
}

// ok records that Redis answered: requests use the cache again at once
// instead of waiting out the back-off.
func (h *health) ok() {
	if h.wasDown.Load() && h.wasDown.Swap(false) {
		h.downUntil.Store(0)
		h.log.Info("cache: redis answers again")
	}
}

// redisFailed records err unless it is a miss (redis.Nil) or the caller
// gave up (parent context done), which say nothing about Redis.
func (c *Cache) redisFailed(parent context.Context, err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		return
	}
	if errors.Is(err, context.Canceled) && parent.Err() != nil {
		return
	}
	c.health.fail(fmt.Errorf("redis: %w", err))
}
