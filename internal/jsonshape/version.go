package jsonshape

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Declared returns the schema version an answer declares: its body's
// top-level "schema_version" when the body is an object that has one
// (inBody true), else the X-Schema-Version header, else "". Both are put
// in canonical form (Canonical) before they are compared.
//
// err is an UPSTREAM_BAD_RESPONSE when the body's member is not a usable
// version (null, boolean, object, list, empty string) or when body and
// header disagree; v is then still the version to believe (the header's
// when the body's is unusable, the body's when they disagree), so that a
// new version is acted on even when the answer itself is refused.
func Declared(header string, body []byte) (v string, inBody bool, err error) {
	hv := Canonical(header)
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' {
		return hv, false, nil
	}
	raw, found, derr := topMember(t, VersionMember)
	if derr != nil || !found {
		return hv, false, nil
	}
	bv, ok := versionValue(raw)
	if !ok {
		return hv, false, bad(`a "schema_version" that is not a number or a non-empty string`)
	}
	if hv != "" && hv != bv {
		return bv, true, envelope.Errorf(envelope.CodeUpstreamBadResponse,
			"The farm service's answer declares schema_version %s, but its X-Schema-Version header says %s.", bv, hv)
	}
	return bv, true, nil
}

// versionValue reads a JSON number or non-empty string as a version.
func versionValue(raw json.RawMessage) (string, bool) {
	r := bytes.TrimSpace(raw)
	if len(r) == 0 {
		return "", false
	}
	switch r[0] {
	case '"':
		var s string
		if json.Unmarshal(r, &s) != nil {
			return "", false
		}
		v := Canonical(s)
		return v, v != ""
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return canonicalNumber(string(r)), true
	}
	return "", false
}

// Canonical is the one normal form of a schema version: surrounding space
// removed; a decimal number (as a JSON number or a string such as "2.0")
// written without a fraction when it has none ("2"), else in its shortest
// decimal form ("2.5"); any other string unchanged ("2024-06", "v3").
func Canonical(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if isDecimal(s) {
		return canonicalNumber(s)
	}
	return s
}

// isDecimal reports whether s is -?digits(.digits)? (no exponent, no sign
// other than a leading minus): version strings, not arbitrary numbers.
func isDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	return allDigits(intPart) && (!hasFrac || allDigits(frac))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// canonicalNumber formats a JSON number: integral values as integers.
func canonicalNumber(s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return s
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
