package appapi_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/appapi"
)

const (
	appID  = "weather_apis"
	secret = "s3cr3t+/s3cr3t"
)

// TestVerify is nc_py_api's security matrix (tests/_app_security_checks.py)
// plus the malformed cases a fuzzing client would try.
func TestVerify(t *testing.T) {
	t.Parallel()
	good := appapi.AuthValue("admin", secret)
	cases := []struct {
		name     string
		headers  map[string]string
		wantErr  error
		wantUser string
	}{
		{"correct", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": good}, nil, "admin"},
		{"correct, empty user", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": appapi.AuthValue("", secret)}, nil, ""},
		{"lower-case header names", map[string]string{"ex-app-id": appID, "ex-app-version": "1.0.0", "authorization-app-api": good}, nil, "admin"},
		{"user with colon keeps first split", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1", "AUTHORIZATION-APP-API": appapi.AuthValue("a", secret)}, nil, "a"},
		{"no headers", map[string]string{}, appapi.ErrMissingHeaders, ""},
		{"missing app id", map[string]string{"EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": good}, appapi.ErrMissingHeaders, ""},
		{"missing version", map[string]string{"EX-APP-ID": appID, "AUTHORIZATION-APP-API": good}, appapi.ErrMissingHeaders, ""},
		{"empty version", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "", "AUTHORIZATION-APP-API": good}, appapi.ErrMissingHeaders, ""},
		{"missing auth", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0"}, appapi.ErrMissingHeaders, ""},
		{"wrong secret", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": appapi.AuthValue("admin", "nope")}, appapi.ErrBadSecret, ""},
		{"secret prefix only", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": appapi.AuthValue("admin", secret[:5])}, appapi.ErrBadSecret, ""},
		{"empty secret", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": appapi.AuthValue("admin", "")}, appapi.ErrBadSecret, ""},
		{"wrong app id", map[string]string{"EX-APP-ID": "other_app", "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": good}, appapi.ErrWrongApp, ""},
		{"bad base64", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": "%%%not-base64"}, appapi.ErrMalformed, ""},
		{"trailing junk after base64", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": good + "!"}, appapi.ErrMalformed, ""},
		{"missing colon", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": base64.StdEncoding.EncodeToString([]byte("admin" + secret))}, appapi.ErrMalformed, ""},
		{"line break inside the base64", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": good[:8] + "\n" + good[8:]}, appapi.ErrMalformed, ""},
		{"stray bits in the last base64 character", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": strayBits(good)}, appapi.ErrMalformed, ""},
		{"unpadded base64", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": strings.TrimRight(good, "=")}, appapi.ErrMalformed, ""},
		{"control character in the user", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": appapi.AuthValue("ad\x00min", secret)}, appapi.ErrMalformed, ""},
		{"invalid UTF-8 in the user", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": appapi.AuthValue("ad\xffmin", secret)}, appapi.ErrMalformed, ""},
		{"oversized header", map[string]string{"EX-APP-ID": appID, "EX-APP-VERSION": "1.0.0", "AUTHORIZATION-APP-API": strings.Repeat("A", appapi.MaxAuthHeaderLen+4)}, appapi.ErrOversized, ""},
	}
	v := appapi.NewVerifier(appID, secret)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, val := range tc.headers {
				h.Set(k, val)
			}
			id, err := v.Verify(h)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify() error = %v; want %v", err, tc.wantErr)
			}
			if id.UserID != tc.wantUser {
				t.Errorf("Verify() user = %q; want %q", id.UserID, tc.wantUser)
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error text leaks the secret: %v", err)
			}
		})
	}
}

// strayBits returns v (padded base64 ending in one or two "=") with the
// unused low bits of its last data character set: it decodes to the same
// bytes, but is not what AuthValue produces.
func strayBits(v string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	data := strings.TrimRight(v, "=")
	i := strings.IndexByte(alphabet, data[len(data)-1])
	return data[:len(data)-1] + string(alphabet[i|1]) + v[len(data):]
}

func TestSignRoundTrip(t *testing.T) {
	t.Parallel()
	c := appapi.Credentials{AppID: appID, AppVersion: "1.2.3", AAVersion: "32.0.0", Secret: secret}
	h := http.Header{}
	c.Sign(h, "alice")
	h.Set(appapi.HeaderRequestID, "req-1")
	id, err := appapi.NewVerifier(appID, secret).Verify(h)
	if err != nil {
		t.Fatalf("Verify(Sign()) = %v; want nil", err)
	}
	if id.UserID != "alice" || id.AppVersion != "1.2.3" || id.AAVersion != "32.0.0" || id.RequestID != "req-1" {
		t.Errorf("Identity = %+v", id)
	}
}

// TestVerifyRemembersOnlyGoodValues: the fast path for a repeated value must
// not let a different (wrong) value through, nor survive a wrong app id.
func TestVerifyRemembersOnlyGoodValues(t *testing.T) {
	t.Parallel()
	v := appapi.NewVerifier(appID, secret)
	good := http.Header{}
	appapi.Credentials{AppID: appID, AppVersion: "1", Secret: secret}.Sign(good, "admin")
	for i := 0; i < 2; i++ {
		if id, err := v.Verify(good); err != nil || id.UserID != "admin" {
			t.Fatalf("pass %d: %v %q", i, err, id.UserID)
		}
	}
	bad := good.Clone()
	bad.Set(appapi.HeaderAuth, appapi.AuthValue("admin", "secreT"+secret[6:]))
	if _, err := v.Verify(bad); !errors.Is(err, appapi.ErrBadSecret) {
		t.Errorf("same-length wrong secret after a good one = %v", err)
	}
	wrongApp := good.Clone()
	wrongApp.Set(appapi.HeaderAppID, "other")
	if _, err := v.Verify(wrongApp); !errors.Is(err, appapi.ErrWrongApp) {
		t.Errorf("remembered value with another app id = %v", err)
	}
}
