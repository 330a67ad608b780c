package integration

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtVerifier checks DRF SimpleJWT access tokens. The accepted algorithms are
// fixed by the configured keys (HS256 for the shared key; RS256, or ES256/
// ES384/ES512 by curve, for the public key), and the key is chosen by the
// algorithm family, so neither "none" nor HS/RS key confusion can pass. A
// header that points at a key (jku, x5u, jwk, x5c) or declares critical
// extensions (crit) is refused, and so is an exp further than
// Options.MaxTokenLifetime away. golang-jwt does all parsing; segments must
// be canonical base64url.
type jwtVerifier struct {
	parser      *jwt.Parser
	hmacKey     []byte
	pubKey      crypto.PublicKey
	methods     []string
	now         func() time.Time
	leeway      time.Duration
	maxLifetime time.Duration
}

// forbiddenHeaders are JOSE header parameters weather_apis never honours:
// the first four would take the verification key from the token (RFC 7515
// §4.1.2–4.1.6), and crit names extensions a recipient must understand,
// and we understand none (§4.1.11; this also covers b64, RFC 7797).
var forbiddenHeaders = [...]string{"jku", "x5u", "jwk", "x5c", "crit"}

// forbiddenHeaderError is the keyfunc's refusal of a forbidden parameter.
type forbiddenHeaderError struct{ name string }

func (e forbiddenHeaderError) Error() string { return "JWT header carries " + e.name }

// accessClaims are the SimpleJWT claims weather_apis reads.
type accessClaims struct {
	jwt.RegisteredClaims
	TokenType string          `json:"token_type"`
	UserID    any             `json:"user_id"`
	Scope     *string         `json:"scope"`  // space-separated (OAuth 2 style)
	Scopes    json.RawMessage `json:"scopes"` // array, or a space-separated string
}

func newJWTVerifier(o Options) (*jwtVerifier, error) {
	v := &jwtVerifier{now: o.Now, leeway: o.Leeway, maxLifetime: o.MaxTokenLifetime} // defaulted by New
	if len(o.HMACKey) > 0 {
		if len(o.HMACKey) < 32 {
			return nil, errors.New("the JWT signing key needs at least 32 bytes")
		}
		v.hmacKey = o.HMACKey
		v.methods = append(v.methods, jwt.SigningMethodHS256.Alg())
	}
	switch k := o.PublicKey.(type) {
	case nil:
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, errors.New("the JWT RSA public key needs at least 2048 bits")
		}
		v.pubKey, v.methods = k, append(v.methods, jwt.SigningMethodRS256.Alg())
	case *ecdsa.PublicKey:
		alg := map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}[k.Curve]
		if alg == "" {
			return nil, errors.New("the JWT ECDSA public key must use P-256, P-384 or P-521")
		}
		v.pubKey, v.methods = k, append(v.methods, alg)
	default:
		return nil, fmt.Errorf("the JWT public key has unsupported type %T", o.PublicKey)
	}
	if len(v.methods) == 0 {
		return nil, nil
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(v.methods), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithStrictDecoding()}
	if o.Leeway > 0 {
		opts = append(opts, jwt.WithLeeway(o.Leeway))
	}
	if o.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(o.Now))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

// key is golang-jwt's keyfunc: it runs after the algorithm check and before
// the signature check, so it is where the header is vetted.
func (v *jwtVerifier) key(t *jwt.Token) (any, error) {
	for _, name := range forbiddenHeaders {
		if _, ok := t.Header[name]; ok {
			return nil, forbiddenHeaderError{name}
		}
	}
	switch t.Method.(type) {
	case *jwt.SigningMethodHMAC:
		if v.hmacKey != nil {
			return v.hmacKey, nil
		}
	case *jwt.SigningMethodRSA, *jwt.SigningMethodECDSA:
		if v.pubKey != nil {
			return v.pubKey, nil
		}
	}
	return nil, jwt.ErrTokenUnverifiable
}

