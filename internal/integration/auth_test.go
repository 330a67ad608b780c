package integration_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/integration"
)

type matrixCase struct {
	name       string
	req        *http.Request
	scope      string
	wantStatus int // 0: accepted
	wantCode   envelope.Code
	wantReason integration.Reason
}

func runMatrix(t *testing.T, a *integration.Authenticator, cases []matrixCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := a.Authenticate(tc.req, tc.scope)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Authenticate = %v; want accepted", err)
				}
				return
			}
			e := envelope.From(err)
			if err == nil || envelope.StatusFor(e) != tc.wantStatus || e.Code != tc.wantCode || integration.ReasonOf(err) != tc.wantReason {
				t.Fatalf("Authenticate = %v (status %d, reason %q); want %d %s %q",
					err, envelope.StatusFor(e), integration.ReasonOf(err), tc.wantStatus, tc.wantCode, tc.wantReason)
			}
			for _, h := range []string{"X-API-Key", "Authorization"} {
				for _, v := range tc.req.Header.Values(h) {
					if tail := v[len(v)/2:]; len(tail) >= 4 && strings.Contains(e.Message, tail) {
						t.Errorf("message %q repeats the credential", e.Message)
					}
				}
			}
		})
	}
}

// TestCredentialMatrix is credential type × case -> status, code and reason.
func TestCredentialMatrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, err := integration.New(integration.Options{
		Credentials: f.store, Limiter: f.limiter, HMACKey: []byte(demoKey),
		DefaultScopes: []string{"farms:state:read", "observations:read"},
		AllowCIDRs:    mustPrefixes("10.0.0.0/8"), TrustOriginIP: true, Leeway: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	past := credentials.New(f.client(), credentials.Options{Now: func() time.Time { return time.Now().Add(-2 * time.Hour) }})
	t.Cleanup(func() { _ = past.Close() })

	const in, outCred, outGlobal = "10.1.2.3", "10.9.9.9", "203.0.113.5"
	const okScope, otherScope = "observations:read", "observations:write"
	type credCase struct {
		typ, header, prefix              string
		valid, expired, revoked, unknown string
	}
	var creds []credCase
	for _, typ := range []string{"api_key", "integration_token"} {
		body := `{"name":"m","type":"` + typ + `","scopes":["observations:read"],"allow_cidrs":["10.1.0.0/16"]}`
		valid := f.create(t, f.store, body)
		revoked := f.create(t, f.store, body)
		if _, err := f.store.Revoke(context.Background(), revoked.ID); err != nil {
			t.Fatal(err)
		}
		expired := f.create(t, past, strings.Replace(body, `"m"`, `"old","expires_in":"1h"`, 1))
		prefix := valid.Secret[:4]
		creds = append(creds, credCase{typ: typ, header: "X-API-Key", prefix: prefix, valid: valid.Secret, expired: expired.Secret,
			revoked: revoked.Secret, unknown: forge(prefix, "ZZZZZZZZZZZZ", valid.Secret[17:60])})
		if typ == "integration_token" { // tokens also travel as Bearer
			c := creds[len(creds)-1]
			c.typ, c.header = "integration_token_bearer", "Authorization"
			creds = append(creds, c)
		}
	}
	var cases []matrixCase
	for _, c := range creds {
		h := func(v string) (string, string) {
			if c.header == "Authorization" {
				return c.header, "Bearer " + v
			}
			return c.header, v
		}
		with := func(ip, v string) *http.Request { k, val := h(v); return request(ip, k, val) }
		typo := c.valid[:30] + string("ab"[strings.IndexByte("a", c.valid[30])+1]) + c.valid[31:]
		cases = append(cases,
			matrixCase{c.typ + "/valid", with(in, c.valid), okScope, 0, "", ""},
			matrixCase{c.typ + "/missing", request(in), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonMissing},
			matrixCase{c.typ + "/malformed", with(in, c.prefix+"short"), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonMalformed},
			matrixCase{c.typ + "/wrong checksum", with(in, typo), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonChecksum},
			matrixCase{c.typ + "/unknown", with(in, c.unknown), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonUnknown},
			matrixCase{c.typ + "/expired", with(in, c.expired), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonExpired},
			matrixCase{c.typ + "/revoked", with(in, c.revoked), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonRevoked},
			matrixCase{c.typ + "/wrong scope", with(in, c.valid), otherScope, 403, envelope.CodeForbidden, integration.ReasonScope},
			matrixCase{c.typ + "/outside credential allowlist", with(outCred, c.valid), okScope, 403, envelope.CodeForbidden, integration.ReasonAddress},
			matrixCase{c.typ + "/outside global allowlist", with(outGlobal, c.valid), okScope, 403, envelope.CodeForbidden, integration.ReasonAddress},
			matrixCase{c.typ + "/address unknown", with("not-an-ip", c.valid), okScope, 403, envelope.CodeForbidden, integration.ReasonAddressUnknown},
		)
	}
	bearer := func(tok string) *http.Request { return request(in, "Authorization", "Bearer "+tok) }
	access := signHS(t, []byte(demoKey), drfClaims("access", time.Minute))
	parts := strings.Split(access, ".")
	forgedPayload := signHS(t, []byte(demoKey), drfClaims("access", time.Minute, "scope", "observations:write"))
	tampered := parts[0] + "." + strings.Split(forgedPayload, ".")[1] + "." + parts[2]
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, drfClaims("access", time.Minute)).SignedString(jwt.UnsafeAllowNoneSignatureType)
	rsPriv, _ := rsaKey(t)
	rs, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, drfClaims("access", time.Minute)).SignedString(rsPriv)
	cases = append(cases,
		matrixCase{"jwt/valid, default scopes", bearer(access), okScope, 0, "", ""},
		matrixCase{"jwt/valid, scope claim", bearer(signHS(t, []byte(demoKey), drfClaims("access", time.Minute, "scope", "observations:write"))), otherScope, 0, "", ""},
		matrixCase{"jwt/valid, scopes array claim", bearer(signHS(t, []byte(demoKey), drfClaims("access", time.Minute, "scopes", []string{"observations:write"}))), otherScope, 0, "", ""},
		matrixCase{"jwt/missing", request(in, "Authorization", "Basic dXNlcjpwYXNz"), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonMissing},
		matrixCase{"jwt/malformed", bearer("abc.def"), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonMalformed},
		matrixCase{"jwt/garbage segments", bearer("abc.def.ghi"), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonMalformed},
		matrixCase{"jwt/wrong key", bearer(signHS(t, []byte(strings.Repeat("x", 40)), drfClaims("access", time.Minute))), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonBadSignature},
		matrixCase{"jwt/tampered payload", bearer(tampered), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonBadSignature},
		matrixCase{"jwt/alg none", bearer(none), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonBadAlgorithm},
		matrixCase{"jwt/RS256 while only HS256 is configured", bearer(rs), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonBadAlgorithm},
		matrixCase{"jwt/expired beyond leeway", bearer(signHS(t, []byte(demoKey), drfClaims("access", -time.Minute))), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonExpired},
		matrixCase{"jwt/expired within leeway", bearer(signHS(t, []byte(demoKey), drfClaims("access", -2*time.Second))), okScope, 0, "", ""},
		matrixCase{"jwt/nbf in the future", bearer(signHS(t, []byte(demoKey), drfClaims("access", time.Hour, "nbf", time.Now().Add(time.Minute).Unix()))), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonNotYetValid},
		matrixCase{"jwt/no exp", bearer(signHS(t, []byte(demoKey), jwt.MapClaims{"token_type": "access"})), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonMalformed},
		matrixCase{"jwt/refresh token used as access token", bearer(signHS(t, []byte(demoKey), drfClaims("refresh", time.Hour))), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonNotAccess},
		matrixCase{"jwt/empty scope claim grants nothing", bearer(signHS(t, []byte(demoKey), drfClaims("access", time.Minute, "scope", ""))), okScope, 403, envelope.CodeForbidden, integration.ReasonScope},
		matrixCase{"jwt/wrong scope", bearer(access), otherScope, 403, envelope.CodeForbidden, integration.ReasonScope},
		matrixCase{"jwt/outside global allowlist", request(outGlobal, "Authorization", "Bearer "+access), okScope, 403, envelope.CodeForbidden, integration.ReasonAddress},
		matrixCase{"jwt in X-API-Key", request(in, "X-API-Key", access), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonWrongHeader},
		matrixCase{"api key as bearer", bearer(creds[0].valid), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonWrongHeader},
		matrixCase{"two X-API-Key headers", request(in, "X-API-Key", creds[0].valid, "X-API-Key", creds[0].valid), okScope, 401, envelope.CodeUnauthenticated, integration.ReasonMalformed},
		matrixCase{"X-API-Key wins over Nextcloud's own bearer", request(in, "X-API-Key", creds[0].valid, "Authorization", "Bearer nc-oidc-token"), okScope, 0, "", ""},
	)
	runMatrix(t, a, cases)
}

