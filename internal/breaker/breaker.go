// Package breaker is the circuit breaker in front of DRF, its state shared by
// every worker and replica through Redis.
//
// Closed: failures (reported by the caller: connection errors, timeouts,
// 5xx, 429) are counted in a fixed Window. When Threshold of them are
// counted, the circuit opens, unless Options.Confirm is set: then exactly
// one replica (a SET NX lease) runs Confirm, a known-good request, while
// every call keeps going out. If Confirm succeeds, the failures are
// attributed to the callers (a request that crashes DRF, not a DRF that is
// down): the count is reset, the circuit stays closed (a "rejected open")
// and no new confirmation starts for ConfirmInterval. If Confirm fails or
// outlasts ConfirmTimeout, the circuit opens. So no caller can open the
// circuit for everyone while the upstream answers Confirm.
//
// Open: calls are refused for the current cooldown (a key with that TTL).
// The first open lasts Cooldown; each failed probe doubles it, up to
// MaxCooldown; a good probe closes the circuit and resets it to Cooldown.
// The current cooldown is a Redis key beside the open key, so every replica
// refuses for the same time and doubles from the same level.
//
// Half-open: exactly one call in the whole deployment is let through as a
// probe (SET NX with a ProbeTimeout lease); its success closes the circuit,
// its failure opens it again for twice the cooldown. With Confirm set, a
// failed probe is first double-checked with Confirm (the probe's lease held
// meanwhile): if Confirm succeeds, the circuit closes, so a caller whose own
// request crashes DRF cannot keep the circuit open either.
//
// Confirm's context bypasses this breaker: Confirm may go through the
// upstream client this breaker guards, and its outcome is not counted. It
// must reach DRF itself (never a cache), or a cached answer would hide an
// outage.
//
// Successes in the closed state cost no Redis write, so a healthy upstream
// costs one Lua call per request. Every key shares one Redis Cluster hash
// tag, {<KeyPrefix>:breaker:<Name>}, so each script touches one slot.
//
// While Redis fails (and for RedisRetry after each Redis error: a
// redisback.Gate), a process-local breaker with the same rules (Threshold in
// Window, Confirm, doubling cooldown, one probe) is used, so a Redis outage
// never becomes an upstream outage; its state is reported with a "local:"
// prefix.
//
// gobreaker v2's DistributedCircuitBreaker was considered and not used: its
// Execute holds a store-wide mutex (polled every 500 ms, up to 5 s) for the
// whole upstream call, which would serialise every DRF request of every
// replica, and its keys carry no Redis Cluster hash tag. Its local breaker
// was replaced by local.go because its open timeout is fixed and its trip
// decision cannot wait for Confirm.
package breaker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/redisback"
)

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
	Redis     redis.UniversalClient // nil: a process-local breaker only
	KeyPrefix string                // default "weather_apis"
	Name      string                // default "drf"
	// Threshold failures within Window start the decision to open
	// (default 5).
	Threshold int
	Window    time.Duration // default 10s
	// Cooldown is how long the first open lasts before a probe (default
	// 1.5s). Each failed probe doubles it, up to MaxCooldown; a good probe
	// resets it. Probes come 1.5 s and 4.5 s after the open, which itself
	// takes 0.7–2 s of failing calls and a failing confirmation: an outage
	// of about 5 s ends shortly before the second probe.
	Cooldown time.Duration
	// MaxCooldown caps the doubled cooldown (default 30s; raised to Cooldown
	// when smaller, which disables doubling).
	MaxCooldown  time.Duration
	ProbeTimeout time.Duration // how long a probe holds the half-open slot (default 15s)
	// Confirm, when set, must succeed against a healthy upstream (a known-good
	// request such as GET of the farm form schema, sent to DRF and not to a
	// cache). At Threshold it decides whether the circuit opens; after a
	// failed probe, whether it opens again. nil: Threshold failures open the
	// circuit, and a failed probe reopens it, unconditionally.
	Confirm         func(ctx context.Context) error
	ConfirmTimeout  time.Duration // one Confirm run; longer counts as a failure (default 3s)
	ConfirmInterval time.Duration // after a Confirm that succeeded, none starts for this long (default 2s)
	RedisTimeout    time.Duration // one Redis operation (default 300ms)
	RedisRetry      time.Duration // after a Redis error, stay local this long (default 1s)
	Logger          *slog.Logger
}

// Counters are this process's breaker events since New (a replica's share;
// sum them across replicas).
type Counters struct {
	Opens         int64 // closed → open transitions this process made
	Reopens       int64 // failed probes that opened the circuit again (cooldown doubled)
	Probes        int64 // half-open probes this process let through
	Confirms      int64 // Confirm runs
	RejectedOpens int64 // Confirm succeeded, so the circuit stayed (or went) closed
}

// Status is the breaker's state for diagnostics.
type Status struct {
	State string // StateClosed, StateHalfOpen or StateOpen
	// Local is true while Redis is configured but failing, so State is this
	// process's local breaker.
	Local bool
	Since time.Time // when State began (zero if unknown)
	// Cooldown is the current level: open, how long this open lasts;
	// half-open, the cooldown that just ended (a failed probe doubles it);
	// closed, how long the next open would last (Options.Cooldown).
	Cooldown time.Duration
	Failures int // failures counted in the current Window (closed state)
	Counters Counters
}

// Breaker implements upstream.Breaker.
type Breaker struct {
	opts  Options
	keys  keys
	log   *slog.Logger
	local *local
	gate  *redisback.Gate // Redis back-off: the local breaker is used while it is down
	ctr   struct{ opens, reopens, probes, confirms, rejected atomic.Int64 }
}

