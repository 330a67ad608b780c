package cache

import (
	"sync"
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
}

// l1 is the in-process copy of fresh entries. An item lives at most L1TTL
// after it was read from (or written to) Redis and never past its fresh life,
// so an invalidation whose Pub/Sub message is lost is still honoured within
// L1TTL. Safe for concurrent use.
type l1 struct {
	mu  sync.RWMutex
	m   map[l1Key]*l1Item
	ttl time.Duration
	max int
}

func newL1(ttl time.Duration, maxEntries int) *l1 {
	if ttl <= 0 {
		return nil
	}
	return &l1{m: make(map[l1Key]*l1Item), ttl: ttl, max: maxEntries}
}

// get returns the item of (route, hash) when it is unexpired at now and was
// read under control state s (same epoch, generations and schema).
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

// put stores e read under key and s at now.
func (c *l1) put(route, hash, key string, s *ctlState, e *entry, now time.Time) {
	if c == nil {
		return
	}
	exp := min(now.Add(c.ttl).UnixNano(), e.storedAt.Add(e.ttl).UnixNano())
	it := &l1Item{e: e, key: key, ctl: s, expires: time.Unix(0, exp)}
	if !now.Before(it.expires) {
		return
	}
	c.mu.Lock()
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
	delete(c.m, l1Key{route, hash})
	c.mu.Unlock()
}

// dropRoute removes every item of route ("" = all).
func (c *l1) dropRoute(route string) {
	if c == nil {
		return
	}
	c.mu.Lock()
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
