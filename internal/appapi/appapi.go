// Package appapi is Nextcloud AppAPI's wire protocol as an ExApp sees it:
// header names, verification of AppAPI-signed requests, signing of requests
// to Nextcloud, and the caller's Identity. It depends on the standard library
// only and never logs or echoes a header value.
package appapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// Header names of the protocol (nextcloud/app_api lib/Service/AppAPICommonService.php buildAppAPIAuthHeaders, AppAPIService.php validateExAppRequestToNC). Go canonicalises
// header names, so lookups are case-insensitive.
const (
	HeaderAppID      = "EX-APP-ID"
	HeaderAppVersion = "EX-APP-VERSION"
	HeaderAuth       = "AUTHORIZATION-APP-API"
	HeaderAAVersion  = "AA-VERSION"
	HeaderRequestID  = "AA-REQUEST-ID"
	HeaderOriginIP   = "X-Origin-IP"
)

// MaxAuthHeaderLen bounds AUTHORIZATION-APP-API. A real value is the base64 of
// a user id (≤ 64 chars in Nextcloud) and a 128-char secret: about 260 bytes.
const MaxAuthHeaderLen = 2048

// Verification failures. They name the reason for logs and metrics; none of
// them carries a header value.
var (
	ErrMissingHeaders = errors.New("appapi: missing EX-APP-ID, EX-APP-VERSION or AUTHORIZATION-APP-API")
	ErrOversized      = errors.New("appapi: AUTHORIZATION-APP-API too long")
	ErrMalformed      = errors.New("appapi: AUTHORIZATION-APP-API is not base64 of user:secret")
	ErrWrongApp       = errors.New("appapi: EX-APP-ID does not name this app")
	ErrBadSecret      = errors.New("appapi: wrong app secret")
)

// Identity is who AppAPI says is calling.
type Identity struct {
	// UserID is the Nextcloud user the request is made for; empty for system
	// calls (lifecycle, occ) and anonymous proxy requests.
	UserID     string
	AppVersion string
	AAVersion  string
	// RequestID is AA-REQUEST-ID ("CLI" for occ/cron), or "".
	RequestID string
}

// Verifier checks AppAPI request signatures for one app.
type Verifier struct {
	appID     string
	appIDSum  [32]byte
	secretSum [32]byte
	// last remembers the most recent AUTHORIZATION-APP-API value that
	// verified, so the common case (the same user again) costs one
	// constant-time comparison instead of base64 decoding and hashing.
	last atomic.Pointer[verified]
	// lastAt is the Unix nanosecond time of the last request that verified
	// (diagnostics evidence), written at most about once a second.
	lastAt atomic.Int64
}

type verified struct {
	auth string
	user string
}

// NewVerifier returns a Verifier for appID and secret. Both are hashed so that
// comparisons take the same time whatever the length of the presented value.
func NewVerifier(appID, secret string) *Verifier {
	return &Verifier{appID: appID, appIDSum: sha256.Sum256([]byte(appID)), secretSum: sha256.Sum256([]byte(secret))}
}

// Verify authenticates h as nc_py_api's sign_check does, but in constant time:
// EX-APP-ID, EX-APP-VERSION and AUTHORIZATION-APP-API must be non-empty, the
// app id must match, and the base64 "user:secret" must carry the secret. The
// user may be empty. On failure the Identity is zero and the error is one of
// the Err values above.
func (v *Verifier) Verify(h http.Header) (Identity, error) { return v.VerifyAt(h, time.Now()) }

// VerifyAt is Verify for a request received at now, which LastVerified
// reports once it verifies.
func (v *Verifier) VerifyAt(h http.Header, now time.Time) (Identity, error) {
	id, err := v.verify(h)
	if err == nil {
		// The evidence needs no more than second precision, so the shared
		// word is written at most about once a second (no cache-line
		// ping-pong per request).
		if n := now.UnixNano(); n-v.lastAt.Load() >= int64(time.Second) {
			v.lastAt.Store(n)
		}
	}
	return id, err
}

