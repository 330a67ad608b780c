package upstreamcontract

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Result is the outcome of one Check.
type Result struct {
	// Described is false when the document says nothing about this answer
	// (no operation, no response for the status and no "default", or no
	// application/json schema): that is not a violation.
	Described bool
	// Operation is the matched operation with its path template,
	// "GET /api/v1/farms/{id}/state", or "" when no operation matched.
	Operation string
	// Violation is the first value of the body that breaks the schema, nil
	// when the body conforms or the answer is not described.
	Violation *Violation
}

// Violation names the first value of a body that breaks its schema. Both
// fields are safe to show to clients: they never quote the body's values.
type Violation struct {
	Pointer string // RFC 6901 JSON pointer into the body of the first failing value, "" for the root
	Message string // short, client-safe, e.g. `value must be a number` / `property "farm" is missing`
}

// Error returns "<pointer>: <message>".
func (v *Violation) Error() string { return v.Pointer + ": " + v.Message }

// maxMessage bounds Violation.Message (an enum's reason lists its values).
const maxMessage = 200

// Check validates one upstream answer. method and path are the request actually sent upstream
// (path without query, e.g. "/api/v1/farms/7/state"); path templates of the document
// ("/api/v1/farms/{id}/state") are matched segment by segment, with and without the servers' base path.
// A result with Described false means the document says nothing about this answer (no operation,
// no response for the status and no "default", or no application/json schema): not a violation.
//
// Literal segments win over templated ones, and a trailing slash is part of
// the path, as in Django's URL resolver. A body that is not JSON breaks a
// described answer at the root. Check never panics: should kin-openapi panic
// on a schema, the answer counts as not described.
func (c *Contract) Check(method, path string, status int, body []byte) (res Result) {
	o := c.lookup(method, path)
	if o == nil {
		return Result{}
	}
	res.Operation = o.name
	schema := o.schemaFor(status)
	if schema == nil {
		return res
	}
	defer func() {
		if p := recover(); p != nil {
			c.panics.Add(1)
			res = Result{Operation: o.name}
		}
	}()
	res.Described = true
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		res.Violation = &Violation{Message: "body is not valid JSON"}
		return res
	}
	if err := schema.VisitJSON(value, c.opts...); err != nil {
		res.Violation = violationOf(err)
	}
	return res
}

// violationOf turns kin-openapi's first SchemaError into a Violation.
func violationOf(err error) *Violation {
	se := firstSchemaError(err)
	if se == nil {
		return &Violation{Message: "value does not match the schema"}
	}
	// Every branch of an allOf must hold: the first failing one is precise.
	// kin-openapi marks the branches' errors with the outer path too.
	for se.SchemaField == "allOf" {
		var inner *openapi3.SchemaError
		if se.Origin == nil || !errors.As(se.Origin, &inner) {
			break
		}
		se = inner
	}
	tokens := se.JSONPointer()
	if se.SchemaField == "required" && len(tokens) > 0 {
		tokens = tokens[:len(tokens)-1] // kin-openapi points at the missing member; we point at its parent
	}
	return &Violation{Pointer: pointer(tokens), Message: message(se)}
}

// firstSchemaError returns the outermost *openapi3.SchemaError of err, the
// first one of a MultiError. A SchemaError of oneOf/anyOf/allOf wraps those of
// its branches (Origin); the outer one describes the value as a whole.
func firstSchemaError(err error) *openapi3.SchemaError {
	switch e := err.(type) {
	case *openapi3.SchemaError:
		return e
	case openapi3.MultiError:
		for _, sub := range e {
			if se := firstSchemaError(sub); se != nil {
				return se
			}
		}
		return nil
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

// message is the client-safe reason of se.
func message(se *openapi3.SchemaError) string {
	msg := se.Reason
	switch {
	case se.SchemaField == "format" && se.Schema != nil && se.Schema.Format != "":
		msg = fmt.Sprintf("value doesn't match the format %q", se.Schema.Format)
	case se.SchemaField == "nullable":
		msg = "value must not be null"
	case msg == "":
		msg = fmt.Sprintf("value doesn't match the schema (%s)", se.SchemaField)
	}
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
	}
	return msg
}

// tokenEscaper escapes a reference token (RFC 6901, section 3).
var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// pointer encodes reference tokens as an RFC 6901 JSON pointer.
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(tokenEscaper.Replace(t))
	}
	return b.String()
}
