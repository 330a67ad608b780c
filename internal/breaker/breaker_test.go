package breaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

var _ upstream.Breaker = (*breaker.Breaker)(nil)

const cooldown = 300 * time.Millisecond

func newBreaker(t *testing.T, r *testenv.Redis) *breaker.Breaker {
	t.Helper()
	var rdb redis.UniversalClient
	if r != nil {
		c := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
		t.Cleanup(func() { _ = c.Close() })
		rdb = c
	}
	b, err := breaker.New(breaker.Options{Redis: rdb, Threshold: 3, Window: 10 * time.Second, Cooldown: cooldown,
		ProbeTimeout: 5 * time.Second, RedisRetry: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

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
	_ = call(t, a, true) // third failure across both instances
	wantState(t, b, breaker.StateOpen)
	for _, x := range []*breaker.Breaker{a, b} {
		if err := call(t, x, false); !errors.Is(err, breaker.ErrOpen) {
			t.Fatalf("open circuit: Allow = %v; want ErrOpen", err)
		}
	}

	time.Sleep(cooldown + 50*time.Millisecond)
	wantState(t, a, breaker.StateHalfOpen)
	probe, err := b.Allow(context.Background())
	if err != nil {
		t.Fatalf("half-open: first Allow = %v; want the probe", err)
	}
	if _, err := a.Allow(context.Background()); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("half-open: second Allow = %v; want ErrOpen while the probe runs", err)
	}
	probe(true) // probe failed: open again
	wantState(t, a, breaker.StateOpen)

	time.Sleep(cooldown + 50*time.Millisecond)
	probe, err = a.Allow(context.Background())
	if err != nil {
		t.Fatalf("second half-open: Allow = %v", err)
	}
	probe(false)
	wantState(t, b, breaker.StateClosed)
	if err := call(t, b, false); err != nil {
		t.Fatalf("closed again: Allow = %v", err)
	}
	if _, since := b.State(context.Background()); since.IsZero() {
		t.Errorf("closed state has no since time")
	}
}

func TestRedisDownUsesLocalBreaker(t *testing.T) {
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
	r.Start(t)
	time.Sleep(150 * time.Millisecond) // > RedisRetry
	if err := call(t, b, false); err != nil {
		t.Fatalf("Redis back (shared state closed): Allow = %v", err)
	}
	wantState(t, b, breaker.StateClosed)
}

func TestWithoutRedis(t *testing.T) {
	b := newBreaker(t, nil)
	for range 3 {
		_ = call(t, b, true)
	}
	if err := call(t, b, false); !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("Allow = %v; want ErrOpen", err)
	}
	wantState(t, b, breaker.StateOpen)
}
