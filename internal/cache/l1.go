package cache

import (
	"sync"
	"sync/atomic"
	"time"
)

// l1Key identifies a request independent of generations; the generation an
// item was read under is checked on every hit.
type l1Key struct{ route, hash string }

// l1Item is one in-process copy of a fresh entry.
type l1Item struct {
	e       *entry
	key     string    // Redis key
	ctl     *ctlState // control state the key was built under
	expires time.Time // min(read + L1TTL, end of fresh life)
	// refreshAt is when a hit starts re-reading the entry from Redis in the
	// background (zero: never, the entry's fresh life ends first), so that
	// steady traffic never waits for the read when the item expires.
	refreshAt  time.Time
	refreshing atomic.Bool // one background re-read per item
}

// refreshAhead is the part of an item's L1 life after which a hit re-reads
// it in the background.
const refreshAhead = 4 // the last quarter

// l1 is the in-process copy of fresh entries. An item lives at most L1TTL
// after it was read from (or written to) Redis and never past its fresh life,
// so an invalidation whose Pub/Sub message is lost is still honoured within
// L1TTL. Safe for concurrent use.
//
// Every drop (one key, a route, everything) increments a drop counter. A
// caller reads the counter (seq) before it sends a Redis read and hands it
// to put: if anything was dropped since, the read may have raced the
// invalidation, so the answer is served but not copied into L1. This keeps
// an invalidation that arrives while a read is in flight from being undone.
type l1 struct {
	mu    sync.RWMutex
	m     map[l1Key]*l1Item
	ttl   time.Duration
	max   int
	drops atomic.Uint64
	// off is set while nothing guarantees that invalidations reach this
	// process (the Pub/Sub subscriber is not confirmed); put is refused.
	off atomic.Bool
}

func newL1(ttl time.Duration, maxEntries int) *l1 {
	if ttl <= 0 {
		return nil
	}
	return &l1{m: make(map[l1Key]*l1Item), ttl: ttl, max: maxEntries}
}

// seq is the drop counter to pass to put.
func (c *l1) seq() uint64 {
	if c == nil {
		return 0
	}
	return c.drops.Load()
}

// get returns the item of (route, hash) when it is unexpired at now and was
// read under control state s (same epoch, generations and versions).
func (c *l1) get(route, hash string, s *ctlState, now time.Time) *l1Item {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	it := c.m[l1Key{route, hash}]
	c.mu.RUnlock()
	if it == nil || !now.Before(it.expires) || !it.ctl.sameGen(s, route) {
		return nil
	}
	return it
}

// put stores e read under key and s at now, unless something was dropped
// since seq was read (see l1) or L1 is off.
func (c *l1) put(route, hash, key string, s *ctlState, e *entry, now time.Time, seq uint64) {
	if c == nil || c.off.Load() {
		return
	}
	l1End, freshEnd := now.Add(c.ttl), e.storedAt.Add(e.ttl)
	it := &l1Item{e: e, key: key, ctl: s, expires: l1End}
	if freshEnd.Before(l1End) {
		it.expires = freshEnd // a re-read would find the same expiring entry
	} else {
		it.refreshAt = l1End.Add(-c.ttl / refreshAhead)
	}
	if !now.Before(it.expires) {
		return
	}
	c.mu.Lock()
	if c.drops.Load() != seq {
		c.mu.Unlock()
		return
	}
	if len(c.m) >= c.max {
		c.evictLocked(now)
	}
	c.m[l1Key{route, hash}] = it
	c.mu.Unlock()
}

// evictLocked drops expired items, then (still full) an arbitrary eighth.
func (c *l1) evictLocked(now time.Time) {
	for k, it := range c.m {
		if !now.Before(it.expires) {
			delete(c.m, k)
		}
	}
	n := len(c.m) - c.max*7/8
	for k := range c.m {
		if n <= 0 {
			break
		}
		delete(c.m, k)
		n--
	}
}

// drop removes the item of (route, hash).
func (c *l1) drop(route, hash string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.drops.Add(1)
	delete(c.m, l1Key{route, hash})
	c.mu.Unlock()
}

// dropRoute removes every item of route ("" = all).
func (c *l1) dropRoute(route string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.drops.Add(1)
	if route == "" {
		clear(c.m)
	} else {
		for k := range c.m {
			if k.route == route {
				delete(c.m, k)
			}
		}
	}
	c.mu.Unlock()
}

// disable drops everything and refuses puts until enable.
func (c *l1) disable() {
	if c == nil {
		return
	}
	c.off.Store(true)
	c.dropRoute("")
}

func (c *l1) enable() {
	if c != nil {
		c.off.Store(false)
	}
}
