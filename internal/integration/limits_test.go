package integration_test

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/integration"
)

// harpRequest is an integration request as HaRP delivers it: over a unix
// socket, so with no client address at all.
func harpRequest(headers ...string) *http.Request {
	r := request("", headers...)
	r.RemoteAddr = "@"
	return r
}

// otherSecret returns a well-formed token for id with a secret that is not
// the one in token.
func otherSecret(token, id string) string {
	secret := []byte(token[17:60])
	secret[0] = "01"[(secret[0]&1)^1]
	return forge(token[:4], id, string(secret))
}

// TestFailureLimitPerCredentialWithoutAddress (issue 12, item 1): with no
// client address (HaRP), wrong secrets for one credential id are refused
// with 429 after the limiter's Max, on every worker, while the right secret
// still passes. An id that does not exist answers exactly the same
// sequence, so the limit reveals no more than the answer time does.
func TestFailureLimitPerCredentialWithoutAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	newAuth := func() *integration.Authenticator {
		a, err := integration.New(integration.Options{Credentials: f.store, Limiter: newLimiter(f, 3)})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	w1, w2 := newAuth(), newAuth()
	v := f.create(t, f.store, `{"name":"x","type":"api_key","scopes":["observations:read"]}`)
	const scope = "observations:read"
	for _, tc := range []struct{ name, id string }{{"existing id", v.ID}, {"unknown id", "ZZZZZZZZZZZZ"}} {
		t.Run(tc.name, func(t *testing.T) {
			wrong := otherSecret(v.Secret, tc.id)
			var got []int
			for range 5 {
				got = append(got, envelope.StatusFor(envelope.From(w1.Authenticate(harpRequest("X-API-Key", wrong), scope))))
			}
			if want := []int{401, 401, 401, 429, 429}; !slices.Equal(got, want) {
				t.Fatalf("wrong secrets for one id without an address answered %v; want %v", got, want)
			}
			err := w2.Authenticate(harpRequest("X-API-Key", wrong), scope)
			if secs, ok := retryAfter(err); !ok || secs < 1 || secs > 60 {
				t.Errorf("another worker = %v (Retry-After %d, %v); want 429 with Retry-After 1..60 s", err, secs, ok)
			}
		})
	}
	if err := w2.Authenticate(harpRequest("X-API-Key", v.Secret), scope); err != nil {
		t.Errorf("the right secret for a throttled id = %v; want accepted (only wrong secrets are throttled)", err)
	}
	if err := w1.Authenticate(harpRequest("X-API-Key", otherSecret(v.Secret, "YYYYYYYYYYYY")), scope); integration.ReasonOf(err) != integration.ReasonUnknown {
		t.Errorf("a wrong secret for another id = %v; want 401 unknown", err)
	}
}

