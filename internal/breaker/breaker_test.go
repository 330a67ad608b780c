package breaker_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

var _ upstream.Breaker = (*breaker.Breaker)(nil)

const (
	cooldown = 300 * time.Millisecond
	// Adaptive cooldown tests: initial 50ms doubling to at most 400ms.
	initialCD = 50 * time.Millisecond
	maxCD     = 400 * time.Millisecond
	// early tolerates Redis' millisecond truncation of expiries: a permit
	// may come at most this much before its cooldown ended.
	early = 5 * time.Millisecond
	// late is the generous bound for anything that should happen "soon"
	// (a probe after its cooldown, an asynchronous Confirm's verdict); only
	// a stuck breaker exceeds it, a loaded machine does not.
	late = 3 * time.Second
)

func redisClient(t *testing.T, r *testenv.Redis) redis.UniversalClient {
	t.Helper()
	if r == nil {
		return nil
	}
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: 200 * time.Millisecond,
		DialerRetries: 1}) // a stopped Redis fails at once
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newBreakerWith returns a breaker on r (nil: without Redis); each call is a
// separate replica (its own client).
func newBreakerWith(t *testing.T, r *testenv.Redis, tune func(*breaker.Options)) *breaker.Breaker {
	t.Helper()
	o := breaker.Options{Redis: redisClient(t, r), Threshold: 3, Window: 10 * time.Second, Cooldown: cooldown,
		MaxCooldown: cooldown, ProbeTimeout: 5 * time.Second, RedisRetry: 100 * time.Millisecond,
		RedisTimeout: 2 * time.Second} // a loaded machine must not push a test onto the local breaker
	if tune != nil {
		tune(&o)
	}
	if os.Getenv("BRK_DEBUG") != "" { // BRK_DEBUG=1 go test -v: the breakers' logs on stderr
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	b, err := breaker.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newBreaker(t *testing.T, r *testenv.Redis) *breaker.Breaker { return newBreakerWith(t, r, nil) }

func adaptive(o *breaker.Options) { o.Cooldown, o.MaxCooldown = initialCD, maxCD }

func call(t *testing.T, b *breaker.Breaker, failure bool) error {
	t.Helper()
	done, err := b.Allow(context.Background())
	if err != nil {
		return err
	}
	done(failure)
	return nil
}

func wantState(t *testing.T, b *breaker.Breaker, want string) {
	t.Helper()
	if got, _ := b.State(context.Background()); got != want {
		t.Fatalf("State = %q; want %q", got, want)
	}
}

// eventually polls cond until it holds or late passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(late)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", late, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitProbe polls b.Allow until it grants the half-open probe. The circuit
// was (re)opened at openedAt (taken before the call that opened it) for cd:
// a permit before openedAt+cd fails the test, and so does none by
// openedAt+cd+late.
func waitProbe(t *testing.T, b *breaker.Breaker, openedAt time.Time, cd time.Duration) func(bool) {
	t.Helper()
	deadline := openedAt.Add(cd + late)
	for {
		done, err := b.Allow(context.Background())
		if err == nil {
			if got := time.Since(openedAt); got < cd-early {
				t.Fatalf("probe granted %v after opening; want at least the cooldown %v", got, cd)
			}
			return done
		}
		if !errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("Allow = %v; want ErrOpen or the probe", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no probe within cooldown %v + %v", cd, late)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestSharedBreakerOpensAndHalfOpens(t *testing.T) {
	r := testenv.StartRedis(t)
	a, b := newBreaker(t, r), newBreaker(t, r)

	for i := range 5 { // successes never trip it
		if err := call(t, a, false); err != nil {
			t.Fatalf("success %d refused: %v", i, err)
		}
	}
	_ = call(t, a, true)
	_ = call(t, b, true)
	wantState(t, b, breaker.StateClosed)
	if st := b.Status(context.Background()); st.Failures != 2 {
		t.Errorf("Status.Failures = %d; want 2", st.Failures)
	}
	openedAt := time.Now()
	_ = call(t, a, true) // third failure across both instances
	wantState(t, b, breaker.StateOpen)
	for _, x := range []*breaker.Breaker{a, b} {
		if err := call(t, x, false); !errors.Is(err, breaker.ErrOpen) && time.Since(openedAt) < cooldown {
			t.Fatalf("open circuit: Allow = %v; want ErrOpen", err)
		}
	}

	probe := waitProbe(t, b, openedAt, cooldown)
	wantState(t, a, breaker.StateHalfOpen)
	if _, err := a.Allow(context.Background()); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("half-open: second Allow = %v; want ErrOpen while the probe runs", err)
	}
	openedAt = time.Now()
	probe(true) // probe failed: open again
	if got, _ := a.State(context.Background()); got != breaker.StateOpen && time.Since(openedAt) < cooldown {
		t.Fatalf("after a failed probe: State = %q; want open", got)
	}

	waitProbe(t, a, openedAt, cooldown)(false)
	wantState(t, b, breaker.StateClosed)
	if err := call(t, b, false); err != nil {
		t.Fatalf("closed again: Allow = %v", err)
	}
	if _, since := b.State(context.Background()); since.IsZero() {
		t.Errorf("closed state has no since time")
	}
}

// TestCooldownDoublesAcrossReplicas: each failed probe doubles the cooldown
// up to MaxCooldown, every replica reads and doubles the same level from
// Redis, and a good probe resets it.
func TestCooldownDoublesAcrossReplicas(t *testing.T) {
	r := testenv.StartRedis(t)
	reps := []*breaker.Breaker{newBreakerWith(t, r, adaptive), newBreakerWith(t, r, adaptive)}
	a, b := reps[0], reps[1]
	ctx := context.Background()

	trip := func() time.Time {
		_ = call(t, a, true)
		_ = call(t, b, true)
		openedAt := time.Now()
		_ = call(t, a, true)
		return openedAt
	}
	openedAt := trip()
	if st := b.Status(ctx); st.State != breaker.StateOpen || st.Cooldown != initialCD {
		t.Fatalf("first open: Status = %s %v; want open %v", st.State, st.Cooldown, initialCD)
	}

	steps := []struct {
		current, next time.Duration // cooldown the probe waits for; after it fails
	}{
		{50 * time.Millisecond, 100 * time.Millisecond},
		{100 * time.Millisecond, 200 * time.Millisecond},
		{200 * time.Millisecond, 400 * time.Millisecond},
		{400 * time.Millisecond, 400 * time.Millisecond}, // capped at MaxCooldown
	}
	for i, s := range steps {
		prober, other := reps[i%2], reps[(i+1)%2] // alternate replicas
		probe := waitProbe(t, prober, openedAt, s.current)
		if st := other.Status(ctx); st.State != breaker.StateHalfOpen || st.Cooldown != s.current {
			t.Fatalf("step %d: other replica sees %s %v; want half-open %v", i, st.State, st.Cooldown, s.current)
		}
		openedAt = time.Now()
		probe(true)
		st := other.Status(ctx)
		if st.Cooldown != s.next || (st.State != breaker.StateOpen && time.Since(openedAt) < s.next) {
			t.Fatalf("step %d: after a failed probe the other replica sees %s %v; want open %v", i, st.State, st.Cooldown, s.next)
		}
	}

	waitProbe(t, a, openedAt, maxCD)(false) // good probe: closed, level reset
	for _, x := range reps {
		if st := x.Status(ctx); st.State != breaker.StateClosed || st.Cooldown != initialCD {
			t.Fatalf("after a good probe: Status = %s %v; want closed %v", st.State, st.Cooldown, initialCD)
		}
	}
	openedAt = trip()
	if st := b.Status(ctx); st.State != breaker.StateOpen && time.Since(openedAt) < initialCD || st.Cooldown != initialCD {
		t.Fatalf("reopened after a reset: Status = %s %v; want open %v", st.State, st.Cooldown, initialCD)
	}
	waitProbe(t, b, openedAt, initialCD)(false)

	var c breaker.Counters
	for _, x := range reps {
		xc := x.Counters()
		c.Opens += xc.Opens
		c.Reopens += xc.Reopens
		c.Probes += xc.Probes
	}
	if c != (breaker.Counters{Opens: 2, Reopens: 4, Probes: 6}) {
		t.Errorf("summed counters = %+v; want 2 opens, 4 reopens, 6 probes", c)
	}
}

// TestOneProbePerCooldownConcurrent: three replicas, each with goroutines
// calling Allow in a loop while the circuit is open. Exactly one probe is
// granted per cooldown, never two at once, and never before the (doubling)
// cooldown has passed.
func TestOneProbePerCooldownConcurrent(t *testing.T) {
	r := testenv.StartRedis(t)
	reps := []*breaker.Breaker{newBreakerWith(t, r, adaptive), newBreakerWith(t, r, adaptive), newBreakerWith(t, r, adaptive)}
	cds := []time.Duration{50, 100, 200, 400, 400} // ms; the last probe succeeds
	for i := range cds {
		cds[i] *= time.Millisecond
	}

	var (
		mu         sync.Mutex
		lastOpen   time.Time
		probes     int
		problems   []string
		inFlight   atomic.Int32
		closed     atomic.Bool
		stop       atomic.Bool
		wg         sync.WaitGroup
		afterClose atomic.Int64
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	lastOpen = time.Now()
	for range 3 {
		_ = call(t, reps[0], true)
	}
	wantState(t, reps[1], breaker.StateOpen)

	for _, rep := range reps {
		for range 3 {
			wg.Go(func() {
				for !stop.Load() {
					done, err := rep.Allow(context.Background())
					if err != nil {
						time.Sleep(2 * time.Millisecond)
						continue
					}
					if closed.Load() {
						afterClose.Add(1)
						done(false)
						continue
					}
					if n := inFlight.Add(1); n != 1 {
						fail("%d probes at once", n)
					}
					mu.Lock()
					k, gap := probes, time.Since(lastOpen)
					probes++
					mu.Unlock()
					if k >= len(cds) {
						fail("probe %d: more probes than cooldowns", k)
					} else if gap < cds[k]-early {
						fail("probe %d granted %v after the circuit opened; want at least %v", k, gap, cds[k])
					} else if gap > cds[k]+late {
						fail("probe %d granted %v after the circuit opened; want about %v", k, gap, cds[k])
					}
					time.Sleep(5 * time.Millisecond) // the probe's upstream call
					inFlight.Add(-1)
					if k < len(cds)-1 {
						mu.Lock()
						lastOpen = time.Now()
						mu.Unlock()
						done(true)
					} else {
						closed.Store(true)
						done(false)
					}
				}
			})
		}
	}
	deadline := time.Now().Add(2*time.Second + late)
	for !closed.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	eventually(t, "permits after closing", func() bool { return afterClose.Load() > 0 })
	stop.Store(true)
	wg.Wait()
	for _, p := range problems {
		t.Error(p)
	}
	if probes != len(cds) {
		t.Fatalf("%d probes; want %d (one per cooldown)", probes, len(cds))
	}
	var c breaker.Counters
	for _, x := range reps {
		c.Probes += x.Counters().Probes
		c.Reopens += x.Counters().Reopens
	}
	if c.Probes != int64(len(cds)) || c.Reopens != int64(len(cds)-1) {
		t.Errorf("summed counters: %d probes, %d reopens; want %d, %d", c.Probes, c.Reopens, len(cds), len(cds)-1)
	}
	wantState(t, reps[2], breaker.StateClosed)
}

// confirmer is a Confirm that the test can make fail, block, or check.
type confirmer struct {
	healthy  atomic.Bool
	calls    atomic.Int64
	inFlight atomic.Int32
	overlap  atomic.Bool
	gate     chan struct{} // when non-nil, Confirm waits for it (ignoring ctx)
}

// confirm returns the Confirm for replica *self. Like the wiring's, its
// known-good request goes through the upstream client guarded by the same
// breaker, so it must get a permit even while the circuit is not closed.
func (c *confirmer) confirm(self **breaker.Breaker) func(context.Context) error {
	return func(ctx context.Context) error {
		if c.inFlight.Add(1) > 1 {
			c.overlap.Store(true)
		}
		defer c.inFlight.Add(-1)
		c.calls.Add(1)
		if c.gate != nil {
			<-c.gate
		}
		done, err := (*self).Allow(ctx)
		if err != nil {
			return fmt.Errorf("confirm request refused by its own breaker: %w", err)
		}
		time.Sleep(2 * time.Millisecond)
		if !c.healthy.Load() {
			done(true)
			return errors.New("HTTP 503")
		}
		done(false)
		return nil
	}
}

func (c *confirmer) replicas(t *testing.T, r *testenv.Redis, n int, tune func(*breaker.Options)) []*breaker.Breaker {
	reps := make([]*breaker.Breaker, n)
	for i := range reps {
		reps[i] = newBreakerWith(t, r, func(o *breaker.Options) {
			o.Threshold, o.Confirm = 5, c.confirm(&reps[i])
			if tune != nil {
				tune(o)
			}
		})
	}
	return reps
}

func sum(reps []*breaker.Breaker) breaker.Counters {
	var c breaker.Counters
	for _, x := range reps {
		xc := x.Counters()
		c.Opens += xc.Opens
		c.Reopens += xc.Reopens
		c.Probes += xc.Probes
		c.Confirms += xc.Confirms
		c.RejectedOpens += xc.RejectedOpens
	}
	return c
}

// TestCallerFailuresCannotOpen is issue 12's property: a read-only key
// sending 1 000 requests that crash the upstream leaves the breaker closed
// while the upstream answers good requests (Confirm succeeds).
func TestCallerFailuresCannotOpen(t *testing.T) {
	t.Parallel()
	for _, shared := range []bool{true, false} {
		t.Run(map[bool]string{true: "redis", false: "local"}[shared], func(t *testing.T) {
			var r *testenv.Redis
			if shared {
				r = testenv.StartRedis(t)
			}
			c := &confirmer{}
			c.healthy.Store(true)
			reps := c.replicas(t, r, 3, func(o *breaker.Options) { o.ConfirmInterval = 20 * time.Millisecond })

			var refused atomic.Int64
			var wg sync.WaitGroup
			for g := range 20 {
				wg.Go(func() {
					rep := reps[g%len(reps)]
					for range 50 {
						done, err := rep.Allow(context.Background())
						if err != nil {
							refused.Add(1)
							continue
						}
						time.Sleep(100 * time.Microsecond) // DRF answering 500
						done(true)
					}
				})
			}
			wg.Wait()
			if n := refused.Load(); n > 0 {
				t.Fatalf("%d of 1000 calls refused (circuit opened by caller-caused failures)", n)
			}
			eventually(t, "confirmations finished", func() bool { s := sum(reps); return s.Confirms == s.RejectedOpens })
			s := sum(reps)
			if s.Confirms == 0 || s.Opens != 0 {
				t.Fatalf("counters %+v; want confirmations and no open", s)
			}
			if shared && c.overlap.Load() {
				t.Errorf("two confirmations ran at once across replicas")
			}
			for _, x := range reps {
				wantState(t, x, breaker.StateClosed)
				if err := call(t, x, false); err != nil {
					t.Fatalf("good request after the attack: %v", err)
				}
			}
			t.Logf("1000 failures: %d confirmations, all succeeded", s.Confirms)
		})
	}
}

// TestConfirmFailureOpens: with the upstream really failing, Threshold
// failures start one confirmation (calls keep going out meanwhile), and its
// failure opens the circuit for every replica.
func TestConfirmFailureOpens(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	c := &confirmer{gate: make(chan struct{})}
	reps := c.replicas(t, r, 3, func(o *breaker.Options) { o.Cooldown, o.MaxCooldown = 10*time.Second, 10*time.Second })
	ctx := context.Background()

	for i := range 4 {
		_ = call(t, reps[i%3], true)
	}
	if s := sum(reps); s.Confirms != 0 {
		t.Fatalf("%d confirmations below Threshold", s.Confirms)
	}
	_ = call(t, reps[1], true) // fifth: Threshold
	eventually(t, "a confirmation starts", func() bool { return c.calls.Load() == 1 })
	for i := range 10 { // still closed while it runs; more failures start no second one
		if err := call(t, reps[i%3], true); err != nil {
			t.Fatalf("call %d during the confirmation: %v", i, err)
		}
	}
	wantState(t, reps[2], breaker.StateClosed)
	close(c.gate) // the known-good request fails: the upstream is down
	eventually(t, "the circuit opens", func() bool { s, _ := reps[0].State(ctx); return s == breaker.StateOpen })
	for _, x := range reps {
		if err := call(t, x, false); !errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("Allow = %v; want ErrOpen", err)
		}
	}
	if s := sum(reps); s.Confirms != 1 || s.Opens != 1 || s.RejectedOpens != 0 {
		t.Fatalf("counters %+v; want 1 confirmation, 1 open", s)
	}
	if got := c.calls.Load(); got != 1 {
		t.Fatalf("Confirm ran %d times; want 1", got)
	}
}

// TestConfirmTimeoutOpens: a Confirm that outlasts ConfirmTimeout (and
// ignores its context) counts as failed.
func TestConfirmTimeoutOpens(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	gate := make(chan struct{})
	t.Cleanup(func() { close(gate) })
	b := newBreakerWith(t, r, func(o *breaker.Options) {
		o.Cooldown, o.MaxCooldown = 10*time.Second, 10*time.Second
		o.ConfirmTimeout = 100 * time.Millisecond
		o.Confirm = func(context.Context) error { <-gate; return nil }
	})
	for range 3 {
		_ = call(t, b, true)
	}
	eventually(t, "the circuit opens", func() bool { s, _ := b.State(context.Background()); return s == breaker.StateOpen })
}

// TestFailedProbeIsConfirmed: a probe that fails while Confirm succeeds
// (a caller's crashing request happened to be the probe) closes the circuit;
// while Confirm fails, failed probes double the cooldown as without Confirm.
func TestFailedProbeIsConfirmed(t *testing.T) {
	for _, shared := range []bool{true, false} {
		t.Run(map[bool]string{true: "redis", false: "local"}[shared], func(t *testing.T) {
			var r *testenv.Redis
			if shared {
				r = testenv.StartRedis(t)
			}
			c := &confirmer{}
			reps := c.replicas(t, r, 1, adaptive)
			b := reps[0]
			ctx := context.Background()
			openedAt := time.Now()
			for range 5 {
				_ = call(t, b, true)
			}
			eventually(t, "the circuit opens", func() bool { return b.Status(ctx).State == breaker.StateOpen })

			probe := waitProbe(t, b, openedAt, initialCD)
			openedAt = time.Now()
			probe(true) // Confirm fails too: reopen, doubled
			eventually(t, "reopened with the doubled cooldown", func() bool { return b.Counters().Reopens == 1 })
			if st := b.Status(ctx); st.Cooldown != 2*initialCD {
				t.Fatalf("Cooldown = %v; want %v", st.Cooldown, 2*initialCD)
			}

			c.healthy.Store(true)
			waitProbe(t, b, openedAt, 2*initialCD)(true) // the probe fails, Confirm succeeds
			eventually(t, "closed", func() bool { return b.Status(ctx).State == breaker.StateClosed })
			if st := b.Status(ctx); st.Cooldown != initialCD {
				t.Errorf("Cooldown after closing = %v; want %v", st.Cooldown, initialCD)
			}
			if s := b.Counters(); s.Opens != 1 || s.Reopens != 1 || s.Confirms != 3 || s.RejectedOpens != 1 {
				t.Errorf("counters %+v; want 1 open, 1 reopen, 3 confirmations, 1 rejected", s)
			}
		})
	}
}

// TestLocalCooldownDoubles: without Redis the local breaker doubles and
// resets the cooldown the same way.
func TestLocalCooldownDoubles(t *testing.T) {
	b := newBreakerWith(t, nil, adaptive)
	ctx := context.Background()
	openedAt := time.Now()
	for range 3 {
		_ = call(t, b, true)
	}
	cd := initialCD
	for _, next := range []time.Duration{100, 200, 400, 400} {
		if st := b.Status(ctx); st.Cooldown != cd {
			t.Fatalf("Cooldown = %v; want %v", st.Cooldown, cd)
		}
		probe := waitProbe(t, b, openedAt, cd)
		if _, err := b.Allow(ctx); !errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("second Allow while probing = %v; want ErrOpen", err)
		}
		openedAt = time.Now()
		probe(true)
		cd = next * time.Millisecond
	}
	waitProbe(t, b, openedAt, cd)(false)
	if st := b.Status(ctx); st.State != breaker.StateClosed || st.Cooldown != initialCD || st.Local {
		t.Fatalf("Status = %+v; want closed, %v, not Local (no Redis configured)", st, initialCD)
	}
}

func TestRedisDownUsesLocalBreaker(t *testing.T) {
	testenv.NeedsProcesses(t, "kills and restarts redis-server")
	r := testenv.StartRedis(t)
	b := newBreaker(t, r)
	r.Stop(t)
	if err := call(t, b, false); err != nil {
		t.Fatalf("Redis down: Allow = %v; want a local permit", err)
	}
	for range 3 {
		_ = call(t, b, true)
	}
	if err := call(t, b, false); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("local breaker after 3 failures: Allow = %v; want ErrOpen", err)
	}
	if got, _ := b.State(context.Background()); got != "local:open" {
		t.Fatalf("State = %q; want local:open", got)
	}
	if st := b.Status(context.Background()); !st.Local || st.Cooldown != cooldown {
		t.Fatalf("Status = %+v; want Local with cooldown %v", st, cooldown)
	}
	r.Start(t)
	// After RedisRetry the shared state (closed) is used again.
	eventually(t, "the shared state is used again", func() bool {
		_ = call(t, b, false)
		s, _ := b.State(context.Background())
		return s == breaker.StateClosed
	})
}

// TestCanceledCallerKeepsRedis: a caller whose context is already canceled
// still gets the shared verdict; its cancellation does not mark Redis down.
func TestCanceledCallerKeepsRedis(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	b := newBreaker(t, r)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done, err := b.Allow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done(false)
	wantState(t, b, breaker.StateClosed) // not "local:closed"
}

func TestWithoutRedis(t *testing.T) {
	t.Parallel()
	b := newBreaker(t, nil)
	for range 3 {
		_ = call(t, b, true)
	}
	if err := call(t, b, false); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("Allow = %v; want ErrOpen", err)
	}
	wantState(t, b, breaker.StateOpen)
}

