package cache

import "sync"

// doorkeeper remembers which request variants were asked for recently, so a
// variant whose query can take unbounded values (free text, timestamps) is
// stored only when it is asked for a second time. A client sending 10 000
// distinct ?search= values then adds no entry to Redis: each is loaded once,
// answered, and forgotten. This is the admission half of TinyLFU (Einziger,
// Friedman, Manes: "TinyLFU: A Highly Efficient Cache Admission Policy",
// ACM ToS 2017), with exact sets instead of a Bloom filter: two generations of
// at most size hashes each, the older dropped when the newer fills, so the
// memory is bounded (2 × size × ~50 bytes) and a variant counts as seen for
// the last size to 2 × size distinct variants. It is per process: with N
// replicas a variant is stored at the latest on its N+1st request.
type doorkeeper struct {
	mu        sync.Mutex
	size      int
	cur, prev map[string]struct{}
}

func newDoorkeeper(size int) *doorkeeper {
	return &doorkeeper{size: size, cur: make(map[string]struct{}, size)}
}

// admit records route/hash and reports whether it had been seen before.
func (d *doorkeeper) admit(route, hash string) bool {
	k := route + "|" + hash
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.cur[k]; ok {
		return true
	}
	_, seen := d.prev[k]
	if len(d.cur) >= d.size {
		d.prev, d.cur = d.cur, make(map[string]struct{}, d.size)
	}
	d.cur[k] = struct{}{}
	return seen
}
