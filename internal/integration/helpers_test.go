package integration_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

const demoKey = testenv.DRFDefaultSigningKey

// fixture is a real Redis with a Store, a Limiter and an Authenticator
// configured like production (HS256 DRF key, AppAPI X-Origin-IP, global
// allowlist 10.0.0.0/8).
type fixture struct {
	redis   *testenv.Redis
	client  func() redis.UniversalClient
	store   *credentials.Store
	limiter *credentials.Limiter
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	srv := testenv.StartRedis(t)
	f := &fixture{redis: srv}
	f.client = func() redis.UniversalClient {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	f.store = credentials.New(f.client(), credentials.Options{})
	t.Cleanup(func() { _ = f.store.Close() })
	f.limiter = credentials.NewLimiter(f.client(), credentials.LimiterOptions{Max: 1000, Window: time.Minute})
	return f
}

func (f *fixture) create(t testing.TB, s *credentials.Store, body string) credentials.View {
	t.Helper()
	req, err := credentials.DecodeCreate([]byte(body))
	if err != nil {
		t.Fatalf("DecodeCreate(%s): %v", body, err)
	}
	req.CreatedBy = "admin"
	v, err := s.Create(context.Background(), req)
	if err != nil {
		t.Fatalf("Create(%s): %v", body, err)
	}
	return v
}

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// request builds an integration request from client address ip with headers
// given as name, value pairs.
func request(ip string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/v1/observations", nil)
	r.RemoteAddr = "172.17.0.1:40000" // Nextcloud's AppAPI proxy
	if ip != "" {
		r.Header.Set("X-Origin-IP", ip)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Add(headers[i], headers[i+1])
	}
	return r
}

// signHS signs claims with HS256 and key.
func signHS(t testing.TB, key []byte, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// drfClaims are SimpleJWT-shaped claims valid for d from now.
func drfClaims(tokenType string, d time.Duration, extra ...any) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"token_type": tokenType, "exp": now.Add(d).Unix(), "iat": now.Unix(), "jti": "j1", "user_id": 7}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i].(string)] = extra[i+1]
	}
	return c
}

func rsaKey(t testing.TB) (*rsa.PrivateKey, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return k, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// forge returns a well-formed token (valid checksum) with any id and secret,
// e.g. for an id that does not exist.
func forge(prefix, id, secret string) string {
	typ, _ := credentials.TypeOfToken(prefix)
	return credentials.Token{Type: typ, ID: id, Secret: secret}.Format()
}

// newStoreOn returns a second Store on f's Redis with its own client: another
// process as far as caching goes.
func newStoreOn(t testing.TB, f *fixture) *credentials.Store {
	t.Helper()
	s := credentials.New(f.client(), credentials.Options{})
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newLimiter returns a limiter of max failures per minute with its own client.
func newLimiter(f *fixture, max int) *credentials.Limiter {
	return credentials.NewLimiter(f.client(), credentials.LimiterOptions{Max: max, Window: time.Minute})
}

// retryAfter returns the Retry-After seconds a RATE_LIMITED rejection
// carries in its headers.
func retryAfter(err error) (int, bool) {
	e := envelope.From(err)
	if e == nil || e.Code != envelope.CodeRateLimited {
		return 0, false
	}
	secs, convErr := strconv.Atoi(e.Header.Get("Retry-After"))
	return secs, convErr == nil
}
