// Package redisback holds the two Redis patterns that the cache, the circuit
// breaker, the token source and the credential store share, so each is
// written once: a back-off gate for a failing Redis, and a lock (a lease on
// one key).
//
// # Gate: back off from a failing Redis
//
// A Gate remembers that Redis failed, so that during an outage requests skip
// Redis instead of each waiting for a timeout: a dead Redis then costs one
// atomic load and a clock read per request. Its contract:
//
//   - Fail(err) starts an outage (or continues it) and opens a window during
//     which Down() is true: callers skip Redis and take their fallback
//     (bypass the cache, a process-local breaker or token, fail closed).
//   - The first window of an outage lasts GateOptions.Backoff. A failure
//     that arrives after the window has ended (Redis was tried again and
//     still fails) doubles the window, up to GateOptions.MaxBackoff; a
//     failure inside the window (a call that was already under way) restarts
//     the current window without growing it. MaxBackoff zero (or not above
//     Backoff) keeps every window at Backoff.
//   - Once the window has ended, Down() is false and the next call tries
//     Redis; the outage lasts until OK.
//   - OK() says Redis answered: the outage ends at once (Down false, the
//     window back to Backoff). It returns true only to the call that ended
//     an outage, so a caller can re-check what a Redis restart may have lost.
//     With no outage it costs one atomic load.
//   - DownSince() is when the current outage began (its first failure),
//     zero while Redis is up.
//   - GateOptions.OnDown runs once per outage, at its first failure, with
//     that error and the window; OnUp once, when OK ends it, with how long it
//     lasted. Both run on the goroutine that called Fail or OK, outside the
//     Gate's lock (they may call the Gate).
//   - Failed(ctx, err) says whether an error says anything about Redis: nil,
//     a miss (redis.Nil) and the caller's own cancellation do not. Report
//     feeds a call's outcome into the Gate by that rule.
//
// A Gate is safe for concurrent use; its zero value is not usable (NewGate).
//
// # Lock: a lease on one key
//
// A Lock is a key set with SET NX PX to a random token by its holder. It is
// held until its TTL runs out or its holder releases it, and only the holder
// renews or releases it: Renew, Hold and Release are Lua scripts that act
// only while the key still holds the Lock's token (compare-and-delete), so a
// holder whose lease ran out and was taken over can never release or extend
// the new holder's lease. The TTL bounds how long a dead holder blocks the
// others. Every operation touches one key, so it works on Redis Cluster.
package redisback

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// GateOptions configure a Gate.
type GateOptions struct {
	// Backoff is the first window of an outage: how long Redis is skipped
	// after a failure. It must be positive.
	Backoff time.Duration
	// MaxBackoff caps the window, which doubles with each failure after a
	// window has ended. Zero or not above Backoff: every window is Backoff.
	MaxBackoff time.Duration
	// OnDown, if set, runs once per outage at its first failure, with that
	// error and the window (Backoff).
	OnDown func(err error, window time.Duration)
	// OnUp, if set, runs once per outage when OK ends it, with how long the
	// outage lasted.
	OnUp func(downFor time.Duration)
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

// Gate is the back-off after a Redis failure (see the package doc).
type Gate struct {
	o     GateOptions
	until atomic.Int64 // unix nanoseconds; Redis is skipped before this
	since atomic.Int64 // unix nanoseconds of the outage's first failure; 0: up

	mu     sync.Mutex    // serialises Fail and the end of an outage
	window time.Duration // the current window (mu)
}

// NewGate returns a Gate; it panics when o.Backoff is not positive (a
// programming error: the callers set defaults).
func NewGate(o GateOptions) *Gate {
	if o.Backoff <= 0 {
		panic("redisback: GateOptions.Backoff must be positive")
	}
	o.MaxBackoff = max(o.MaxBackoff, o.Backoff)
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Gate{o: o, window: o.Backoff}
}

// Down reports whether Redis is to be skipped now (inside a back-off window).
func (g *Gate) Down() bool { return g.o.Now().UnixNano() < g.until.Load() }

// Fail records a Redis failure: it opens (or restarts) the back-off window
// and, at the first failure of an outage, runs OnDown with err.
func (g *Gate) Fail(err error) {
	now := g.o.Now().UnixNano()
	g.mu.Lock()
	first := g.since.Load() == 0
	switch {
	case first:
		g.window = g.o.Backoff
		g.since.Store(now)
	case now >= g.until.Load(): // Redis was tried again after the window and still fails
		g.window = min(2*g.window, g.o.MaxBackoff)
	}
	w := g.window
	g.until.Store(now + int64(w))
	g.mu.Unlock()
	if first && g.o.OnDown != nil {
		g.o.OnDown(err, w)
	}
}

// OK records that Redis answered. It ends an outage at once (Redis is used
// again without waiting out the window), runs OnUp, and returns true; with
// no outage it returns false and costs one atomic load.
func (g *Gate) OK() bool {
	if g.since.Load() == 0 {
		return false
	}
	g.mu.Lock()
	since := g.since.Swap(0)
	if since == 0 { // another OK ended it meanwhile
		g.mu.Unlock()
		return false
	}
	g.until.Store(0)
	g.window = g.o.Backoff
	g.mu.Unlock()
	if g.o.OnUp != nil {
		g.o.OnUp(time.Duration(g.o.Now().UnixNano() - since))
	}
	return true
}

// DownSince returns when the current outage began (its first failure), or
// the zero time while Redis is up.
func (g *Gate) DownSince() time.Time {
	if s := g.since.Load(); s != 0 {
		return time.Unix(0, s)
	}
	return time.Time{}
}

// Report records the outcome of a Redis call made under ctx: a failure
// (Failed) calls Fail, an answer (nil or redis.Nil) calls OK, and the
// caller's own cancellation records nothing. It returns Failed(ctx, err).
func (g *Gate) Report(ctx context.Context, err error) bool {
	if Failed(ctx, err) {
		g.Fail(err)
		return true
	}
	if err == nil || errors.Is(err, redis.Nil) {
		g.OK()
	}
	return false
}

// Failed reports whether err, returned by a Redis call made under ctx, says
// that Redis failed. Not a failure: nil, redis.Nil (a miss is an answer),
// and context.Canceled once ctx itself has ended (the caller gave up; Redis
// may be fine). A deadline that passed is a failure: the call's own timeout
// is how a frozen Redis shows.
func Failed(ctx context.Context, err error) bool {
	if err == nil || errors.Is(err, redis.Nil) {
		return false
	}
	return !errors.Is(err, context.Canceled) || ctx.Err() == nil
}

// Lock is a lease on the Redis key Key, held by whoever set it to Token
// (see the package doc). It is a value: copy it freely.
type Lock struct {
	Key   string
	Token string        // this holder's value; NewToken makes one
	TTL   time.Duration // the lease; at least a millisecond
}

// NewLock returns a Lock on key with a fresh random token.
func NewLock(key string, ttl time.Duration) Lock {
	return Lock{Key: key, Token: NewToken(), TTL: ttl}
}

// NewToken returns 32 random hex characters (16 bytes from crypto/rand).
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var errTTL = errors.New("redisback: Lock.TTL must be at least 1ms")

// Acquire takes the lock if nobody holds it (SET NX PX) and reports whether
// it did.
func (l Lock) Acquire(ctx context.Context, c redis.Cmdable) (bool, error) {
	return l.SetNX(ctx, c).Result()
}

// SetNX sends (or, when c is a pipeline, queues) Acquire's SET NX PX and
// returns its command: Val is whether the lock was taken. It lets a caller
// take the lock in the same round trip as other commands.
func (l Lock) SetNX(ctx context.Context, c redis.Cmdable) *redis.BoolCmd {
	if l.TTL < time.Millisecond { // SetNX without a TTL would never expire
		cmd := redis.NewBoolCmd(ctx)
		cmd.SetErr(errTTL)
		return cmd
	}
	return c.SetNX(ctx, l.Key, l.Token, l.TTL)
}

// Renew extends the lease to TTL from now if l still holds the lock; false
// when it does not (it expired, maybe taken over).
func (l Lock) Renew(ctx context.Context, c redis.Scripter) (bool, error) {
	return l.run(ctx, c, renewScript)
}

// Hold keeps the lock: it renews the lease if l holds it, or takes it if it
// is free (a lease kept by periodic calls, such as a leader's). False: another
// holder has it.
func (l Lock) Hold(ctx context.Context, c redis.Scripter) (bool, error) {
	return l.run(ctx, c, holdScript)
}

// Release deletes the key if l still holds the lock (compare-and-delete), and
// reports whether it did. A lock that expired and was taken over is left to
// its new holder.
func (l Lock) Release(ctx context.Context, c redis.Scripter) (bool, error) {
	n, err := releaseScript.Run(ctx, c, []string{l.Key}, l.Token).Int()
	return n == 1, err
}

func (l Lock) run(ctx context.Context, c redis.Scripter, s *redis.Script) (bool, error) {
	if l.TTL < time.Millisecond {
		return false, errTTL
	}
	n, err := s.Run(ctx, c, []string{l.Key}, l.Token, l.TTL.Milliseconds()).Int()
	return n == 1, err
}

// renewScript: KEYS[1] lock; ARGV token, lease ms. 1 when renewed.
var renewScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// holdScript: renew for ARGV[1], or take the free lock. 1 when held.
var holdScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`)

// releaseScript: delete KEYS[1] when it holds ARGV[1]. 1 when deleted.
var releaseScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1]) end
return 0`)
