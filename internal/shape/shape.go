// Package shape holds the shape checks of the cached upstream routes.
//
// A check is a Validator: it returns the upstream schema version the body
// declares ("" when the body carries none) or an *envelope.Error with code
// UPSTREAM_BAD_RESPONSE whose message names the route and the exact member
// that is wrong. The cache runs a route's check before it stores an answer and
// again on every read from Redis, so a body of the wrong shape is never served
// from the cache. Checks are structural: unknown members and unknown farm
// field types are accepted (the UI degrades them); missing or mistyped members
// the UI relies on are not.
package shape

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Validator checks body and returns the schema version it declares.
type Validator func(body []byte) (schemaVersion string, err error)

// object is a decoded JSON object whose members are still raw.
type object map[string]json.RawMessage

// bad returns the UPSTREAM_BAD_RESPONSE error for what in the body of route.
func bad(what, format string, args ...any) *envelope.Error {
	return envelope.New(envelope.CodeUpstreamBadResponse,
		"The farm service answered with an unexpected "+what+": "+fmt.Sprintf(format, args...)+".")
}

// decodeObject decodes raw as a JSON object; where names the value in errors.
func decodeObject(what, where string, raw []byte) (object, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, bad(what, "%s is not a JSON object", where)
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, bad(what, "%s is not valid JSON", where)
	}
	return o, nil
}

// decodeArray decodes raw as a JSON array.
func decodeArray(what, where string, raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		return nil, bad(what, "%q is not an array", where)
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, bad(what, "%q is not a valid array", where)
	}
	return a, nil
}

// member returns o[name] or an error naming path when it is absent.
func member(what string, o object, name, path string) (json.RawMessage, error) {
	v, ok := o[name]
	if !ok {
		return nil, bad(what, "%q is missing", path)
	}
	return v, nil
}

// kind classifies a raw JSON value by its first byte.
func kind(raw json.RawMessage) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; {
	case c == '"', c == '{', c == '[', c == 'n', c == 't', c == 'f':
		return c
	case c == '-' || (c >= '0' && c <= '9'):
		return '0'
	}
	return 0
}

// nonEmptyString checks that o[name] is a non-empty JSON string.
func nonEmptyString(what string, o object, name, path string) error {
	v, err := member(what, o, name, path)
	if err != nil {
		return err
	}
	var s string
	if kind(v) != '"' || json.Unmarshal(v, &s) != nil || s == "" {
		return bad(what, "%q must be a non-empty string", path)
	}
	return nil
}

// number checks that o[name] is a JSON number.
func number(what string, o object, name, path string) error {
	v, err := member(what, o, name, path)
	if err != nil {
		return err
	}
	if kind(v) != '0' {
		return bad(what, "%q must be a number", path)
	}
	return nil
}

// identifier checks that o[name] is a number or a non-empty string (DRF
// primary keys are integers by default, UUID strings in some projects).
func identifier(what string, o object, name, path string) error {
	v, err := member(what, o, name, path)
	if err != nil {
		return err
	}
	switch kind(v) {
	case '0':
		return nil
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			return nil
		}
	}
	return bad(what, "%q must be a number or a non-empty string", path)
}

// schemaVersionOf returns the declared schema_version as a string: a JSON
// integer as its decimal form, a JSON string as is.
func schemaVersionOf(what string, o object) (string, error) {
	v, err := member(what, o, "schema_version", "schema_version")
	if err != nil {
		return "", err
	}
	switch kind(v) {
	case '"':
		var s string
		if json.Unmarshal(v, &s) == nil && s != "" {
			return s, nil
		}
	case '0':
		if n, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err == nil {
			return strconv.FormatInt(n, 10), nil
		}
	}
	return "", bad(what, `"schema_version" must be an integer or a non-empty string`)
}

// drfPage checks a DRF page {"count": int, "next", "previous", "results": [...]}
// and calls item for every element of results.
func drfPage(what string, body []byte, item func(o object, path string) error) error {
	o, err := decodeObject(what, "the body", body)
	if err != nil {
		return err
	}
	c, err := member(what, o, "count", "count")
	if err != nil {
		return err
	}
	if _, perr := strconv.ParseInt(string(bytes.TrimSpace(c)), 10, 64); kind(c) != '0' || perr != nil {
		return bad(what, `"count" must be an integer`)
	}
	for _, link := range []string{"next", "previous"} {
		if v, ok := o[link]; ok && kind(v) != 'n' && kind(v) != '"' {
			return bad(what, "%q must be a string or null", link)
		}
	}
	r, err := member(what, o, "results", "results")
	if err != nil {
		return err
	}
	items, err := decodeArray(what, "results", r)
	if err != nil {
		return err
	}
	for i, raw := range items {
		path := "results[" + strconv.Itoa(i) + "]"
		io, err := decodeObject(what, strconv.Quote(path), raw)
		if err != nil {
			return err
		}
		if item != nil {
			if err := item(io, path); err != nil {
				return err
			}
		}
	}
	return nil
}
