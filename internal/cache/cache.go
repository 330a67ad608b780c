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

	"github.com/weather-apis/weather_apis/internal/redisback"
)

// Cache is a Redis read-through cache shared by every process of the app.
// It is safe for concurrent use; Close stops its background goroutines.
type Cache struct {
	o      Options
	rdb    redis.UniversalClient
	keys   keyspace
	l1     *l1
	admit  *doorkeeper // admission of unbounded variants (admit.go)
	stats  counters
	health *redisback.Gate // Redis back-off: bypass the cache while Redis fails

	ctl       atomic.Pointer[ctlState]
	ctlSeq    atomic.Uint64 // numbers control reads in the order they are sent
	ctlFlight singleflight.Group
	ctlAhead  atomic.Bool        // a background re-read of the control hash runs
	dials     atomic.Uint64      // connections opened (dialWatch), and
	checked   atomic.Uint64      // how many of them the last identity check covers
	subOK     atomic.Bool        // the Pub/Sub subscriber is confirmed and alive
	flight    singleflight.Group // loads, keyed by entry key
	refreshes sync.Map           // entry keys with a background refresh running
	pending   pendingOps         // invalidations waiting for Redis
	shapes    sync.Map           // route -> *shapeRef, this process's copy
	problems  sync.Map           // route -> *Problem, the last failed answer (diag.go)

	storeScript, rotateScript, observeScript, driftScript *redis.Script

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
		l1:            newL1(o.L1TTL, o.L1MaxEntries, o.L1MaxBytes),
		admit:         newDoorkeeper(o.AdmitWindow),
		stats:         counters{routes: map[string]*routeCounters{}},
		health:        newHealth(o),
		storeScript:   redis.NewScript(storeLua),
		rotateScript:  redis.NewScript(rotateLua),
		observeScript: redis.NewScript(observeLua),
		driftScript:   redis.NewScript(driftLua),
	}
	c.bgCtx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	warnContextTimeouts(o)
	c.dials.Add(1) // check the identity before the first control read
	o.Redis.AddHook(dialWatch{c})
	if _, err := c.refreshCtl(ctx, nil); err != nil {
		o.Logger.Warn("cache: redis not reachable at start; requests bypass the cache until it is", "err", err)
	}
	c.goBackground(func() { c.flushLoop() })
	c.goBackground(func() { c.identityLoop() })
	if o.DisablePubSub {
		c.subOK.Store(true) // L1 is bounded by L1TTL alone, as documented
	} else {
		c.l1.disable() // until the subscription is confirmed (listen)
		c.goBackground(func() { c.subscribe() })
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
	if !c.health.Down() {
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

// every runs f every d until Close.
func (c *Cache) every(d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-c.bgCtx.Done():
			return
		case <-t.C:
			f()
		}
	}
}

func (c *Cache) flushLoop() {
	c.every(c.o.StatsInterval, func() {
		if !c.health.Down() {
			_ = c.flushStats(c.bgCtx)
		}
	})
}

// randToken is 16 random hex characters (lock tokens, epochs, tombstones).
func randToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newHealth is the Redis back-off: after a failure Redis is treated as down
// for RedisBackoff, so requests during an outage do not each wait for a
// timeout.
func newHealth(o Options) *redisback.Gate {
	return redisback.NewGate(redisback.GateOptions{
		Backoff: o.RedisBackoff,
		OnDown: func(err error, window time.Duration) {
			o.Logger.Warn("cache: redis failed; bypassing the cache", "err", err, "retry_after", window)
		},
		OnUp: func(time.Duration) { o.Logger.Info("cache: redis answers again") },
	})
}

// redisOK records that Redis answered; after a failure the next control
// read first checks that Redis still holds the same data set.
func (c *Cache) redisOK() {
	if c.health.OK() {
		c.dials.Add(1)
		c.expireCtl()
	}
}

// redisFailed records err unless it is a miss (redis.Nil) or the caller
// gave up (parent context done), which say nothing about Redis.
func (c *Cache) redisFailed(parent context.Context, err error) {
	if redisback.Failed(parent, err) {
		c.health.Fail(fmt.Errorf("redis: %w", err))
	}
}
