package upstreamcontract

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// operation is one method of one path, with the JSON schemas of its responses.
// A nil schema stands for a response that says nothing about a JSON body.
type operation struct {
	name   string                    // "GET /api/v1/farms/{id}/"
	exact  map[int]*openapi3.Schema  // "200"
	ranges map[byte]*openapi3.Schema // '2' for "2XX"
	def    *openapi3.Schema          // "default"
}

// schemaFor returns the schema of the response for status, nil when the
// document describes none: the exact code wins over its range ("2XX"), which
// wins over "default" (OpenAPI 3, Responses Object).
func (o *operation) schemaFor(status int) *openapi3.Schema {
	if s, ok := o.exact[status]; ok {
		return s
	}
	if status >= 100 && status <= 599 {
		if s, ok := o.ranges[byte('0'+status/100)]; ok {
			return s
		}
	}
	return o.def
}

// newOperation files the JSON schemas of op's responses. A response schema
// whose $ref did not resolve is noted in unresolved and not checked.
func newOperation(name string, op *openapi3.Operation, oas30 bool, unresolved *[]string) *operation {
	o := &operation{name: name, exact: make(map[int]*openapi3.Schema), ranges: make(map[byte]*openapi3.Schema)}
	if op.Responses == nil {
		return o
	}
	for key, ref := range op.Responses.Map() {
		s, bad := responseSchema(ref, oas30)
		if bad {
			*unresolved = append(*unresolved, fmt.Sprintf("%s response %s: schema did not resolve, not checked", name, key))
		}
		o.setResponse(key, s)
	}
	return o
}

// eachSchema calls f with every response schema of o, nil ones included.
func (o *operation) eachSchema(f func(*openapi3.Schema)) {
	for _, s := range o.exact {
		f(s)
	}
	for _, s := range o.ranges {
		f(s)
	}
	f(o.def)
}

// responseSchema returns the application/json schema of a response, nil when
// there is none or it says nothing (saysNothing); bad reports a schema whose
// $ref did not resolve.
func responseSchema(ref *openapi3.ResponseRef, oas30 bool) (s *openapi3.Schema, bad bool) {
	if ref == nil || ref.Value == nil {
		return nil, ref != nil
	}
	mt := ref.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil, false
	}
	if mt.Schema.Value == nil {
		return nil, true
	}
	if saysNothing(mt.Schema.Value, oas30) {
		return nil, false
	}
	return mt.Schema.Value, false
}

// setResponse files the schema of the response keyed key ("200", "2XX",
// "default"; case-insensitive); other keys are ignored.
func (o *operation) setResponse(key string, s *openapi3.Schema) {
	switch k := strings.ToUpper(key); {
	case k == "DEFAULT":
		o.def = s
	case len(k) == 3 && k[1:] == "XX" && k[0] >= '1' && k[0] <= '5':
		o.ranges[k[0]] = s
	default:
		if code, err := strconv.Atoi(k); err == nil && code >= 100 && code <= 599 {
			o.exact[code] = s
		}
	}
}
