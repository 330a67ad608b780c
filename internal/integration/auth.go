// Package integration authenticates requests to weather_apis' integration
// routes: API keys and integration tokens (internal/credentials) in
// X-API-Key, integration tokens and DRF SimpleJWT access tokens as
// Authorization: Bearer. It enforces scopes, the global and per-credential
// address allowlists and failure limits per address, per credential id and
// per instance (limits.go), and rejects with truthful *envelope.Error values
// (401, 403, 429) whose details name the reason.
package integration

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Verifier checks an API key or integration token (*credentials.Store).
type Verifier interface {
	Verify(ctx context.Context, token string) (*credentials.Credential, error)
}

// FailureLimiter counts failed authentications per key in a store shared by
// every replica (*credentials.Limiter). The keys are client address keys
// (an address, an IPv6 /64, or "unknown") and "id:<credential id>".
type FailureLimiter interface {
	Blocked(ctx context.Context, addr string) (time.Duration, error)
	Fail(ctx context.Context, addr string) (time.Duration, error)
}

// Options are the Authenticator's dependencies and settings.
type Options struct {
	Credentials Verifier // nil: API keys and integration tokens are refused
	// Limiter counts failures per client address and per credential id
	// (limits.go); nil: neither limit.
	Limiter FailureLimiter
	// UnknownMax unrecognised credentials (reason "unknown": no such id or a
	// wrong secret) are answered per UnknownWindow by this process, whatever
	// their address; beyond that they get 429 until the bucket refills. A
	// valid credential is never refused by it [60 per 1m].
	UnknownMax    int
	UnknownWindow time.Duration
	// HMACKey accepts HS256 DRF JWTs (WEATHER_APIS_JWT_SIGNING_KEY, >= 32
	// bytes); PublicKey (*rsa.PublicKey or *ecdsa.PublicKey) accepts RS256 or
	// ES256/384/512 ones (WEATHER_APIS_JWT_PUBLIC_KEY). Neither: JWTs refused.
	HMACKey   []byte
	PublicKey crypto.PublicKey
	// DefaultScopes are granted to a valid access token without a scope or
	// scopes claim (WEATHER_APIS_JWT_DEFAULT_SCOPES).
	DefaultScopes []string
	Leeway        time.Duration // clock skew allowed on exp/nbf/iat
	// MaxTokenLifetime refuses a JWT whose exp lies further than this after
	// its iat, or without iat, after now (plus Leeway) [24h].
	MaxTokenLifetime time.Duration
	// AllowCIDRs is the global allowlist for every integration request
	// (empty: any address).
	AllowCIDRs []netip.Prefix
	// TrustedProxies are peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// TrustOriginIP believes AppAPI's X-Origin-IP. Set it when requests come
	// through AppAPI's PHP proxy (which replaces any client value) and never
	// under HaRP, which forwards client headers untouched.
	TrustOriginIP bool
	Logger        *slog.Logger
	Now           func() time.Time
}

// headerAPIKey is X-API-Key in canonical form (direct map access avoids an
// allocation per request).
const headerAPIKey = "X-Api-Key"

// Authenticator implements handlers.IntegrationAuth.
type Authenticator struct {
	o       Options
	jwt     *jwtVerifier // nil: JWTs are not accepted
	unknown *bucket      // the per-instance limit on unrecognised credentials
}

// Principal is who an accepted request authenticated as.
type Principal struct {
	Kind         string // "api_key", "integration_token" or "jwt"
	CredentialID string // credential id, or the JWT's user id
	Scopes       []string
	Addr         netip.Addr // zero when unknown

	addrCheck *credentials.Credential // per-credential allowlist, nil for JWTs
	claimedID string                  // the id a well-formed API key or token names
}

// logID is the credential id for logs: the verified one, else the one the
// rejected credential claimed.
func (p Principal) logID() string {
	if p.CredentialID != "" {
		return p.CredentialID
	}
	return p.claimedID
}