// TestJWTKeyConfusion: with a public key configured, an HS256 token signed
// with that public key's PEM (the classic confusion attack) is refused, and
// the public-key algorithms work.
func TestJWTKeyConfusion(t *testing.T) {
	t.Parallel()
	rsPriv, rsPEM := rsaKey(t)
	ec := ecKey(t)
	rsOnly, err := integration.New(integration.Options{PublicKey: &rsPriv.PublicKey, DefaultScopes: []string{"observations:read"}})
	if err != nil {
		t.Fatal(err)
	}
	both, err := integration.New(integration.Options{PublicKey: &rsPriv.PublicKey, HMACKey: []byte(demoKey), DefaultScopes: []string{"observations:read"}})
	if err != nil {
		t.Fatal(err)
	}
	ecOnly, err := integration.New(integration.Options{PublicKey: &ec.PublicKey, DefaultScopes: []string{"observations:read"}})
	if err != nil {
		t.Fatal(err)
	}
	confused := signHS(t, rsPEM, drfClaims("access", time.Minute))
	rs, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, drfClaims("access", time.Minute)).SignedString(rsPriv)
	rs512, _ := jwt.NewWithClaims(jwt.SigningMethodRS512, drfClaims("access", time.Minute)).SignedString(rsPriv)
	es, _ := jwt.NewWithClaims(jwt.SigningMethodES256, drfClaims("access", time.Minute)).SignedString(ec)
	otherEC, _ := jwt.NewWithClaims(jwt.SigningMethodES256, drfClaims("access", time.Minute)).SignedString(ecKey(t))
	bearer := func(tok string) *http.Request { return request("", "Authorization", "Bearer "+tok) }
	const s = "observations:read"
	runMatrix(t, rsOnly, []matrixCase{
		{"RS256 valid", bearer(rs), s, 0, "", ""},
		{"HS256 signed with the RSA public key PEM", bearer(confused), s, 401, envelope.CodeUnauthenticated, integration.ReasonBadAlgorithm},
		{"RS512 not pinned", bearer(rs512), s, 401, envelope.CodeUnauthenticated, integration.ReasonBadAlgorithm},
	})
	runMatrix(t, both, []matrixCase{
		{"HS256 signed with the RSA public key PEM, HMAC also configured", bearer(confused), s, 401, envelope.CodeUnauthenticated, integration.ReasonBadSignature},
		{"RS256 valid next to HS256", bearer(rs), s, 0, "", ""},
	})
	runMatrix(t, ecOnly, []matrixCase{
		{"ES256 valid", bearer(es), s, 0, "", ""},
		{"ES256 from another key", bearer(otherEC), s, 401, envelope.CodeUnauthenticated, integration.ReasonBadSignature},
		{"RS256 while ES256 is pinned", bearer(rs), s, 401, envelope.CodeUnauthenticated, integration.ReasonBadAlgorithm},
	})
	noJWT, _ := integration.New(integration.Options{})
	runMatrix(t, noJWT, []matrixCase{
		{"JWT without any configured key", bearer(rs), s, 401, envelope.CodeUnauthenticated, integration.ReasonJWTDisabled},
	})
	if _, err := integration.New(integration.Options{HMACKey: []byte("short")}); err == nil {
		t.Error("New accepted a 5-byte HMAC key")
	}
}