// LastVerified returns when a request last verified (zero if none has).
func (v *Verifier) LastVerified() time.Time {
	if n := v.lastAt.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

func (v *Verifier) verify(h http.Header) (Identity, error) {
	appID, version, auth := first(h, HeaderAppID), first(h, HeaderAppVersion), first(h, HeaderAuth)
	if appID == "" || version == "" || auth == "" {
		return Identity{}, ErrMissingHeaders
	}
	if len(auth) > MaxAuthHeaderLen {
		return Identity{}, ErrOversized
	}
	if last := v.last.Load(); last != nil && len(last.auth) == len(auth) &&
		subtle.ConstantTimeCompare([]byte(last.auth), []byte(auth)) == 1 {
		if appID != v.appID { // the app id is public: a plain comparison is fine
			return Identity{}, ErrWrongApp
		}
		return Identity{UserID: last.user, AppVersion: version, AAVersion: first(h, HeaderAAVersion), RequestID: first(h, HeaderRequestID)}, nil
	}
	user, secret, err := ParseAuthValue(auth)
	if err != nil {
		return Identity{}, err
	}
	appSum, secSum := sha256.Sum256([]byte(appID)), sha256.Sum256([]byte(secret))
	appOK := subtle.ConstantTimeCompare(appSum[:], v.appIDSum[:])
	secOK := subtle.ConstantTimeCompare(secSum[:], v.secretSum[:])
	if appOK != 1 {
		return Identity{}, ErrWrongApp
	}
	if secOK != 1 {
		return Identity{}, ErrBadSecret
	}
	v.last.Store(&verified{auth: auth, user: user})
	return Identity{UserID: user, AppVersion: version, AAVersion: first(h, HeaderAAVersion), RequestID: first(h, HeaderRequestID)}, nil
}

// first returns the first value of the header name (any case) without the
// allocation of http.Header.Get's canonicalisation on the hot path.
func first(h http.Header, name string) string {
	if v := h[canonical(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Credentials sign requests to Nextcloud (nextcloud/app_api lib/Service/AppAPIService.php validateExAppRequestToNC).
type Credentials struct {
	AppID, AppVersion, AAVersion, Secret string
}

// AuthValue returns the AUTHORIZATION-APP-API value for user ("" = no user).
func AuthValue(user, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
}

// ParseAuthValue is AuthValue's inverse: it splits an AUTHORIZATION-APP-API
// value into user and secret at the first ":". It accepts only what AuthValue
// produces: padded standard base64 (no line breaks, no stray bits in the
// last character) of "user:secret" whose user is valid UTF-8 without control
// characters (Nextcloud user ids have none). So for every value it accepts,
// AuthValue(user, secret) == value. It returns ErrOversized or ErrMalformed;
// the secret is not checked here.
func ParseAuthValue(value string) (user, secret string, err error) {
	if len(value) > MaxAuthHeaderLen {
		return "", "", ErrOversized
	}
	// StdEncoding ignores CR and LF even in strict mode.
	if strings.ContainsAny(value, "\r\n") {
		return "", "", ErrMalformed
	}
	raw, err := strictBase64.DecodeString(value)
	if err != nil {
		return "", "", ErrMalformed
	}
	user, secret, ok := strings.Cut(string(raw), ":")
	if !ok || !utf8.ValidString(user) || strings.IndexFunc(user, unicode.IsControl) >= 0 {
		return "", "", ErrMalformed
	}
	return user, secret, nil
}

var strictBase64 = base64.StdEncoding.Strict()

// Sign sets the AppAPI headers on h for a call made on behalf of user.
// AppVersion must be non-empty: Nextcloud rejects every call otherwise.
func (c Credentials) Sign(h http.Header, user string) {
	h.Set(HeaderAAVersion, c.AAVersion)
	h.Set(HeaderAppID, c.AppID)
	h.Set(HeaderAppVersion, c.AppVersion)
	h.Set(HeaderAuth, AuthValue(user, c.Secret))
}

// canonical maps the protocol's header names to Go's canonical form.
func canonical(name string) string {
	switch name {
	case HeaderAppID:
		return "Ex-App-Id"
	case HeaderAppVersion:
		return "Ex-App-Version"
	case HeaderAuth:
		return "Authorization-App-Api"
	case HeaderAAVersion:
		return "Aa-Version"
	case HeaderRequestID:
		return "Aa-Request-Id"
	}
	return http.CanonicalHeaderKey(name)
}