// New returns an Authenticator, or an error for unusable JWT keys.
func New(o Options) (*Authenticator, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UnknownMax <= 0 {
		o.UnknownMax = 60
	}
	if o.UnknownWindow <= 0 {
		o.UnknownWindow = time.Minute
	}
	if o.MaxTokenLifetime <= 0 {
		o.MaxTokenLifetime = 24 * time.Hour
	}
	v, err := newJWTVerifier(o)
	if err != nil {
		return nil, err
	}
	return &Authenticator{o: o, jwt: v, unknown: newBucket(o.UnknownMax, o.UnknownWindow, o.Now())}, nil
}

// Authenticate implements handlers.IntegrationAuth: nil when r carries a
// valid credential with scope from an allowed address, else an
// *envelope.Error (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, or 503
// UPSTREAM_UNAVAILABLE when the credential store cannot be read).
func (a *Authenticator) Authenticate(r *http.Request, scope string) error {
	_, err := a.Check(r, scope)
	return err
}

// Check is Authenticate returning the Principal on success.
func (a *Authenticator) Check(r *http.Request, scope string) (Principal, error) {
	ctx := r.Context()
	addr, addrKey := a.clientAddr(r)
	if err := a.addrBlocked(ctx, r, addrKey); err != nil {
		return Principal{}, err
	}
	p, err := a.identify(r)
	if err != nil {
		return p, a.failed(ctx, r, addrKey, p, err)
	}
	p.Addr = addr
	if err := a.authorize(p, addr, scope); err != nil {
		a.o.Logger.Info("integration auth rejected", "reason", ReasonOf(err), "kind", p.Kind,
			"credential_id", p.CredentialID, "addr", addr, "scope", scope, "path", r.URL.Path)
		return p, err
	}
	if a.o.Logger.Enabled(ctx, slog.LevelDebug) {
		a.o.Logger.Debug("integration auth accepted", "kind", p.Kind, "credential_id", p.CredentialID, "addr", addr, "scope", scope)
	}
	return p, nil
}

// identify finds and verifies the credential. X-API-Key wins over
// Authorization, because Nextcloud clients may send their own
// "Authorization: Basic/Bearer" for Nextcloud itself.
func (a *Authenticator) identify(r *http.Request) (Principal, error) {
	if keys := r.Header[headerAPIKey]; len(keys) > 0 {
		if len(keys) > 1 {
			return Principal{}, unauthenticated(ReasonMalformed, "Send exactly one X-API-Key header.")
		}
		key := strings.TrimSpace(keys[0])
		if key == "" {
			return Principal{}, unauthenticated(ReasonMissing, "The X-API-Key header is empty.")
		}
		if strings.Count(key, ".") == 2 && !strings.HasPrefix(key, "w") {
			return Principal{}, unauthenticated(ReasonWrongHeader, "A JWT must be sent as Authorization: Bearer, not in X-API-Key.")
		}
		return a.credential(r.Context(), key)
	}
	var auth string
	if v := r.Header["Authorization"]; len(v) > 0 {
		auth = v[0]
	}
	scheme, token, _ := strings.Cut(auth, " ")
	if auth == "" || !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, unauthenticated(ReasonMissing,
			"An integration credential is required: send X-API-Key: <api key or integration token> or Authorization: Bearer <integration token or DRF access token>.")
	}
	token = strings.TrimSpace(token)
	switch {
	case token == "":
		return Principal{}, unauthenticated(ReasonMalformed, "The bearer token is empty.")
	case strings.HasPrefix(token, credentials.PrefixAPIKey):
		return Principal{Kind: string(credentials.TypeAPIKey)}, unauthenticated(ReasonWrongHeader, "API keys must be sent in the X-API-Key header, not as a bearer token.")
	case strings.HasPrefix(token, credentials.PrefixIntegrationToken):
		return a.credential(r.Context(), token)
	}
	return a.bearerJWT(token)
}

