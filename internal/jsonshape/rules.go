package jsonshape

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Kind is what a route's answer is: one object, or a page of items.
type Kind int

const (
	// Object: a JSON object.
	Object Kind = iota + 1
	// Page: a JSON array, or an object with a "results" array (DRF's
	// pagination classes all answer that way; "count" is optional because
	// CursorPagination has none).
	Page
)

func (k Kind) String() string {
	switch k {
	case Object:
		return "object"
	case Page:
		return "page"
	}
	return "any"
}

// VersionMember is the body member that declares the schema version.
const VersionMember = "schema_version"

// Rules are the generic checks of one route.
type Rules struct {
	Kind Kind
	// RequireVersion: the body must declare schema_version, consistent with
	// the X-Schema-Version header when one is sent. (Other routes' answers
	// may carry any schema_version member: it is the record's to have.)
	RequireVersion bool
}

// Check applies r to an answer's body and X-Schema-Version header. A failure
// is an UPSTREAM_BAD_RESPONSE *envelope.Error whose message says what rule
// the answer broke.
func (r Rules) Check(header string, body []byte) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || !json.Valid(t) {
		return bad("something that is not JSON")
	}
	switch r.Kind {
	case Object:
		if t[0] != '{' {
			return bad("a JSON " + jsonKind(t[0]) + " where an object was expected")
		}
	case Page:
		if err := checkPage(t); err != nil {
			return err
		}
	}
	if !r.RequireVersion {
		return nil
	}
	v, inBody, err := Declared(header, t)
	switch {
	case err != nil:
		return err
	case !inBody:
		return envelope.New(envelope.CodeUpstreamBadResponse,
			`The farm service answered without "schema_version"; this route needs the version the answer was written for.`)
	case v == "":
		return bad(`an empty "schema_version"`)
	}
	return nil
}

func bad(what string) *envelope.Error {
	return envelope.New(envelope.CodeUpstreamBadResponse, "The farm service answered with "+what+".")
}

func jsonKind(first byte) string {
	switch first {
	case '{':
		return "object"
	case '[':
		return "list"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// checkPage accepts a list, or an object whose "results" is a list.
func checkPage(t []byte) error {
	switch t[0] {
	case '[':
		return nil
	case '{':
	default:
		return bad("a JSON " + jsonKind(t[0]) + " where a page of results was expected")
	}
	raw, found, err := topMember(t, "results")
	if err != nil {
		return bad("something that is not JSON")
	}
	if !found {
		return bad(`an object without a "results" list where a page was expected`)
	}
	if r := bytes.TrimSpace(raw); len(r) == 0 || r[0] != '[' {
		return bad(`a page whose "results" is not a list`)
	}
	return nil
}

// topMember returns the raw value of member name of the JSON object t,
// scanning only the top level.
func topMember(t []byte, name string) (json.RawMessage, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(t))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false, errors.New("not an object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false, err
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false, err
		}
		if key == name {
			return raw, true, nil
		}
	}
	if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	return nil, false, nil
}
