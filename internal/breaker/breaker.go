// Package breaker is the circuit breaker in front of DRF, its state shared by
// every worker and replica through Redis.
//
// Closed: failures (reported by the caller: connection errors, timeouts,
// 5xx, 429) are counted in a fixed Window; Threshold of them open the
// circuit. Open: calls are refused for Cooldown (a key with that TTL).
// Half-open: exactly one call in the whole deployment is let through as a
// probe (SET NX with a ProbeTimeout lease); its success closes the circuit,
// its failure opens it again. Successes in the closed state cost no Redis
// write, so a healthy upstream costs one Lua call per request.
//
// gobreaker v2's DistributedCircuitBreaker was considered and not used: its
// Execute holds a store-wide mutex (polled every 500 ms, up to 5 s) for the
// whole upstream call, which would serialise every DRF request of every
// replica, and its keys carry no Redis Cluster hash tag. gobreaker's local
// TwoStepCircuitBreaker is used instead while Redis fails, so a Redis outage
// never becomes an upstream outage.
package breaker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"
)

// errLocalFailure tells the local gobreaker that a call failed.
var errLocalFailure = errors.New("upstream call failed")

// ErrOpen is returned by Allow while calls must not go out.
var ErrOpen = errors.New("breaker: circuit open")

// State names returned by State.
const (
	StateClosed   = "closed"
	StateOpen     = "open"
	StateHalfOpen = "half-open"
)

// Options configure a Breaker. Zero values take the defaults noted.
type Options struct {
	Redis        redis.UniversalClient // nil: a process-local breaker only
	KeyPrefix    string                // default "weather_apis"
	Name         string                // default "drf"
	Threshold    int                   // failures within Window that open the circuit (default 5)
	Window       time.Duration         // default 10s
	Cooldown     time.Duration         // open time before a probe (default 30s)
	ProbeTimeout time.Duration         // how long a probe holds the half-open slot (default 15s)
	RedisTimeout time.Duration         // one Redis operation (default 300ms)
	RedisRetry   time.Duration         // after a Redis error, stay local this long (default 1s)
	Logger       *slog.Logger
}

// Breaker implements upstream.Breaker.
type Breaker struct {
	opts      Options
	keys      keys
	log       *slog.Logger
	local     *gobreaker.TwoStepCircuitBreaker[struct{}]
	localAt   atomic.Int64 // unix nanos of the local breaker's last state change
	downUntil atomic.Int64
}

type keys struct{ open, tripped, probe, fail, closedAt string }

// New returns a Breaker. It does not touch Redis.
func New(opts Options) (*Breaker, error) {
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = "weather_apis"
	}
	if opts.Name == "" {
		opts.Name = "drf"
	}
	if opts.Threshold <= 0 {
		opts.Threshold = 5
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.Window, 10*time.Second)
	def(&opts.Cooldown, 30*time.Second)
	def(&opts.ProbeTimeout, 15*time.Second)
	def(&opts.RedisTimeout, 300*time.Millisecond)
	def(&opts.RedisRetry, time.Second)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base := "{" + opts.KeyPrefix + ":breaker:" + opts.Name + "}"
	b := &Breaker{opts: opts, log: log, keys: keys{
		open: base + ":open", tripped: base + ":tripped", probe: base + ":probe", fail: base + ":fail", closedAt: base + ":closed_at",
	}}
	b.localAt.Store(time.Now().UnixNano())
	b.local = gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        opts.Name,
		MaxRequests: 1,
		Interval:    opts.Window,
		Timeout:     opts.Cooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool { return int(c.TotalFailures) >= opts.Threshold },
		OnStateChange: func(name string, from, to gobreaker.State) {
			b.localAt.Store(time.Now().UnixNano())
			log.Warn("breaker (local) state change", "breaker", name, "from", from.String(), "to", to.String())
		},
	})
	return b, nil
}

// Allow asks for a permit. It returns ErrOpen while the circuit is open (or
// half-open with the probe taken); otherwise done must be called once.
func (b *Breaker) Allow(ctx context.Context) (func(failure bool), error) {
	if b.opts.Redis == nil || b.redisDown() {
		return b.allowLocal()
	}
	owner := newOwner()
	c, cancel := context.WithTimeout(ctx, b.opts.RedisTimeout)
	defer cancel()
	n, err := allowScript.Run(c, b.opts.Redis, []string{b.keys.open, b.keys.tripped, b.keys.probe},
		owner, b.opts.ProbeTimeout.Milliseconds()).Int()
	if err != nil {
		b.markDown(err)
		return b.allowLocal()
	}
	switch n {
	case 0:
		return nil, ErrOpen
	case 2:
		b.log.Info("breaker half-open: this call is the probe", "breaker", b.opts.Name)
		return b.once(func(failure bool) { b.probeDone(failure) }), nil
	}
	return b.once(func(failure bool) {
		if failure {
			b.failed()
		}
	}), nil
}

