package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
	"github.com/weather-apis/weather_apis/internal/notify"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// world is what every replica observes.
type world struct {
	mu     sync.Mutex
	layers map[string]diagnostics.Layer
}

func newWorld() *world { return &world{layers: map[string]diagnostics.Layer{}} }

func (w *world) set(name, state, summary string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.layers[name] = diagnostics.Layer{Layer: name, State: state, Summary: summary, Evidence: map[string]any{}}
}

func (w *world) evidence(name, key string, v any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	l := w.layers[name]
	if l.Evidence == nil {
		l = diagnostics.Layer{Layer: name, State: diagnostics.StateOK, Evidence: map[string]any{}}
	}
	l.Evidence[key] = v
	w.layers[name] = l
}

func (w *world) QuickLayer(_ context.Context, name string) diagnostics.Layer {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l, ok := w.layers[name]; ok {
		cp := l
		cp.Evidence = map[string]any{}
		for k, v := range l.Evidence {
			cp.Evidence[k] = v
		}
		return cp
	}
	return diagnostics.Layer{Layer: name, State: diagnostics.StateOK, Summary: name + " is fine.", Evidence: map[string]any{}}
}

// nc is Nextcloud: users, the admin group, and the notifications it got.
type nc struct {
	mu       sync.Mutex
	sent     []string // "user|subject"
	fail     bool
	disabled bool              // AppAPI has the app disabled
	config   map[string]string // the ExApp's config
}

