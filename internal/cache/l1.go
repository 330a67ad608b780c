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
//
// Memory is bounded by entries (max) and by body bytes (maxBytes); expired
// items leave at the next sweep (once a second, from the cache's ticker) or
// when a get finds them, never waiting for the map to fill.
type l1 struct {
	mu       sync.RWMutex
	m        map[l1Key]*l1Item
	ttl      time.Duration
	max      int
	maxBytes int64
	bytes    int64 // sum of len(body) of the items in m, under mu
	drops    atomic.Uint64
	// off is set while nothing guarantees that invalidations reach this
	// process (the Pub/Sub subscriber is not confirmed); put is refused.
	off atomic.Bool
}

func newL1(ttl time.Duration, maxEntries int, maxBytes int64) *l1 {
	if ttl <= 0 {
		return nil
	}
	return &l1{m: make(map[l1Key]*l1Item), ttl: ttl, max: maxEntries, maxBytes: maxBytes}
}

// size is the number of items and their body bytes.
func (c *l1) size() (int, int64) {
	if c == nil {
		return 0, 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m), c.bytes
}

// sweep drops every item expired at now.
func (c *l1) sweep(now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	for k, it := range c.m {
		if !now.Before(it.expires) {
			c.deleteLocked(k, it)
		}
	}
	c.mu.Unlock()
}

func (c *l1) deleteLocked(k l1Key, it *l1Item) {
	delete(c.m, k)
	c.bytes -= int64(len(it.e.body))
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
	k := l1Key{route, hash}
	c.mu.RLock()
	it := c.m[k]
	c.mu.RUnlock()
	if it != nil && !now.Before(it.expires) {
		c.mu.Lock()
		if c.m[k] == it {
			c.deleteLocked(k, it)
		}
		c.mu.Unlock()
		return nil
	}
	if it == nil || !it.ctl.sameGen(s, route) {
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
	size := int64(len(e.body))
	if !now.Before(it.expires) || size > c.maxBytes/8 {
		return // one body may not take more than an eighth of L1
	}
	c.mu.Lock()
	if c.drops.Load() != seq {
		c.mu.Unlock()
		return
	}
	k := l1Key{route, hash}
	if old := c.m[k]; old != nil {
		c.deleteLocked(k, old)
	}
	if len(c.m) >= c.max || c.bytes+size > c.maxBytes {
		c.evictLocked(now, size)
	}
	c.m[k] = it
	c.bytes += size
	c.mu.Unlock()
}

// evictLocked drops expired items, then (still over either bound) arbitrary
// items until an eighth of both bounds is free for an item of size bytes.
func (c *l1) evictLocked(now time.Time, size int64) {
	for k, it := range c.m {
		if !now.Before(it.expires) {
			c.deleteLocked(k, it)
		}
	}
	for k, it := range c.m {
		if len(c.m) < c.max*7/8 && c.bytes+size <= c.maxBytes*7/8 {
			break
		}
		c.deleteLocked(k, it)
	}
}

// drop removes the item of (route, hash).
func (c *l1) drop(route, hash string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.drops.Add(1)
	k := l1Key{route, hash}
	if it := c.m[k]; it != nil {
		c.deleteLocked(k, it)
	}
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
		c.bytes = 0
	} else {
		for k, it := range c.m {
			if k.route == route {
				c.deleteLocked(k, it)
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