type keys struct{ open, tripped, probe, fail, closedAt, cooldown, confirm string }

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
	def(&opts.Cooldown, 1500*time.Millisecond)
	def(&opts.MaxCooldown, 30*time.Second)
	opts.MaxCooldown = max(opts.MaxCooldown, opts.Cooldown)
	def(&opts.ProbeTimeout, 15*time.Second)
	def(&opts.ConfirmTimeout, 3*time.Second)
	def(&opts.ConfirmInterval, 2*time.Second)
	def(&opts.RedisTimeout, 300*time.Millisecond)
	def(&opts.RedisRetry, time.Second)
	if opts.Cooldown < time.Millisecond || opts.ProbeTimeout < time.Millisecond || opts.Window < time.Millisecond {
		return nil, errors.New("breaker: Window, Cooldown and ProbeTimeout must be at least 1ms (Redis PX)")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base := "{" + opts.KeyPrefix + ":breaker:" + opts.Name + "}"
	b := &Breaker{opts: opts, log: log, keys: keys{
		open: base + ":open", tripped: base + ":tripped", probe: base + ":probe", fail: base + ":fail",
		closedAt: base + ":closed_at", cooldown: base + ":cooldown", confirm: base + ":confirm",
	}}
	b.local = newLocal(b)
	b.gate = redisback.NewGate(redisback.GateOptions{
		Backoff: opts.RedisRetry,
		OnDown: func(err error, _ time.Duration) {
			log.Warn("breaker: Redis unavailable; using a process-local breaker", "error", err)
		},
		OnUp: func(downFor time.Duration) {
			log.Info("breaker: Redis answers again; using the shared breaker", "down_for", downFor)
		},
	})
	return b, nil
}

// confirmKey marks the context Confirm runs with.
type confirmKey struct{}

// Allow asks for a permit. It returns ErrOpen while the circuit is open (or
// half-open with the probe taken); otherwise done must be called once with
// whether the call failed in a way that counts against the upstream. Calls
// made by Confirm (its context) always get a permit that counts nothing.
func (b *Breaker) Allow(ctx context.Context) (func(failure bool), error) {
	if ctx.Value(confirmKey{}) != nil {
		return func(bool) {}, nil
	}
	if b.opts.Redis == nil || b.redisDown() {
		return b.local.allow()
	}
	return b.allowShared(ctx)
}

// once makes done idempotent, so a double call cannot skew the counts.
func once(f func(bool)) func(bool) {
	var used atomic.Bool
	return func(failure bool) {
		if used.CompareAndSwap(false, true) {
			f(failure)
		}
	}
}

// confirm runs Options.Confirm with ConfirmTimeout and reports whether the
// upstream answered it. A panic or a Confirm that ignores its context
// counts as a failure.
func (b *Breaker) confirm(why string) bool {
	b.ctr.confirms.Add(1)
	ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), confirmKey{}, true), b.opts.ConfirmTimeout)
	defer cancel()
	ch := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- fmt.Errorf("confirm panicked: %v", r)
			}
		}()
		ch <- b.opts.Confirm(ctx)
	}()
	var err error
	select {
	case err = <-ch:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		b.log.Warn("breaker: confirmation failed; the upstream itself is failing", "breaker", b.opts.Name, "after", why, "error", err)
		return false
	}
	b.ctr.rejected.Add(1)
	b.log.Warn("breaker: confirmation succeeded; failures attributed to callers, circuit stays closed",
		"breaker", b.opts.Name, "after", why)
	return true
}

// confirmLease is how long a confirmation (or a probe being confirmed) holds
// its lease: Confirm's own timeout plus room for the Redis round trips.
func (b *Breaker) confirmLease() time.Duration {
	return b.opts.ConfirmTimeout + 2*b.opts.RedisTimeout + 500*time.Millisecond
}

// next is the cooldown after a failed probe at cur.
func (b *Breaker) next(cur time.Duration) time.Duration {
	return min(max(cur, b.opts.Cooldown)*2, b.opts.MaxCooldown)
}

// State returns the current state and since when, for diagnostics. With Redis
// failing it reports the local breaker ("local:" prefix).
func (b *Breaker) State(ctx context.Context) (name string, since time.Time) {
	st := b.Status(ctx)
	if st.Local {
		return "local:" + st.State, st.Since
	}
	return st.State, st.Since
}

// Status returns the state, the current cooldown and this process's
// counters. With Redis failing it reports the local breaker (Local true).
func (b *Breaker) Status(ctx context.Context) Status {
	if b.opts.Redis != nil && !b.redisDown() {
		st, err := b.sharedStatus(ctx)
		if err == nil {
			b.redisAnswered()
			st.Counters = b.Counters()
			return st
		}
		b.markDown(err)
	}
	st := b.local.status()
	st.Local = b.opts.Redis != nil
	st.Counters = b.Counters()
	return st
}

// Counters returns this process's event counts.
func (b *Breaker) Counters() Counters {
	c := &b.ctr
	return Counters{Opens: c.opens.Load(), Reopens: c.reopens.Load(), Probes: c.probes.Load(),
		Confirms: c.confirms.Load(), RejectedOpens: c.rejected.Load()}
}

// redisDown: Redis failed less than RedisRetry ago; the local breaker decides.
func (b *Breaker) redisDown() bool { return b.gate.Down() }

// markDown makes the process use its local breaker for RedisRetry.
func (b *Breaker) markDown(err error) { b.gate.Fail(err) }

// redisAnswered notes that Redis answered after a window ended, which ends
// an outage (logged once). It never cuts a RedisRetry window short.
func (b *Breaker) redisAnswered() {
	if !b.gate.Down() {
		b.gate.OK()
	}
}

func newOwner() string { return redisback.NewToken() }
