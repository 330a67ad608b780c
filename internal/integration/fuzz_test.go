package integration_test

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/weather-apis/weather_apis/internal/integration"
)

// The fuzz target's fixed world, so that the checked-in corpus (tokens
// signed with these keys for this instant) stays valid.
var fuzzNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

const fuzzHMACKey = "weather_apis-fuzz-hmac-key-0123456789"

// fuzzECKey is a P-256 key for tests only.
const fuzzECKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaSMrxfjxlzJiXXcm
HLtn0GmPw9ohJ2B2mMbPlFAVPvehRANCAARKYQI1s1YWML3XS3bIlq5dsyhdnkBq
W3HXx9KybUirI6Tek8CA9gQdSWI8MpZEj37sOjtqQHZw8QfNcu/nlAH4
-----END PRIVATE KEY-----`

func fuzzEC(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	b, _ := pem.Decode([]byte(fuzzECKey))
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*ecdsa.PrivateKey)
}

// fuzzSeed is a token of the fuzz world and whether it must be accepted.
type fuzzSeed struct {
	name     string
	token    string
	accepted bool
}

// fuzzSeeds are valid tokens, near misses and attacks in the fuzz world.
func fuzzSeeds(t testing.TB) []fuzzSeed {
	ec := fuzzEC(t)
	claims := func(extra ...any) jwt.MapClaims {
		c := jwt.MapClaims{"token_type": "access", "iat": fuzzNow.Unix(), "exp": fuzzNow.Add(5 * time.Minute).Unix(), "user_id": 7}
		for i := 0; i+1 < len(extra); i += 2 {
			c[extra[i].(string)] = extra[i+1]
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims, header ...any) string {
		tok := jwt.NewWithClaims(m, c)
		for i := 0; i+1 < len(header); i += 2 {
			tok.Header[header[i].(string)] = header[i+1]
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	hs := sign(jwt.SigningMethodHS256, []byte(fuzzHMACKey), claims())
	es := sign(jwt.SigningMethodES256, ec, claims())
	wider := sign(jwt.SigningMethodHS256, []byte(fuzzHMACKey), claims("scope", "observations:read observations:write"))
	pub, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims()).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hp, ep, wp := strings.Split(hs, "."), strings.Split(es, "."), strings.Split(wider, ".")
	// Hand-made headers, signed with the right key.
	rawHS := func(header string) string {
		h := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + hp[1]
		m := hmac.New(sha256.New, []byte(fuzzHMACKey))
		m.Write([]byte(h))
		return h + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	return []fuzzSeed{
		{"HS256", hs, true},
		{"ES256", es, true},
		// encoding/json keeps the last duplicate, as golang-jwt reads it;
		// only the key holder can sign such a header.
		{"duplicate alg, last HS256", rawHS(`{"alg":"none","alg":"HS256"}`), true},
		{"header with trailing space", rawHS(`{"alg":"HS256","typ":"JWT"} `), true},
		{"alg none", none, false},
		{"jku", sign(jwt.SigningMethodHS256, []byte(fuzzHMACKey), claims(), "jku", "https://attacker.example/jwks"), false},
		{"jwk", sign(jwt.SigningMethodES256, ec, claims(), "jwk", map[string]any{"kty": "EC"}), false},
		{"crit", sign(jwt.SigningMethodHS256, []byte(fuzzHMACKey), claims(), "crit", []string{"exp"}), false},
		{"escaped jku", rawHS(`{"alg":"HS256","\u006aku":"https://attacker.example/jwks"}`), false},
		{"duplicate alg, last none", rawHS(`{"alg":"HS256","alg":"none"}`), false},
		{"48h lifetime", sign(jwt.SigningMethodHS256, []byte(fuzzHMACKey), claims("exp", fuzzNow.Add(48*time.Hour).Unix())), false},
		{"refresh token", sign(jwt.SigningMethodHS256, []byte(fuzzHMACKey), claims("token_type", "refresh")), false},
		{"HS256 with the EC public key", sign(jwt.SigningMethodHS256, pubPEM, claims()), false},
		{"HS512", sign(jwt.SigningMethodHS512, []byte(fuzzHMACKey), claims()), false},
		{"payload swapped under an ES256 signature", ep[0] + "." + wp[1] + "." + ep[2], false},
		{"payload swapped under an HS256 signature", hp[0] + "." + wp[1] + "." + hp[2], false},
		{"stray bits in the signature", hp[0] + "." + hp[1] + "." + strayBits(hp[2]), false},
		{"padded payload", hp[0] + "." + hp[1] + "=." + hp[2], false},
		{"empty", "", false},
		{"dots", "..", false},
		{"not base64", "a.b.c", false},
		{"unsigned", "eyJhbGciOiJIUzI1NiJ9.e30.", false},
		{"integration token prefix", "wit_x", false},
	}
}

// TestFuzzJWTWorld: in the fuzz world every seed is accepted or refused as
// labelled, and the independent check agrees.
func TestFuzzJWTWorld(t *testing.T) {
	t.Parallel()
	ec := fuzzEC(t)
	a, err := integration.New(integration.Options{
		HMACKey: []byte(fuzzHMACKey), PublicKey: &ec.PublicKey, DefaultScopes: []string{"observations:read"},
		Now: func() time.Time { return fuzzNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fuzzSeeds(t) {
		err := a.Authenticate(request("", "Authorization", "Bearer "+s.token), "observations:read")
		if (err == nil) != s.accepted {
			t.Errorf("%s: Authenticate = %v; want accepted %v", s.name, err, s.accepted)
		}
		if why := independentlyValid(s.token, &ec.PublicKey); (why == "") != s.accepted {
			t.Errorf("%s: independent check says %q; want accepted %v", s.name, why, s.accepted)
		}
	}
}

// FuzzJWT: whatever the bearer value — random bytes or a mutated token —
// the JWT acceptance path never panics, and accepts a token only if an
// independent check agrees: canonical base64url segments, a JSON header
// whose alg is HS256 (signed with the HMAC key) or ES256 (signed with the EC
// key), none of jku/x5u/jwk/x5c/crit, token_type "access" and an exp at most
// 24 h after iat (or now).
func FuzzJWT(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s.token)
	}
	ec := fuzzEC(f)
	a, err := integration.New(integration.Options{
		HMACKey: []byte(fuzzHMACKey), PublicKey: &ec.PublicKey, DefaultScopes: []string{"observations:read"},
		Now: func() time.Time { return fuzzNow },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/api/v1/observations"},
			Header: http.Header{"Authorization": {"Bearer " + raw}}, RemoteAddr: "192.0.2.1:1"}
		p, err := a.Check(r, "observations:read")
		if err != nil {
			if integration.ReasonOf(err) == "" {
				t.Fatalf("rejection without a reason: %v", err)
			}
			return
		}
		if p.Kind != "jwt" {
			t.Fatalf("accepted %q as %q", raw, p.Kind)
		}
		if why := independentlyValid(strings.TrimSpace(raw), &ec.PublicKey); why != "" {
			t.Fatalf("accepted %q, but %s", raw, why)
		}
	})
}

// independentlyValid checks an accepted token without golang-jwt and says
// what is wrong with it ("" if nothing).
func independentlyValid(tok string, pub *ecdsa.PublicKey) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "it does not have three segments"
	}
	dec := base64.RawURLEncoding.Strict()
	var seg [3][]byte
	for i, s := range parts {
		b, err := dec.DecodeString(s)
		if err != nil {
			return "segment " + string(rune('0'+i)) + " is not canonical base64url"
		}
		seg[i] = b
	}
	var header map[string]any
	if json.Unmarshal(seg[0], &header) != nil {
		return "its header is not a JSON object"
	}
	for _, name := range []string{"jku", "x5u", "jwk", "x5c", "crit"} {
		if _, ok := header[name]; ok {
			return "its header carries " + name
		}
	}
	var claims struct {
		TokenType string   `json:"token_type"`
		Exp       *float64 `json:"exp"`
		Iat       *float64 `json:"iat"`
	}
	if json.Unmarshal(seg[1], &claims) != nil || claims.TokenType != "access" || claims.Exp == nil {
		return "its claims are not an access token's with exp"
	}
	from := float64(fuzzNow.Unix())
	if claims.Iat != nil {
		from = *claims.Iat
	}
	if *claims.Exp-from > (24*time.Hour).Seconds()+1 { // golang-jwt reads whole seconds

		return "its lifetime exceeds 24h"
	}
	input := []byte(parts[0] + "." + parts[1])
	switch header["alg"] {
	case "HS256":
		m := hmac.New(sha256.New, []byte(fuzzHMACKey))
		m.Write(input)
		if !hmac.Equal(m.Sum(nil), seg[2]) {
			return "its HS256 signature is not the HMAC key's"
		}
	case "ES256":
		h := sha256.Sum256(input)
		if len(seg[2]) != 64 || !ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(seg[2][:32]), new(big.Int).SetBytes(seg[2][32:])) {
			return "its ES256 signature is not the EC key's"
		}
	default:
		return "its alg is neither HS256 nor ES256"
	}
	return ""
}
