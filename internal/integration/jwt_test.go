package integration_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/integration"
)

// signHSWithHeader signs claims with HS256 and key, adding header fields.
func signHSWithHeader(t testing.TB, key []byte, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lifetimeClaims are access-token claims issued at iat (nil: no iat claim)
// and expiring at exp.
func lifetimeClaims(iat *time.Time, exp time.Time) jwt.MapClaims {
	c := jwt.MapClaims{"token_type": "access", "exp": exp.Unix(), "user_id": 7}
	if iat != nil {
		c["iat"] = iat.Unix()
	}
	return c
}

// strayBits sets the unused low bits of a base64url segment's last
// character: the segment decodes to the same bytes but is not canonical.
func strayBits(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + string(alphabet[i|1])
}

// TestJWTHeaderAndLifetime (issue 12, item 3): a header naming a key source
// or critical extensions is refused, even with a valid signature; so is an
// exp further than MaxTokenLifetime after iat (or, without iat, after now);
// and only canonical base64url segments are read.
func TestJWTHeaderAndLifetime(t *testing.T) {
	t.Parallel()
	a, err := integration.New(integration.Options{HMACKey: []byte(demoKey), DefaultScopes: []string{"observations:read"}, Leeway: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	short, err := integration.New(integration.Options{HMACKey: []byte(demoKey), DefaultScopes: []string{"observations:read"}, MaxTokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(tok string) *http.Request { return request("", "Authorization", "Bearer "+tok) }
	withHeader := func(name string, v any) *http.Request {
		return bearer(signHSWithHeader(t, []byte(demoKey), drfClaims("access", time.Minute), map[string]any{name: v}))
	}
	now := time.Now()
	at := func(d time.Duration) *time.Time { x := now.Add(d); return &x }
	life := func(iat *time.Time, exp time.Duration) *http.Request {
		return bearer(signHS(t, []byte(demoKey), lifetimeClaims(iat, now.Add(exp))))
	}
	valid := signHS(t, []byte(demoKey), drfClaims("access", time.Minute))
	parts := strings.Split(valid, ".")
	const s = "observations:read"
	const u, fh, lt = envelope.CodeUnauthenticated, integration.ReasonForbiddenHeader, integration.ReasonLifetime
	runMatrix(t, a, []matrixCase{
		{"jku", withHeader("jku", "https://attacker.example/jwks.json"), s, 401, u, fh},
		{"x5u", withHeader("x5u", "https://attacker.example/cert.pem"), s, 401, u, fh},
		{"jwk", withHeader("jwk", map[string]any{"kty": "oct", "k": "c2VjcmV0"}), s, 401, u, fh},
		{"x5c", withHeader("x5c", []string{"MIIB"}), s, 401, u, fh},
		{"crit", withHeader("crit", []string{"exp"}), s, 401, u, fh},
		{"crit with b64", bearer(signHSWithHeader(t, []byte(demoKey), drfClaims("access", time.Minute), map[string]any{"crit": []string{"b64"}, "b64": false})), s, 401, u, fh},
		{"null jku", withHeader("jku", nil), s, 401, u, fh},
		{"kid is fine", withHeader("kid", "k1"), s, 0, "", ""},
		{"typ is fine", withHeader("typ", "at+jwt"), s, 0, "", ""},
		{"iat now, exp in 24h", life(at(0), 24*time.Hour), s, 0, "", ""},
		{"iat now, exp in 25h", life(at(0), 25*time.Hour), s, 401, u, lt},
		{"iat 23h ago, exp in 2h (25h from iat)", life(at(-23*time.Hour), 2*time.Hour), s, 401, u, lt},
		{"no iat, exp in 23h", life(nil, 23*time.Hour), s, 0, "", ""},
		{"no iat, exp in 25h", life(nil, 25*time.Hour), s, 401, u, lt},
		{"no iat, exp in year 9999", bearer(signHS(t, []byte(demoKey), jwt.MapClaims{"token_type": "access", "exp": 253402300799})), s, 401, u, lt},
		{"iat in 1970, exp in 1h", life(new(time.Unix(0, 0)), time.Hour), s, 401, u, lt},
		{"refresh token of DRF's default day", bearer(signHS(t, []byte(demoKey), drfClaims("refresh", 24*time.Hour))), s, 401, u, integration.ReasonNotAccess},
		{"stray bits in the signature", bearer(parts[0] + "." + parts[1] + "." + strayBits(parts[2])), s, 401, u, integration.ReasonMalformed},
	})
	runMatrix(t, short, []matrixCase{
		{"MaxTokenLifetime 1h, exp in 59m", life(at(0), 59*time.Minute), s, 0, "", ""},
		{"MaxTokenLifetime 1h, exp in 2h", life(at(0), 2*time.Hour), s, 401, u, lt},
	})
}
