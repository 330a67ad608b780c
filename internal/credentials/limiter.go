package credentials

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// LimiterOptions tune a Limiter. Zero values mean the defaults in brackets.
type LimiterOptions struct {
	Prefix string        // Redis key namespace ["weather_apis"]
	Max    int           // failures allowed per window before blocking [20]
	Window time.Duration // fixed window, started by the first failure [5m]
	// LocalTTL is how long this process trusts its own "not blocked" answer
	// before asking Redis again [1s]; a block set by another process is seen
	// within it.
	LocalTTL time.Duration
	Now      func() time.Time
}

// Limiter counts failed authentications per client address in Redis, so all
// workers and replicas agree on who is blocked.
type Limiter struct {
	rdb redis.UniversalClient
	o   LimiterOptions

	mu    sync.Mutex
	local map[string]limitState
}

type limitState struct {
	checked      time.Time // when Redis last said "not blocked"
	blockedUntil time.Time
}

// NewLimiter returns a Limiter on rdb.
func NewLimiter(rdb redis.UniversalClient, o LimiterOptions) *Limiter {
	if o.Prefix == "" {
		o.Prefix = "weather_apis"
	}
	if o.Max <= 0 {
		o.Max = 20
	}
	if o.Window <= 0 {
		o.Window = 5 * time.Minute
	}
	if o.LocalTTL <= 0 {
		o.LocalTTL = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Limiter{rdb: rdb, o: o, local: map[string]limitState{}}
}

// key has one hash tag per address, spreading addresses over a cluster.
func (l *Limiter) key(addr string) string { return l.o.Prefix + ":authfail:{" + addr + "}" }

// Blocked returns how long addr remains blocked (0: not blocked). A Redis
// error is returned with 0; callers decide (weather_apis fails open here and
// closed on the credential look-up itself).
func (l *Limiter) Blocked(ctx context.Context, addr string) (time.Duration, error) {
	now := l.o.Now()
	l.mu.Lock()
	st, ok := l.local[addr]
	l.mu.Unlock()
	if ok {
		if now.Before(st.blockedUntil) {
			return st.blockedUntil.Sub(now), nil
		}
		if now.Sub(st.checked) < l.o.LocalTTL {
			return 0, nil
		}
	}
	res, err := peekScript.Run(ctx, l.rdb, []string{l.key(addr)}).Int64Slice()
	if err != nil {
		return 0, err
	}
	return l.record(now, addr, res[0], time.Duration(res[1])*time.Millisecond), nil
}

// Fail counts one failure from addr and returns how long addr is now
// blocked (0: not yet).
func (l *Limiter) Fail(ctx context.Context, addr string) (time.Duration, error) {
	now := l.o.Now()
	res, err := failScript.Run(ctx, l.rdb, []string{l.key(addr)}, l.o.Window.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, err
	}
	return l.record(now, addr, res[0], time.Duration(res[1])*time.Millisecond), nil
}

// record remembers addr's state from a count and the window's remaining time.
func (l *Limiter) record(now time.Time, addr string, n int64, left time.Duration) time.Duration {
	st := limitState{checked: now}
	var blocked time.Duration
	if n >= int64(l.o.Max) && left > 0 {
		blocked = left
		st.blockedUntil = now.Add(left)
	}
	l.mu.Lock()
	if len(l.local) >= maxCacheEntries {
		clear(l.local)
	}
	l.local[addr] = st
	l.mu.Unlock()
	return blocked
}

// failScript increments the counter, starting the window on the first
// failure, and returns {count, remaining ms}.
var failScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {n, t}`)

// peekScript returns {count, remaining ms} without changing anything.
var peekScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
return {n, redis.call('PTTL', KEYS[1])}`)