// verify parses an access token and returns its claims, or a 401 rejection
// naming the reason.
func (v *jwtVerifier) verify(raw string) (*accessClaims, error) {
	var c accessClaims
	_, err := v.parser.ParseWithClaims(raw, &c, v.key)
	var forbidden forbiddenHeaderError
	switch {
	case err == nil:
	case errors.As(err, &forbidden):
		return nil, unauthenticated(ReasonForbiddenHeader, fmt.Sprintf(
			"The bearer token's header carries %q; keys are configured, never taken from a token, and no critical extensions are supported.", forbidden.name))
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, unauthenticated(ReasonMalformed, "The bearer token is not a well-formed JWT.")
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, unauthenticated(ReasonExpired, "The bearer token has expired.")
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return nil, unauthenticated(ReasonNotYetValid, "The bearer token is not valid yet (nbf/iat in the future).")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return nil, unauthenticated(ReasonMalformed, "The bearer token has no exp claim.")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid) || errors.Is(err, jwt.ErrTokenUnverifiable):
		if alg := headerAlg(raw); !v.accepts(alg) {
			return nil, unauthenticated(ReasonBadAlgorithm, fmt.Sprintf(
				"The bearer token is signed with %s; only %s is accepted.", boundAlg(alg), strings.Join(v.methods, ", ")))
		}
		return nil, unauthenticated(ReasonBadSignature, "The bearer token's signature is not valid.")
	default:
		return nil, unauthenticated(ReasonMalformed, "The bearer token is not a valid JWT.")
	}
	if c.TokenType != "access" {
		return nil, unauthenticated(ReasonNotAccess, "The bearer token is not an access token (token_type must be \"access\").")
	}
	if err := v.checkLifetime(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// checkLifetime refuses an exp further than maxLifetime after iat or,
// without iat, after now plus the leeway (the parser has already required
// exp and refused an iat in the future). So a token from a misconfigured
// issuer (SimpleJWT's ACCESS_TOKEN_LIFETIME set to months) is refused
// rather than trusted, leaked, for that long.
func (v *jwtVerifier) checkLifetime(c *accessClaims) error {
	from, limit := v.now(), v.maxLifetime+v.leeway
	if c.IssuedAt != nil {
		from, limit = c.IssuedAt.Time, v.maxLifetime
	}
	if c.ExpiresAt.Sub(from) > limit {
		return unauthenticated(ReasonLifetime, "The bearer token's lifetime (exp) exceeds the maximum of "+v.maxLifetime.String()+".")
	}
	return nil
}

func (v *jwtVerifier) accepts(alg string) bool {
	for _, m := range v.methods {
		if m == alg {
			return true
		}
	}
	return false
}

// headerAlg reads the unverified "alg" for the rejection message only.
func headerAlg(raw string) string {
	head, _, ok := strings.Cut(raw, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	_ = json.Unmarshal(b, &h)
	return h.Alg
}

func boundAlg(alg string) string {
	if alg == "" {
		return "no algorithm"
	}
	if len(alg) > 16 {
		alg = alg[:16]
	}
	return fmt.Sprintf("%q", alg)
}

// scopes returns the token's scopes: the "scope" claim (space-separated) or
// the "scopes" claim (array or space-separated string) when present, else
// def. A present but empty claim grants nothing.
func (c *accessClaims) scopes(def []string) []string {
	if c.Scope != nil {
		return strings.Fields(*c.Scope)
	}
	if len(c.Scopes) > 0 && string(c.Scopes) != "null" {
		var list []string
		if json.Unmarshal(c.Scopes, &list) == nil {
			return list
		}
		var s string
		if json.Unmarshal(c.Scopes, &s) == nil {
			return strings.Fields(s)
		}
		return nil
	}
	return def
}

// subject is the token's user for logs.
func (c *accessClaims) subject() string {
	if c.UserID != nil {
		return fmt.Sprint(c.UserID)
	}
	return c.Subject
}
