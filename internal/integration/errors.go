package integration

import (
	"errors"
	"strconv"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Reason is the machine-readable cause of a rejection. It is logged and sent
// in error.details.reason; it never contains a secret.
type Reason string

const (
	ReasonMissing      Reason = "missing"
	ReasonMalformed    Reason = "malformed"
	ReasonChecksum     Reason = "checksum"
	ReasonUnknown      Reason = "unknown"
	ReasonExpired      Reason = "expired"
	ReasonRevoked      Reason = "revoked"
	ReasonWrongHeader  Reason = "wrong_header"
	ReasonBadSignature Reason = "bad_signature"
	ReasonBadAlgorithm Reason = "bad_algorithm"
	ReasonNotYetValid  Reason = "not_yet_valid"
	ReasonNotAccess    Reason = "not_access_token"
	// ReasonForbiddenHeader: the JWT header names a key source (jku, x5u,
	// jwk, x5c) or critical extensions (crit); keys are configured, never
	// taken from a token.
	ReasonForbiddenHeader Reason = "forbidden_header"
	// ReasonLifetime: the JWT's exp lies further than
	// Options.MaxTokenLifetime after its iat (or now).
	ReasonLifetime       Reason = "lifetime_too_long"
	ReasonJWTDisabled    Reason = "jwt_disabled"
	ReasonScope          Reason = "insufficient_scope"
	ReasonAddress        Reason = "address_not_allowed"
	ReasonAddressUnknown Reason = "address_unknown"
	ReasonRateLimited    Reason = "rate_limited"
	ReasonStoreDown      Reason = "store_unavailable"
)

// Details is error.details of every rejection.
type Details struct {
	Reason Reason `json:"reason"`
	// Scope is the scope the route needs (insufficient_scope only).
	Scope string `json:"scope,omitempty"`
	// RetryAfter is in seconds (rate_limited only); send it as Retry-After.
	RetryAfter int `json:"retry_after,omitempty"`
}

// realm is the RFC 6750 challenge every 401 carries.
const realm = `Bearer realm="weather_apis"`

// unauthenticated is a 401 with its RFC 6750 §3 challenge: a request
// without credentials gets the bare challenge, any other
// error="invalid_token".
func unauthenticated(reason Reason, msg string) *envelope.Error {
	challenge := realm + `, error="invalid_token"`
	if reason == ReasonMissing {
		challenge = realm
	}
	return envelope.New(envelope.CodeUnauthenticated, msg).WithDetails(Details{Reason: reason}).
		WithHeader("WWW-Authenticate", challenge)
}

func forbidden(reason Reason, msg string) *envelope.Error {
	return envelope.New(envelope.CodeForbidden, msg).WithDetails(Details{Reason: reason})
}

// insufficientScope is the 403 of a credential without scope, with its
// RFC 6750 §3.1 challenge.
func insufficientScope(scope, msg string) *envelope.Error {
	return envelope.New(envelope.CodeForbidden, msg).WithDetails(Details{Reason: ReasonScope, Scope: scope}).
		WithHeader("WWW-Authenticate", realm+`, error="insufficient_scope", scope="`+scope+`"`)
}

// Which failure limit refused a request, as the rejection message says it.
const (
	limitAddress  = "from this address"
	limitUnknown  = "from clients whose address cannot be read"
	limitID       = "for this credential"
	limitInstance = "with unrecognised credentials on this server"
)

// rateLimited is the 429 of the failure limit who (one of the limit…
// phrases), retryable after wait.
func rateLimited(wait time.Duration, who string) *envelope.Error {
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return envelope.New(envelope.CodeRateLimited,
		"Too many failed authentication attempts "+who+"; retry in "+strconv.Itoa(secs)+" s.").
		WithDetails(Details{Reason: ReasonRateLimited, RetryAfter: secs}).
		WithHeader("Retry-After", strconv.Itoa(secs))
}

// ReasonOf returns the rejection reason carried by err ("" if none).
func ReasonOf(err error) Reason {
	var e *envelope.Error
	if errors.As(err, &e) {
		if d, ok := e.Details.(Details); ok {
			return d.Reason
		}
	}
	return ""
}
