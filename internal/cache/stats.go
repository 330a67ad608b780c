package cache

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// counter indexes one statistic.
type counter int

const (
	cHits counter = iota
	cMisses
	cStale
	cBypass
	cValidationFailures
	cInvalidations
	cLoads
	cCollapsed
	cNegativeHits
	cDrift
	cRotations
	cNotAdmitted
	numCounters
)

// counterName is the field name of c in the shared stats hash.
func counterName(c counter) string {
	switch c {
	case cHits:
		return "hits"
	case cMisses:
		return "misses"
	case cStale:
		return "stale"
	case cBypass:
		return "bypass"
	case cValidationFailures:
		return "validation_failures"
	case cInvalidations:
		return "invalidations"
	case cLoads:
		return "loads"
	case cCollapsed:
		return "collapsed"
	case cNegativeHits:
		return "negative_hits"
	case cDrift:
		return "drift"
	case cRotations:
		return "epoch_rotations"
	case cNotAdmitted:
		return "not_admitted"
	}
	return ""
}

// Counters are the statistics of one route or of all routes.
type Counters struct {
	Hits               int64 `json:"hits"`                // fresh answers from the cache
	Misses             int64 `json:"misses"`              // answers that needed an upstream call
	Stale              int64 `json:"stale"`               // stale answers (SWR or stale-if-error)
	Bypass             int64 `json:"bypass"`              // answers while Redis was down
	ValidationFailures int64 `json:"validation_failures"` // entries deleted because they failed validation
	Invalidations      int64 `json:"invalidations"`       // Invalidate keys, route flushes and flushes
	Loads              int64 `json:"loads"`               // upstream calls made by the cache
	Collapsed          int64 `json:"collapsed"`           // answers that waited for another request's load
	NegativeHits       int64 `json:"negative_hits"`       // cached NOT_FOUND answers
	Drift              int64 `json:"drift"`               // shape drifts found, and entries Verify found different
	EpochRotations     int64 `json:"epoch_rotations"`     // times Redis was found holding an older data set
	NotAdmitted        int64 `json:"not_admitted"`        // answers of unbounded variants not stored on first sight
}

func (k *Counters) add(c counter, v int64) {
	switch c {
	case cHits:
		k.Hits += v
	case cMisses:
		k.Misses += v
	case cStale:
		k.Stale += v
	case cBypass:
		k.Bypass += v
	case cValidationFailures:
		k.ValidationFailures += v
	case cInvalidations:
		k.Invalidations += v
	case cLoads:
		k.Loads += v
	case cCollapsed:
		k.Collapsed += v
	case cNegativeHits:
		k.NegativeHits += v
	case cDrift:
		k.Drift += v
	case cRotations:
		k.EpochRotations += v
	case cNotAdmitted:
		k.NotAdmitted += v
	}
}

// Stats is the cluster-wide view: every process's flushed counters plus this
// process's unflushed part.
type Stats struct {
	Total  Counters            `json:"total"`
	Routes map[string]Counters `json:"routes"`
	// Shared is false when Redis could not be read: the numbers are then this
	// process's alone.
	Shared        bool   `json:"shared"`
	SchemaVersion string `json:"schema_version"`
	// Contract is the hash of the upstream's published contract ("" none).
	Contract   string `json:"contract"`
	Generation int64  `json:"generation"`
	// Epoch identifies the data set the entries belong to.
	Epoch string `json:"epoch"`
	// L1 is whether this process copies entries in memory (off while its
	// invalidation subscriber is not confirmed).
	L1 bool `json:"l1"`
}

// FlushRoute is the pseudo-route Flush is counted under.
const FlushRoute = "*"

// routeCounters are one route's local, not yet flushed counts.
type routeCounters [numCounters]atomic.Int64

// counters holds the local counts of every route. inc costs one map read
// under a read lock and one atomic add; nothing is written to Redis per
// request.
type counters struct {
	mu      sync.RWMutex
	routes  map[string]*routeCounters
	flushMu sync.Mutex
}