// credential verifies an API key or integration token.
func (a *Authenticator) credential(ctx context.Context, token string) (Principal, error) {
	p := Principal{}
	if typ, ok := credentials.TypeOfToken(token); ok {
		p.Kind = string(typ)
	}
	if len(token) > 512 {
		return p, unauthenticated(ReasonMalformed, "The credential is not an API key or integration token (wak_… or wit_…).")
	}
	if a.o.Credentials == nil {
		return p, unauthenticated(ReasonUnknown, "API keys and integration tokens are not enabled.")
	}
	c, err := a.o.Credentials.Verify(ctx, token)
	if c != nil {
		p.CredentialID = c.ID
	}
	switch {
	case err == nil:
		p.CredentialID, p.Scopes = c.ID, c.Scopes
		p.addrCheck = c
		return p, nil
	case errors.Is(err, credentials.ErrMalformed):
		return p, unauthenticated(ReasonMalformed, "The credential is not an API key or integration token (wak_… or wit_…).")
	case errors.Is(err, credentials.ErrChecksum):
		return p, unauthenticated(ReasonChecksum, "The credential's checksum does not match: it was mistyped, truncated or altered.")
	case errors.Is(err, credentials.ErrUnknown):
		_, p.claimedID, _ = credentials.Parse(token) // for the per-id failure limit
		return p, unauthenticated(ReasonUnknown, "The credential is not recognised.")
	case errors.Is(err, credentials.ErrExpired):
		return p, unauthenticated(ReasonExpired, "The credential expired at "+c.ExpiresAt.UTC().Format(time.RFC3339)+".")
	case errors.Is(err, credentials.ErrRevoked):
		return p, unauthenticated(ReasonRevoked, "The credential has been revoked.")
	}
	e := envelope.Wrap(envelope.CodeStoreUnavailable, "The credential store (Redis) is unavailable; the credential could not be checked.", err).
		WithDetails(Details{Reason: ReasonStoreDown})
	return p, e
}

// bearerJWT verifies a DRF access token.
func (a *Authenticator) bearerJWT(raw string) (Principal, error) {
	p := Principal{Kind: "jwt"}
	if strings.Count(raw, ".") != 2 || len(raw) > 8192 {
		return p, unauthenticated(ReasonMalformed, "The bearer token is neither an integration token (wit_…) nor a JWT.")
	}
	if a.jwt == nil {
		return p, unauthenticated(ReasonJWTDisabled, "DRF JWTs are not accepted: no JWT signing key or public key is configured.")
	}
	c, err := a.jwt.verify(raw)
	if err != nil {
		return p, err
	}
	p.CredentialID, p.Scopes = c.subject(), c.scopes(a.o.DefaultScopes)
	return p, nil
}

// authorize applies the allowlists, then the scope.
func (a *Authenticator) authorize(p Principal, addr netip.Addr, scope string) error {
	if len(a.o.AllowCIDRs) > 0 && !inAny(a.o.AllowCIDRs, addr) {
		return a.addrRejection(addr, "weather_apis")
	}
	if p.addrCheck != nil && !p.addrCheck.Allows(addr) {
		return a.addrRejection(addr, "this credential")
	}
	if scope != "" && !slices.Contains(p.Scopes, scope) {
		return insufficientScope(scope, fmt.Sprintf("The credential lacks the scope %q this route needs.", scope))
	}
	return nil
}

func (a *Authenticator) addrRejection(addr netip.Addr, who string) error {
	if !addr.IsValid() {
		return forbidden(ReasonAddressUnknown, "The client address cannot be determined, and "+who+" only accepts listed networks.")
	}
	return forbidden(ReasonAddress, "Requests from "+addr.String()+" are not allowed for "+who+".")
}

func inAny(ps []netip.Prefix, addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	for _, p := range ps {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
