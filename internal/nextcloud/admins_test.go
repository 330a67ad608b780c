package nextcloud_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// fakeGroups is Nextcloud's group membership, counting questions.
type fakeGroups struct {
	mu     sync.Mutex
	groups map[string][]string
	err    error
	delay  time.Duration
	asked  atomic.Int64
}

func (f *fakeGroups) UserGroups(ctx context.Context, user string) ([]string, error) {
	f.asked.Add(1)
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	g, ok := f.groups[user]
	if !ok {
		return nil, &nextcloud.Error{Status: 200, StatusCode: 998, Message: "User does not exist"}
	}
	return g, nil
}

func (f *fakeGroups) set(user string, groups ...string) {
	f.mu.Lock()
	f.groups[user] = groups
	f.mu.Unlock()
}

func redisClient(t *testing.T, r *testenv.Redis) redis.UniversalClient {
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func TestAdminsAnswersFromNextcloudSharedAndBounded(t *testing.T) {
	r := testenv.StartRedis(t)
	src := &fakeGroups{groups: map[string][]string{"root": {"admin", "users"}, "bob": {"users"}}}
	const ttl = 500 * time.Millisecond
	a := nextcloud.NewAdmins(src, nextcloud.AdminsOptions{Redis: redisClient(t, r), KeyPrefix: "wa", TTL: ttl})
	b := nextcloud.NewAdmins(src, nextcloud.AdminsOptions{Redis: redisClient(t, r), KeyPrefix: "wa", TTL: ttl})
	ctx := context.Background()
	cases := []struct {
		user string
		want bool
	}{{"root", true}, {"bob", false}, {"ghost", false}, {"", false}}
	for _, tc := range cases {
		for _, x := range []*nextcloud.Admins{a, b, a} {
			got, err := x.IsAdmin(ctx, tc.user)
			if err != nil || got != tc.want {
				t.Errorf("IsAdmin(%q) = %v, %v; want %v", tc.user, got, err, tc.want)
			}
		}
	}
	if n := src.asked.Load(); n != 3 {
		t.Errorf("Nextcloud asked %d times; want 3 (one per known user, shared by both replicas)", n)
	}
	if known := b.Known(ctx); len(known) != 1 || known[0] != "root" {
		t.Errorf("Known = %v; want [root]", known)
	}

	// Removed from admin: refused once the answer is TTL old, on both.
	src.set("root", "users")
	deadline := time.Now().Add(ttl + 300*time.Millisecond)
	for _, x := range []*nextcloud.Admins{a, b} {
		for {
			ok, err := x.IsAdmin(ctx, "root")
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("still an admin after the TTL")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if known := a.Known(ctx); len(known) != 0 {
		t.Errorf("Known after removal = %v", known)
	}
}

func TestAdminsFailClosed(t *testing.T) {
	src := &fakeGroups{groups: map[string][]string{"root": {"admin"}}}
	a := nextcloud.NewAdmins(src, nextcloud.AdminsOptions{TTL: 100 * time.Millisecond, Timeout: 200 * time.Millisecond})
	ctx := context.Background()
	if ok, err := a.IsAdmin(ctx, "root"); !ok || err != nil {
		t.Fatalf("root = %v, %v", ok, err)
	}
	time.Sleep(150 * time.Millisecond) // the answer expired
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"refused authentication", &nextcloud.Error{Status: 401, StatusCode: 997}, "refused weather_apis' AppAPI authentication"},
		{"unreachable", &nextcloud.Error{Message: "no answer: dial tcp: connection refused"}, "unreachable"},
		{"server error", &nextcloud.Error{Status: 500, StatusCode: 996}, "HTTP 500"},
	} {
		src.mu.Lock()
		src.err = tc.err
		src.mu.Unlock()
		time.Sleep(1100 * time.Millisecond) // past the failure memo
		ok, err := a.IsAdmin(ctx, "root")
		e := envelope.From(err)
		if ok || err == nil || e.Code != envelope.CodeNextcloudUnavailable || envelope.StatusFor(e) != 503 {
			t.Errorf("%s: IsAdmin = %v, %v; want a 503 NEXTCLOUD_UNAVAILABLE, never an expired yes", tc.name, ok, err)
			continue
		}
		if !strings.Contains(e.Message, tc.want) {
			t.Errorf("%s: message %q lacks %q", tc.name, e.Message, tc.want)
		}
	}
	src.mu.Lock()
	src.err, src.delay = nil, time.Second
	src.mu.Unlock()
	time.Sleep(1100 * time.Millisecond)
	start := time.Now()
	if ok, err := a.IsAdmin(ctx, "root"); ok || !errors.As(err, new(*envelope.Error)) || time.Since(start) > 600*time.Millisecond {
		t.Errorf("slow Nextcloud: %v, %v after %v; want a refusal at the timeout", ok, err, time.Since(start))
	}
}

func TestAdminsSingleFlight(t *testing.T) {
	t.Parallel()
	src := &fakeGroups{groups: map[string][]string{"root": {"admin"}}, delay: 100 * time.Millisecond}
	a := nextcloud.NewAdmins(src, nextcloud.AdminsOptions{})
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := a.IsAdmin(context.Background(), "root"); !ok || err != nil {
				t.Errorf("IsAdmin = %v, %v", ok, err)
			}
		}()
	}
	wg.Wait()
	if n := src.asked.Load(); n != 1 {
		t.Errorf("50 concurrent checks asked Nextcloud %d times; want 1", n)
	}
}

// TestAdminsWithoutRedis: Redis down only costs sharing.
func TestAdminsWithoutRedis(t *testing.T) {
	testenv.NeedsProcesses(t, "kills redis-server")
	r := testenv.StartRedis(t)
	rdb := redisClient(t, r)
	r.Stop(t)
	src := &fakeGroups{groups: map[string][]string{"root": {"admin"}}}
	a := nextcloud.NewAdmins(src, nextcloud.AdminsOptions{Redis: rdb})
	if ok, err := a.IsAdmin(context.Background(), "root"); !ok || err != nil {
		t.Fatalf("with Redis down: %v, %v", ok, err)
	}
	if known := a.Known(context.Background()); len(known) != 1 {
		t.Errorf("Known without Redis = %v", known)
	}
}