func (b *Breaker) allowLocal() (func(bool), error) {
	done, err := b.local.Allow()
	if err != nil {
		return nil, ErrOpen
	}
	return b.once(func(failure bool) {
		if failure {
			done(errLocalFailure)
		} else {
			done(nil)
		}
	}), nil
}

// once makes done idempotent, so a double call cannot skew the counts.
func (b *Breaker) once(f func(bool)) func(bool) {
	var used atomic.Bool
	return func(failure bool) {
		if used.CompareAndSwap(false, true) {
			f(failure)
		}
	}
}

// failed counts a closed-state failure and opens the circuit at Threshold.
func (b *Breaker) failed() {
	c, cancel := context.WithTimeout(context.Background(), b.opts.RedisTimeout)
	defer cancel()
	now := time.Now().UnixMilli()
	opened, err := failScript.Run(c, b.opts.Redis, []string{b.keys.fail, b.keys.open, b.keys.tripped},
		b.opts.Window.Milliseconds(), b.opts.Threshold, b.opts.Cooldown.Milliseconds(), b.trippedTTL().Milliseconds(), now).Int()
	if err != nil {
		b.markDown(err)
		return
	}
	if opened == 1 {
		b.log.Warn("breaker opened", "breaker", b.opts.Name, "failures", b.opts.Threshold, "window", b.opts.Window, "cooldown", b.opts.Cooldown)
	}
}

// probeDone closes the circuit after a good probe, or opens it again.
func (b *Breaker) probeDone(failure bool) {
	c, cancel := context.WithTimeout(context.Background(), b.opts.RedisTimeout)
	defer cancel()
	now := time.Now().UnixMilli()
	var err error
	if failure {
		err = reopenScript.Run(c, b.opts.Redis, []string{b.keys.open, b.keys.tripped, b.keys.probe},
			b.opts.Cooldown.Milliseconds(), b.trippedTTL().Milliseconds(), now).Err()
		b.log.Warn("breaker probe failed; open again", "breaker", b.opts.Name)
	} else {
		err = closeScript.Run(c, b.opts.Redis, []string{b.keys.open, b.keys.tripped, b.keys.probe, b.keys.fail, b.keys.closedAt}, now).Err()
		b.log.Info("breaker probe succeeded; closed", "breaker", b.opts.Name)
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		b.markDown(err)
	}
}

// trippedTTL bounds how long a circuit stays half-open without any probe.
func (b *Breaker) trippedTTL() time.Duration {
	return b.opts.Cooldown + max(10*b.opts.Cooldown, time.Minute)
}

// State returns the current state and since when, for diagnostics. With Redis
// failing it reports the local breaker ("local:" prefix).
func (b *Breaker) State(ctx context.Context) (name string, since time.Time) {
	if b.opts.Redis != nil && !b.redisDown() {
		c, cancel := context.WithTimeout(ctx, b.opts.RedisTimeout)
		defer cancel()
		v, err := b.opts.Redis.MGet(c, b.keys.open, b.keys.tripped, b.keys.closedAt).Result()
		if err == nil {
			switch {
			case v[0] != nil:
				return StateOpen, msTime(v[0])
			case v[1] != nil:
				return StateHalfOpen, msTime(v[1]).Add(b.opts.Cooldown)
			}
			return StateClosed, msTime(v[2])
		}
		b.markDown(err)
	}
	st := b.local.State()
	name = StateClosed
	switch st {
	case gobreaker.StateOpen:
		name = StateOpen
	case gobreaker.StateHalfOpen:
		name = StateHalfOpen
	}
	if b.opts.Redis != nil {
		name = "local:" + name
	}
	return name, time.Unix(0, b.localAt.Load())
}

func msTime(v any) time.Time {
	s, _ := v.(string)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

func (b *Breaker) redisDown() bool { return time.Now().UnixNano() < b.downUntil.Load() }

func (b *Breaker) markDown(err error) {
	if b.downUntil.Swap(time.Now().Add(b.opts.RedisRetry).UnixNano()) == 0 {
		b.log.Warn("breaker: Redis unavailable; using a process-local breaker", "error", err)
	}
}

func newOwner() string {
	var x [12]byte
	_, _ = rand.Read(x[:])
	return hex.EncodeToString(x[:])
}

// allowScript: 0 refused, 1 closed permit, 2 the half-open probe.
// KEYS: open, tripped, probe. ARGV: owner, probe ms.
var allowScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then return 2 end
  return 0
end
return 1`)

// failScript: KEYS fail, open, tripped. ARGV window ms, threshold, cooldown ms,
// tripped ms, now ms. Returns 1 when this failure opened the circuit.
var failScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[3])
  redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[4])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`)

// reopenScript: KEYS open, tripped, probe. ARGV cooldown ms, tripped ms, now ms.
var reopenScript = redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[1])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
redis.call('DEL', KEYS[3])
return 1`)

// closeScript: KEYS open, tripped, probe, fail, closed_at. ARGV now ms.
var closeScript = redis.NewScript(`
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SET', KEYS[5], ARGV[1])
return 1`)
