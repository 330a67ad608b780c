package appapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/weather-apis/weather_apis/internal/appapi"
)

// FuzzAppAPIHeader: the AUTHORIZATION-APP-API parser never panics, refuses
// with ErrOversized or ErrMalformed only, and accepts only the canonical
// base64 of "user:secret" (a user without ":" or control characters): what
// it accepts, AuthValue gives back byte for byte. Verify with the value
// never panics and succeeds only for the configured secret.
func FuzzAppAPIHeader(f *testing.F) {
	good := appapi.AuthValue("admin", secret)
	for _, s := range []string{
		good, appapi.AuthValue("", secret), appapi.AuthValue("a:b", "c"), appapi.AuthValue("admin", ""),
		"", "Og==", "YWRtaW4=", good[:8] + "\r\n" + good[8:], strayBits(good), strings.TrimRight(good, "="),
		"%%%not-base64", good + "!", strings.Repeat("QUFB", appapi.MaxAuthHeaderLen/4+1),
	} {
		f.Add(s)
	}
	v := appapi.NewVerifier(appID, secret)
	f.Fuzz(func(t *testing.T, value string) {
		user, sec, err := appapi.ParseAuthValue(value)
		if err != nil {
			if !errors.Is(err, appapi.ErrMalformed) && !errors.Is(err, appapi.ErrOversized) {
				t.Fatalf("ParseAuthValue(%q) error = %v; want ErrMalformed or ErrOversized", value, err)
			}
			if user != "" || sec != "" {
				t.Fatalf("ParseAuthValue(%q) refused but returned %q, %q", value, user, sec)
			}
		} else {
			if got := appapi.AuthValue(user, sec); got != value {
				t.Fatalf("ParseAuthValue(%q) = %q, %q; AuthValue gives %q", value, user, sec, got)
			}
			if len(value) > appapi.MaxAuthHeaderLen || strings.Contains(user, ":") || !utf8.ValidString(user) ||
				strings.IndexFunc(user, unicode.IsControl) >= 0 {
				t.Fatalf("ParseAuthValue(%q) accepted user %q", value, user)
			}
		}
		h := http.Header{}
		h.Set(appapi.HeaderAppID, appID)
		h.Set(appapi.HeaderAppVersion, "1.0.0")
		h[http.CanonicalHeaderKey(appapi.HeaderAuth)] = []string{value}
		id, verr := v.Verify(h)
		if verr == nil && (err != nil || sec != secret || id.UserID != user) {
			t.Fatalf("Verify accepted %q (user %q, parse error %v)", value, id.UserID, err)
		}
		if verr != nil && err == nil && sec == secret && value != "" {
			t.Fatalf("Verify refused a well-formed value with the right secret: %v", verr)
		}
	})
}