func (s *counters) route(name string) *routeCounters {
	s.mu.RLock()
	rc := s.routes[name]
	s.mu.RUnlock()
	if rc != nil {
		return rc
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rc = s.routes[name]; rc == nil {
		rc = new(routeCounters)
		s.routes[name] = rc
	}
	return rc
}

func (s *counters) inc(route string, c counter) { s.route(route)[c].Add(1) }

// snapshot returns the local counts without resetting them.
func (s *counters) snapshot() map[string]Counters {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]Counters, len(s.routes))
	for name, rc := range s.routes {
		var k Counters
		for c := range numCounters {
			k.add(c, rc[c].Load())
		}
		out[name] = k
	}
	return out
}

// flush adds the local counts to the stats hash and resets them; on failure
// the counts are put back, so nothing is lost or counted twice.
func (c *Cache) flushStats(ctx context.Context) error {
	c.stats.flushMu.Lock()
	defer c.stats.flushMu.Unlock()
	type delta struct {
		name string
		rc   *routeCounters
		c    counter
		v    int64
	}
	var ds []delta
	c.stats.mu.RLock()
	for name, rc := range c.stats.routes {
		for k := range numCounters {
			if v := rc[k].Swap(0); v != 0 {
				ds = append(ds, delta{name, rc, k, v})
			}
		}
	}
	c.stats.mu.RUnlock()
	if len(ds) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	defer cancel()
	_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, d := range ds {
			p.HIncrBy(ctx, c.keys.stats(), d.name+"|"+counterName(d.c), d.v)
		}
		p.PExpire(ctx, c.keys.stats(), statsTTL)
		return nil
	})
	if err != nil {
		for _, d := range ds {
			d.rc[d.c].Add(d.v)
		}
		c.redisFailed(ctx, err)
	}
	return err
}

// statsTTL keeps the shared stats hash alive while any process flushes.
const statsTTL = 30 * 24 * time.Hour

// Stats returns cluster-wide statistics: it flushes this process's counts,
// reads the shared hash and adds whatever could not be flushed. With Redis
// unreachable it returns this process's counts with Shared false, no error.
func (c *Cache) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Routes: map[string]Counters{}}
	if !c.health.Down() && c.flushStats(ctx) == nil {
		rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
		fields, err := c.rdb.HGetAll(rctx, c.keys.stats()).Result()
		cancel()
		if err == nil {
			st.Shared = true
			for f, v := range fields {
				route, name, ok := strings.Cut(f, "|")
				n, perr := strconv.ParseInt(v, 10, 64)
				if !ok || perr != nil {
					continue
				}
				for k := range numCounters {
					if counterName(k) == name {
						rc := st.Routes[route]
						rc.add(k, n)
						st.Routes[route] = rc
					}
				}
			}
		} else {
			c.redisFailed(ctx, err)
		}
	}
	for route, local := range c.stats.snapshot() { // unflushed part (all of it when Redis is down)
		rc := st.Routes[route]
		rc.addAll(local)
		st.Routes[route] = rc
	}
	for _, rc := range st.Routes {
		st.Total.addAll(rc)
	}
	if s := c.ctl.Load(); s != nil {
		st.SchemaVersion, st.Contract, st.Generation, st.Epoch = s.schema, s.contract, s.global, s.epoch
	}
	st.L1 = c.l1 != nil && !c.l1.off.Load()
	return st, nil
}

func (k *Counters) addAll(o Counters) {
	k.Hits += o.Hits
	k.Misses += o.Misses
	k.Stale += o.Stale
	k.Bypass += o.Bypass
	k.ValidationFailures += o.ValidationFailures
	k.Invalidations += o.Invalidations
	k.Loads += o.Loads
	k.Collapsed += o.Collapsed
	k.NegativeHits += o.NegativeHits
	k.Drift += o.Drift
	k.EpochRotations += o.EpochRotations
}