func (n *nc) AppConfigValues(_ context.Context, keys ...string) (map[string]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := n.config[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

func (n *nc) SetAppConfig(_ context.Context, key, value string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.config == nil {
		n.config = map[string]string{}
	}
	n.config[key] = value
	return nil
}

func (n *nc) Users(context.Context) ([]string, error) { return []string{"ann", "bob", "root"}, nil }

func (n *nc) ExAppEnabled(context.Context) (bool, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return !n.disabled, nil
}

func (n *nc) GroupMembers(_ context.Context, as, group string) ([]string, error) {
	if as != "root" && as != "ann" || group != "admin" {
		return nil, errors.New("forbidden")
	}
	return []string{"ann", "root"}, nil
}

func (n *nc) Notify(_ context.Context, user string, m nextcloud.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail {
		return &nextcloud.Error{Message: "no answer: connection refused"}
	}
	if m.ObjectType == "" || m.ObjectID == "" || len(m.ObjectID) > 64 || m.Subject == "" {
		return errors.New("invalid notification")
	}
	n.sent = append(n.sent, user+"|"+m.Subject)
	return nil
}

// subjects returns the subjects sent to root, in order.
func (n *nc) subjects() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, s := range n.sent {
		if u, subj, _ := strings.Cut(s, "|"); u == "root" {
			out = append(out, strings.TrimPrefix(subj, "Weather APIs: "))
		}
	}
	return out
}

type admins struct{}

func (admins) IsAdmin(_ context.Context, u string) (bool, error) {
	return u == "root" || u == "ann", nil
}
func (admins) Known(context.Context) []string { return nil }

func redisFor(t *testing.T, r *testenv.Redis) redis.UniversalClient {
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: 100 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func replica(t *testing.T, w *world, n *nc, rdb redis.UniversalClient, min time.Duration, confirm int) *notify.Notifier {
	return notify.New(notify.Options{Layers: w, Admins: admins{}, NC: n, Redis: rdb, KeyPrefix: "wa-" + t.Name(), AppName: "Weather APIs",
		MinInterval: min, Confirm: confirm, Link: func() string { return "https://nc/x#diagnostics" }})
}

func tick(ms ...*notify.Notifier) {
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() { defer wg.Done(); m.Tick(context.Background()) }()
	}
	wg.Wait()
}

func want(t *testing.T, n *nc, subjects ...string) {
	t.Helper()
	if got := n.subjects(); fmt.Sprint(got) != fmt.Sprint(subjects) {
		t.Fatalf("root was told %q; want %q", got, subjects)
	}
}

// TestOneNotificationPerTransitionAcrossReplicas: three replicas observe
// the same world; each transition reaches every administrator once.
func TestOneNotificationPerTransitionAcrossReplicas(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	w, n := newWorld(), &nc{}
	const min = 300 * time.Millisecond
	reps := []*notify.Notifier{replica(t, w, n, redisFor(t, r), min, 1), replica(t, w, n, redisFor(t, r), min, 1), replica(t, w, n, redisFor(t, r), min, 1)}
	tick(reps...)
	want(t, n) // healthy from the start: nothing to say
	w.set(diagnostics.LayerUpstream, diagnostics.StateDown, "The DRF backend does not answer.")
	for i := 0; i < 3; i++ {
		tick(reps...)
	}
	want(t, n, "The DRF backend is down")
	if got := len(n.sent); got != 2 {
		t.Errorf("%d notifications; want one for each of the 2 administrators", got)
	}
	w.set(diagnostics.LayerUpstream, diagnostics.StateOK, "The DRF backend answers.")
	time.Sleep(min)
	tick(reps...)
	tick(reps...)
	want(t, n, "The DRF backend is down", "The DRF backend answers again")
}

// TestFlappingLayerSendsNoFlood: a layer flapping faster than MinInterval
// gives its first notification, then one for where it settles.
func TestFlappingLayerSendsNoFlood(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	for _, settle := range []string{diagnostics.StateOK, diagnostics.StateDown} {
		t.Run("settles "+settle, func(t *testing.T) {
			t.Parallel() // own world and key prefix; each waits out MinInterval
			w, n := newWorld(), &nc{}
			const min = 2 * time.Second // far longer than the flapping below, even on a busy machine
			a, b := replica(t, w, n, redisFor(t, r), min, 1), replica(t, w, n, redisFor(t, r), min, 1)
			for i := 0; i < 10; i++ {
				state := diagnostics.StateDown
				if i%2 == 1 {
					state = diagnostics.StateOK
				}
				w.set(diagnostics.LayerRedis, state, "Redis flaps.")
				tick(a, b)
			}
			w.set(diagnostics.LayerRedis, settle, "Redis settled.")
			tick(a, b)
			want(t, n, "Redis is unreachable")
			time.Sleep(min)
			tick(a, b)
			tick(a, b)
			if settle == diagnostics.StateOK {
				want(t, n, "Redis is unreachable", "Redis answers again")
			} else {
				want(t, n, "Redis is unreachable")
			}
		})
	}
}

// TestConfirmIgnoresABlip: with Confirm 2 a single failed observation is
// not announced.
func TestConfirmIgnoresABlip(t *testing.T) {
	t.Parallel()
	w, n := newWorld(), &nc{}
	m := replica(t, w, n, nil, time.Millisecond, 2)
	m.Tick(context.Background())
	w.set(diagnostics.LayerCache, diagnostics.StateDown, "blip")
	m.Tick(context.Background())
	w.set(diagnostics.LayerCache, diagnostics.StateOK, "fine")
	m.Tick(context.Background())
	want(t, n)
	w.set(diagnostics.LayerCache, diagnostics.StateDown, "down for real")
	m.Tick(context.Background())
	m.Tick(context.Background())
	want(t, n, "The cache is unavailable")
}

// TestFailedSendIsRetried: a notification Nextcloud did not take is given
// back and sent at a later observation.
func TestFailedSendIsRetried(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	w, n := newWorld(), &nc{fail: true}
	a, b := replica(t, w, n, redisFor(t, r), time.Hour, 1), replica(t, w, n, redisFor(t, r), time.Hour, 1)
	tick(a, b)
	w.set(diagnostics.LayerCredentials, diagnostics.StateDown, "The credential store (Redis) is unavailable.")
	tick(a, b)
	tick(a, b)
	want(t, n)
	n.mu.Lock()
	n.fail = false
	n.mu.Unlock()
	tick(a, b)
	tick(a, b)
	want(t, n, "Integration credentials cannot be checked")
}

// TestEventsAnnounceTheirStartOnly: a shape change and a rejected token
// refresh are announced when they happen; their end is recorded silently.
func TestEventsAnnounceTheirStartOnly(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	w, n := newWorld(), &nc{}
	m := replica(t, w, n, redisFor(t, r), time.Millisecond, 1)
	w.evidence(diagnostics.LayerToken, "refresh_rejected", int64(0))
	m.Tick(context.Background())
	w.set(diagnostics.LayerDrift, diagnostics.StateDegraded, "The backend changed the shape of its answers: farm_state (/ndvi).")
	w.evidence(diagnostics.LayerToken, "refresh_rejected", int64(1))
	m.Tick(context.Background())
	w.set(diagnostics.LayerDrift, diagnostics.StateOK, "No change.")
	m.Tick(context.Background())
	m.Tick(context.Background())
	got := n.subjects()
	if len(got) != 2 || !contains(got, "The backend changed the shape of its answers") || !contains(got, "DRF rejected weather_apis' token refresh") {
		t.Fatalf("root was told %q", got)
	}
}

// TestRedisLostStillNotifies: with Redis unreachable each replica decides
// alone (one "unreachable" each at most); once Redis is back the replicas
// agree again and the recovery is announced once.
func TestRedisLostStillNotifies(t *testing.T) {
	testenv.NeedsProcesses(t, "kills and restarts redis-server")
	r := testenv.StartRedis(t)
	w, n := newWorld(), &nc{}
	const min = 500 * time.Millisecond
	a, b := replica(t, w, n, redisFor(t, r), min, 1), replica(t, w, n, redisFor(t, r), min, 1)
	tick(a, b)
	r.Stop(t)
	w.set(diagnostics.LayerRedis, diagnostics.StateDown, "Redis does not answer PING.")
	tick(a, b)
	tick(a, b)
	got := n.subjects()
	if len(got) < 1 || len(got) > 2 || got[0] != "Redis is unreachable" {
		t.Fatalf("while Redis is down root was told %q; want one \"unreachable\" per replica at most", got)
	}
	sentDuringOutage := len(got)
	r.Start(t)
	w.set(diagnostics.LayerRedis, diagnostics.StateOK, "Redis answers.")
	deadline := time.Now().Add(5 * time.Second)
	for len(n.subjects()) == sentDuringOutage && time.Now().Before(deadline) {
		tick(a, b)
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(min)
	tick(a, b)
	got = n.subjects()
	if len(got) != sentDuringOutage+1 || got[len(got)-1] != "Redis answers again" {
		t.Fatalf("after Redis returned root was told %q; want one \"answers again\"", got)
	}
}

// TestNothingIsObservedWhileDisabled: no one to tell, no load.
func TestNothingIsObservedWhileDisabled(t *testing.T) {
	t.Parallel()
	w, n := newWorld(), &nc{disabled: true}
	m := replica(t, w, n, nil, time.Millisecond, 1)
	w.set(diagnostics.LayerRedis, diagnostics.StateDown, "down")
	m.Tick(context.Background())
	if _, _, ok := m.Observed(diagnostics.LayerRedis); ok {
		t.Error("observed while the app is disabled")
	}
	want(t, n)
}

// TestObservedIsTheLastObservation feeds setup checks.
func TestObservedIsTheLastObservation(t *testing.T) {
	t.Parallel()
	w, n := newWorld(), &nc{}
	m := replica(t, w, n, nil, time.Hour, 1)
	if _, _, ok := m.Observed(diagnostics.LayerUpstream); ok {
		t.Fatal("observed before any observation")
	}
	w.set(diagnostics.LayerUpstream, diagnostics.StateDown, "down")
	m.Tick(context.Background())
	l, at, ok := m.Observed(diagnostics.LayerUpstream)
	if !ok || l.State != diagnostics.StateDown || time.Since(at) > time.Second {
		t.Errorf("Observed = %+v %v %v", l, at, ok)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRedisIsTheRootCause: while Redis is unreachable the layers that read
// it (credentials, cache, token) fail too; admins hear of Redis only. A
// layer still failing once Redis answers again is announced then.
func TestRedisIsTheRootCause(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	w, n := newWorld(), &nc{}
	const min = 100 * time.Millisecond
	m := replica(t, w, n, redisFor(t, r), min, 1)
	tick(m)
	w.set(diagnostics.LayerRedis, diagnostics.StateDown, "Redis does not answer PING.")
	w.set(diagnostics.LayerCredentials, diagnostics.StateDown, "The credential store (Redis) is unavailable.")
	w.set(diagnostics.LayerCache, diagnostics.StateDown, "The cache cannot reach Redis.")
	tick(m)
	tick(m)
	want(t, n, "Redis is unreachable")
	// Redis answers again; the credential store still fails on its own.
	w.set(diagnostics.LayerRedis, diagnostics.StateOK, "Redis answers.")
	w.set(diagnostics.LayerCache, diagnostics.StateOK, "The cache works.")
	time.Sleep(min)
	tick(m)
	tick(m)
	want(t, n, "Redis is unreachable", "Redis answers again", "Integration credentials cannot be checked")
}

// TestReplicasAgreeThroughNextcloudWithoutRedis: the replicas' Redis is
// gone; the first replica to decide mirrors its announcement in the ExApp's
// config in Nextcloud and the others adopt it: one notification.
func TestReplicasAgreeThroughNextcloudWithoutRedis(t *testing.T) {
	testenv.NeedsProcesses(t, "kills redis-server")
	t.Parallel() // its own Redis; the wait is the mirror's jitter, not a bound under test
	r := testenv.StartRedis(t)
	w, n := newWorld(), &nc{}
	const min = time.Minute
	a, b := replica(t, w, n, redisFor(t, r), min, 1), replica(t, w, n, redisFor(t, r), min, 1)
	tick(a, b)
	r.Stop(t)
	w.set(diagnostics.LayerRedis, diagnostics.StateDown, "Redis does not answer PING.")
	for range 3 {
		a.Tick(context.Background()) // one after the other: the mirror has no compare-and-set
		b.Tick(context.Background())
	}
	want(t, n, "Redis is unreachable")
}

// TestFailedSendWithoutRedisIsRetried: a notification decided without Redis
// (recorded in the mirror first) that cannot be sent is taken back from the
// mirror too, so the next observation, on any replica, sends it.
func TestFailedSendWithoutRedisIsRetried(t *testing.T) {
	testenv.NeedsProcesses(t, "kills redis-server")
	t.Parallel() // its own Redis; the wait is the mirror's jitter, not a bound under test
	r := testenv.StartRedis(t)
	w, n := newWorld(), &nc{}
	a, b := replica(t, w, n, redisFor(t, r), time.Minute, 1), replica(t, w, n, redisFor(t, r), time.Minute, 1)
	tick(a, b)
	r.Stop(t)
	w.set(diagnostics.LayerRedis, diagnostics.StateDown, "Redis does not answer PING.")
	n.mu.Lock()
	n.fail = true
	n.mu.Unlock()
	a.Tick(context.Background())
	want(t, n)
	n.mu.Lock()
	n.fail = false
	n.mu.Unlock()
	b.Tick(context.Background())
	want(t, n, "Redis is unreachable")
}