// TestKeysShareOneHashTag: every key the breaker writes is in the slot of
// {<KeyPrefix>:breaker:<Name>}, so its scripts run on Redis Cluster.
func TestKeysShareOneHashTag(t *testing.T) {
	r := testenv.StartRedis(t)
	c := &confirmer{}
	reps := c.replicas(t, r, 1, func(o *breaker.Options) { o.KeyPrefix, o.Cooldown, o.MaxCooldown = "app", initialCD, maxCD })
	b := reps[0]
	openedAt := time.Now()
	for range 5 {
		_ = call(t, b, true)
	}
	eventually(t, "open", func() bool { return b.Status(context.Background()).State == breaker.StateOpen })
	waitProbe(t, b, openedAt, initialCD)(true)
	eventually(t, "reopened", func() bool { return b.Counters().Reopens == 1 })
	keys, err := redisClient(t, r).Keys(context.Background(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 3 {
		t.Fatalf("keys = %v; want open, tripped, cooldown at least", keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "{app:breaker:drf}:") {
			t.Errorf("key %q lacks the hash tag {app:breaker:drf}", k)
		}
	}
}

// TestGoodProbeSurvivesARedisHiccup: a probe that succeeds while Redis
// cannot take the verdict (a failover in progress) closes the circuit as
// soon as Redis answers again, not only when its lease (ProbeTimeout) runs
// out; until then every replica would refuse every call although the
// upstream is healthy. (Found by TestChaos: "circuit open" 503s for 15 s
// after a probe that succeeded during a Redis crash.)
func TestGoodProbeSurvivesARedisHiccup(t *testing.T) {
	testenv.NeedsProcesses(t, "freezes redis-server (SIGSTOP)")
	r := testenv.StartRedis(t)
	tune := func(o *breaker.Options) { o.RedisTimeout = 200 * time.Millisecond }
	a, b := newBreakerWith(t, r, tune), newBreakerWith(t, r, tune)
	for range 3 {
		_ = call(t, a, true)
	}
	openedAt := time.Now()
	wantState(t, b, breaker.StateOpen)
	probe := waitProbe(t, a, openedAt, cooldown)
	r.Pause(t)
	probe(false) // the verdict cannot reach Redis
	time.Sleep(300 * time.Millisecond)
	r.Resume(t)
	resumed := time.Now()
	eventually(t, "the circuit closed on the other replica", func() bool {
		got, _ := b.State(context.Background())
		return got == breaker.StateClosed
	})
	if took := time.Since(resumed); took > 2*time.Second {
		t.Errorf("closed %v after Redis answered again; want about RedisRetry, not the 5 s probe lease", took)
	}
	if err := call(t, b, false); err != nil {
		t.Errorf("after the late close: Allow = %v", err)
	}
}
