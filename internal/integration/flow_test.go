package integration_test

import (
	"context"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/integration"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestIntegrationTokenFlow: create -> use on two processes -> revoke ->
// rejected, with a second process (own Store and client) that must
// agree within 1 s at every step.
func TestIntegrationTokenFlow(t *testing.T) {
	f := newFixture(t)
	b := newStoreOn(t, f)
	auth := func(s integration.Verifier) *integration.Authenticator {
		a, err := integration.New(integration.Options{Credentials: s, TrustOriginIP: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a1, a2 := auth(f.store), auth(b)
	ctx := context.Background()
	use := func(a *integration.Authenticator, tok string) error {
		return a.Authenticate(request("10.0.0.1", "Authorization", "Bearer "+tok), "farms:state:write")
	}
	within := func(what string, a *integration.Authenticator, tok string, want integration.Reason) {
		t.Helper()
		deadline := time.Now().Add(time.Second)
		for {
			err := use(a, tok)
			if integration.ReasonOf(err) == want && (want != "" || err == nil) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %v after 1 s; want reason %q", what, err, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	v := f.create(t, f.store, `{"name":"ndvi","type":"integration_token","scopes":["farms:state:write"],"expires_in":"24h"}`)
	if err := use(a1, v.Secret); err != nil {
		t.Fatalf("use new token = %v", err)
	}
	if err := use(a2, v.Secret); err != nil {
		t.Fatalf("use new token on the second process = %v", err)
	}
	if _, err := f.store.Revoke(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := use(a1, v.Secret); integration.ReasonOf(err) != integration.ReasonRevoked {
		t.Errorf("secret after revocation = %v; want revoked", err)
	}
	within("revocation on the second process", a2, v.Secret, integration.ReasonRevoked)
}

// TestRateLimit: the 4th failure from one address within the window makes
// every worker answer 429 with a Retry-After, even for a valid credential;
// other addresses are unaffected; a missing credential does not count.
func TestRateLimit(t *testing.T) {
	f := newFixture(t)
	newAuth := func() *integration.Authenticator {
		lim := newLimiter(f, 3)
		a, err := integration.New(integration.Options{Credentials: f.store, Limiter: lim, TrustOriginIP: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	w1, w2 := newAuth(), newAuth()
	v := f.create(t, f.store, `{"name":"x","type":"api_key","scopes":["observations:read"]}`)
	for range 5 {
		if err := w1.Authenticate(request("10.0.0.7"), "observations:read"); integration.ReasonOf(err) != integration.ReasonMissing {
			t.Fatalf("missing credential = %v", err)
		}
	}
	for i := range 3 {
		err := w1.Authenticate(request("10.0.0.7", "X-API-Key", "wak_wrong"), "observations:read")
		if integration.ReasonOf(err) != integration.ReasonMalformed {
			t.Fatalf("failure %d = %v; want malformed", i+1, err)
		}
	}
	var err error
	deadline := time.Now().Add(2 * time.Second)
	for {
		err = w2.Authenticate(request("10.0.0.7", "X-API-Key", v.Secret), "observations:read")
		if envelope.CodeOf(err) == envelope.CodeRateLimited || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if envelope.StatusFor(envelope.From(err)) != http.StatusTooManyRequests {
		t.Fatalf("valid key from a blocked address on another worker = %v; want 429", err)
	}
	if secs, ok := retryAfter(err); !ok || secs < 1 || secs > 60 {
		t.Errorf("RetryAfter = %d, %v; want 1..60 s", secs, ok)
	}
	if err := w2.Authenticate(request("10.0.0.8", "X-API-Key", v.Secret), "observations:read"); err != nil {
		t.Errorf("another address = %v; want accepted", err)
	}
}

func TestClientAddress(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		opts    integration.Options
		remote  string
		headers []string
		want    string
	}{
		{"AppAPI X-Origin-IP", integration.Options{TrustOriginIP: true}, "172.17.0.1:1", []string{"X-Origin-IP", "10.1.1.1", "X-Forwarded-For", "10.2.2.2"}, "10.1.1.1"},
		{"X-Origin-IP ignored under HaRP", integration.Options{}, "192.0.2.9:1", []string{"X-Origin-IP", "10.1.1.1"}, "192.0.2.9"},
		{"two X-Origin-IP headers", integration.Options{TrustOriginIP: true}, "172.17.0.1:1", []string{"X-Origin-IP", "10.1.1.1", "X-Origin-IP", "10.1.1.2"}, ""},
		{"XFF from an untrusted peer ignored", integration.Options{TrustedProxies: mustPrefixes("127.0.0.0/8")}, "192.0.2.9:1", []string{"X-Forwarded-For", "10.1.1.1"}, "192.0.2.9"},
		{"XFF behind a trusted proxy", integration.Options{TrustedProxies: mustPrefixes("127.0.0.0/8")}, "127.0.0.1:1", []string{"X-Forwarded-For", "10.9.9.9, 198.51.100.4"}, "198.51.100.4"},
		{"spoofed left part of XFF", integration.Options{TrustedProxies: mustPrefixes("127.0.0.0/8", "10.0.0.0/8")}, "127.0.0.1:1", []string{"X-Forwarded-For", "10.0.0.1, 198.51.100.4, 10.3.3.3"}, "198.51.100.4"},
		{"malformed XFF entry", integration.Options{TrustedProxies: mustPrefixes("127.0.0.0/8")}, "127.0.0.1:1", []string{"X-Forwarded-For", "bogus"}, ""},
		{"unix socket peer", integration.Options{}, "@", nil, ""},
		{"IPv4-mapped peer", integration.Options{}, "[::ffff:192.0.2.1]:1", nil, "192.0.2.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.AllowCIDRs = mustPrefixes("0.0.0.0/0", "::/0")
			tc.opts.HMACKey = []byte(demoKey)
			a, err := integration.New(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			r := request("", tc.headers...)
			r.RemoteAddr = tc.remote
			r.Header.Set("Authorization", "Bearer "+signHS(t, []byte(demoKey), drfClaims("access", time.Minute, "scope", "x")))
			p, err := a.Check(r, "x")
			if tc.want == "" {
				if p.Addr.IsValid() || integration.ReasonOf(err) != integration.ReasonAddressUnknown {
					t.Errorf("Check = %v, %v; want address_unknown", p.Addr, err)
				}
				return
			}
			if err != nil || p.Addr != netip.MustParseAddr(tc.want) {
				t.Errorf("client address = %v (%v); want %s", p.Addr, err, tc.want)
			}
		})
	}
}

// TestDRFIssuedTokens uses access and refresh tokens from the real DRF demo
// (SimpleJWT, HS256 with the demo signing key).
func TestDRFIssuedTokens(t *testing.T) {
	drf := testenv.StartDRF(t, testenv.DRFOptions{Workers: 1})
	access, refresh := drf.Token(t)
	a, err := integration.New(integration.Options{HMACKey: []byte(demoKey), DefaultScopes: []string{"farms:state:read", "observations:read"}})
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(tok string) *http.Request { return request("", "Authorization", "Bearer "+tok) }
	runMatrix(t, a, []matrixCase{
		{"DRF access token, default scope", bearer(access), "observations:read", 0, "", ""},
		{"DRF access token, scope not in the defaults", bearer(access), "observations:write", 403, envelope.CodeForbidden, integration.ReasonScope},
		{"DRF refresh token used as access token", bearer(refresh), "observations:read", 401, envelope.CodeUnauthenticated, integration.ReasonNotAccess},
	})
	p, _ := a.Check(bearer(access), "observations:read")
	if p.Kind != "jwt" || p.CredentialID == "" {
		t.Errorf("principal = %+v; want kind jwt with the DRF user id", p)
	}
}