// TestFailureLimitPerInstance (issue 12, item 1): unrecognised credentials
// for ever new ids, with no address and no Redis limiter, are refused with
// 429 once the per-instance bucket is empty, until it refills; a valid
// credential still passes.
func TestFailureLimitPerInstance(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	now := time.Now()
	a, err := integration.New(integration.Options{Credentials: f.store, UnknownMax: 5, UnknownWindow: time.Minute,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	v := f.create(t, f.store, `{"name":"x","type":"api_key","scopes":["observations:read"]}`)
	ids := []string{"A00000000000", "A00000000001", "A00000000002", "A00000000003", "A00000000004", "A00000000005", "A00000000006"}
	guess := func(i int) error {
		return a.Authenticate(harpRequest("X-API-Key", otherSecret(v.Secret, ids[i])), "observations:read")
	}
	for i := range 5 {
		if err := guess(i); integration.ReasonOf(err) != integration.ReasonUnknown {
			t.Fatalf("guess %d = %v; want 401 unknown", i+1, err)
		}
	}
	err = guess(5)
	if secs, ok := retryAfter(err); !ok || secs != 12 {
		t.Fatalf("guess 6 = %v (Retry-After %d); want 429 with Retry-After 12 s (5 per minute)", err, secs)
	}
	if err := a.Authenticate(harpRequest("X-API-Key", v.Secret), "observations:read"); err != nil {
		t.Errorf("a valid credential while the bucket is empty = %v; want accepted", err)
	}
	if err := a.Authenticate(harpRequest("X-API-Key", "wak_short"), "observations:read"); integration.ReasonOf(err) != integration.ReasonMalformed {
		t.Errorf("a malformed credential = %v; want 401 malformed (it names no id, the bucket is for guesses)", err)
	}
	now = now.Add(12 * time.Second)
	if err := guess(6); integration.ReasonOf(err) != integration.ReasonUnknown {
		t.Errorf("after the bucket refilled = %v; want 401 unknown", err)
	}
}

// recordingLimiter is a FailureLimiter that never blocks and records the
// keys failures are counted under.
type recordingLimiter struct {
	mu   sync.Mutex
	keys []string
}

func (l *recordingLimiter) Blocked(context.Context, string) (time.Duration, error) { return 0, nil }

func (l *recordingLimiter) Fail(_ context.Context, key string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keys = append(l.keys, key)
	return 0, nil
}

// TestAddressLimitKey (issue 12, item 4): the key a malformed JWT's failure is counted under. A claimed but unusable address fails closed
// into one "unknown" bucket; IPv6 counts per /64, IPv4-mapped IPv6 as IPv4;
// only a request with no address at all (HaRP's unix socket) has none.
func TestAddressLimitKey(t *testing.T) {
	t.Parallel()
	appAPI := integration.Options{TrustOriginIP: true}
	behindProxy := integration.Options{TrustedProxies: mustPrefixes("127.0.0.0/8")}
	cases := []struct {
		name    string
		opts    integration.Options
		remote  string
		headers []string
		want    string // "": not counted per address
	}{
		{"X-Origin-IP", appAPI, "172.17.0.1:1", []string{"X-Origin-IP", "10.1.1.1"}, "10.1.1.1"},
		{"X-Origin-IP empty", appAPI, "172.17.0.1:1", []string{"X-Origin-IP", ""}, "unknown"},
		{"X-Origin-IP unparseable", appAPI, "172.17.0.1:1", []string{"X-Origin-IP", "not-an-ip"}, "unknown"},
		{"X-Origin-IP comma list", appAPI, "172.17.0.1:1", []string{"X-Origin-IP", "10.1.1.1, 10.1.1.2"}, "unknown"},
		{"X-Origin-IP twice", appAPI, "172.17.0.1:1", []string{"X-Origin-IP", "10.1.1.1", "X-Origin-IP", "10.1.1.2"}, "unknown"},
		{"X-Origin-IP IPv4-mapped", appAPI, "172.17.0.1:1", []string{"X-Origin-IP", "::ffff:10.1.1.1"}, "10.1.1.1"},
		{"X-Origin-IP IPv6", appAPI, "172.17.0.1:1", []string{"X-Origin-IP", "2001:db8:1:2:3:4:5:6"}, "2001:db8:1:2::/64"},
		{"X-Origin-IP IPv6 with port", appAPI, "172.17.0.1:1", []string{"X-Origin-IP", "[2001:db8::1]:443"}, "2001:db8::/64"},
		{"peer IPv6", integration.Options{}, "[2001:db8:1:2:ffff::9]:1", nil, "2001:db8:1:2::/64"},
		{"peer IPv6 with zone", integration.Options{}, "[fe80::1%eth0]:1", nil, "fe80::/64"},
		{"peer IPv4-mapped", integration.Options{}, "[::ffff:192.0.2.1]:1", nil, "192.0.2.1"},
		{"unix socket peer (HaRP)", integration.Options{}, "@", []string{"X-Origin-IP", "10.1.1.1"}, ""},
		{"XFF behind a trusted proxy", behindProxy, "127.0.0.1:1", []string{"X-Forwarded-For", "2001:db8:7::1"}, "2001:db8:7::/64"},
		{"malformed XFF behind a trusted proxy", behindProxy, "127.0.0.1:1", []string{"X-Forwarded-For", "bogus, 127.0.0.2"}, "unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lim := &recordingLimiter{}
			tc.opts.Limiter, tc.opts.HMACKey = lim, []byte(demoKey)
			a, err := integration.New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			r := request("", tc.headers...)
			r.RemoteAddr = tc.remote
			r.Header.Set("Authorization", "Bearer abc.def.ghi")
			if err := a.Authenticate(r, "x"); integration.ReasonOf(err) != integration.ReasonMalformed {
				t.Fatalf("Authenticate = %v; want malformed", err)
			}
			var want []string
			if tc.want != "" {
				want = []string{tc.want}
			}
			if !slices.Equal(lim.keys, want) {
				t.Errorf("failure counted under %q; want %q", lim.keys, want)
			}
		})
	}
}

// TestUnknownAddressesShareABucket: with a real limiter, failures behind
// unusable X-Origin-IP values of every kind add up to one 429, and
// addresses in one IPv6 /64 add up; other clients are unaffected.
func TestUnknownAddressesShareABucket(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, err := integration.New(integration.Options{Credentials: f.store, Limiter: newLimiter(f, 3), TrustOriginIP: true})
	if err != nil {
		t.Fatal(err)
	}
	v := f.create(t, f.store, `{"name":"x","type":"api_key","scopes":["observations:read"]}`)
	try := func(originIPs []string, key string) error {
		r := request("", "X-API-Key", key)
		for _, ip := range originIPs {
			r.Header.Add("X-Origin-IP", ip)
		}
		return a.Authenticate(r, "observations:read")
	}
	for _, group := range [][][]string{
		{{""}, {"garbage"}, {"10.0.0.1, 10.0.0.2"}, {"10.0.0.1", "10.0.0.1"}},
		{{"2001:db8:5:6::1"}, {"2001:db8:5:6::2"}, {"2001:db8:5:6:ffff::3"}, {"2001:db8:5:6:abcd::4"}},
	} {
		for i, ips := range group[:3] {
			if err := try(ips, "wak_short"); integration.ReasonOf(err) != integration.ReasonMalformed {
				t.Fatalf("failure %d from %q = %v; want malformed", i+1, ips, err)
			}
		}
		if err := try(group[3], v.Secret); envelope.CodeOf(err) != envelope.CodeRateLimited {
			t.Errorf("valid key from %q after 3 failures in its bucket = %v; want 429", group[3], err)
		}
	}
	for _, ip := range []string{"10.0.0.1", "2001:db8:5:7::1"} {
		if err := try([]string{ip}, v.Secret); err != nil {
			t.Errorf("valid key from %s = %v; want accepted", ip, err)
		}
	}
}
