package upstreamcontract

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
)

// Contract is a parsed upstream OpenAPI document, safe for concurrent use.
// Nothing in it changes after Parse.
type Contract struct {
	hash       string
	warnings   []string
	operations int
	router     *router
	ops        map[string]map[string]*operation // path template → method → operation
	opts       []openapi3.SchemaValidationOption

	// panics counts the kin-openapi panics Check recovered from (see Check).
	panics atomic.Int64
}

// Parse reads an OpenAPI 3.0.x or 3.1 document (JSON or YAML). It fails only when the document
// cannot be used at all (not OpenAPI, no paths); anything kin-openapi's strict validation
// dislikes but that still loads is tolerated and listed in Warnings().
//
// A document that does not load in kin-openapi (malformed JSON or YAML, a
// $ref that does not resolve, an external $ref, which is never fetched) cannot
// be used either.
func Parse(doc []byte) (c *Contract, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("upstreamcontract: cannot load OpenAPI document: %v", p)
		}
	}()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	t, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("upstreamcontract: cannot load OpenAPI document: %w", err)
	}
	if !strings.HasPrefix(t.OpenAPI, "3.") {
		return nil, fmt.Errorf("upstreamcontract: not an OpenAPI 3 document (openapi: %q)", t.OpenAPI)
	}
	if t.Paths == nil || t.Paths.Len() == 0 {
		return nil, errors.New("upstreamcontract: the document describes no paths")
	}

	c = &Contract{
		ops:  make(map[string]map[string]*operation),
		opts: []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.DisableSchemaErrorDetails()},
	}
	if canon, err := canonicalJSON(doc); err == nil {
		c.hash = digest(canon)
	} else {
		c.hash = digest(doc)
		c.warnings = append(c.warnings, "hash is of the raw bytes: "+err.Error())
	}
	// Validate before relaxing: the warnings are about the document as written.
	if err := t.Validate(context.Background(), openapi3.EnableMultiError()); err != nil {
		c.warnings = append(c.warnings, flatten(err)...)
	}

	oas30 := !t.IsOpenAPI31OrLater()
	var templates, unresolved []string
	for p, item := range t.Paths.Map() {
		if item == nil {
			continue
		}
		templates = append(templates, p)
		c.ops[p] = make(map[string]*operation)
		for method, op := range item.Operations() {
			if op != nil {
				c.operations++
				c.ops[p][method] = newOperation(method+" "+p, op, oas30, &unresolved)
			}
		}
	}
	// Relax only once every response was judged by saysNothing, which the
	// keywords relaxing adds would fool.
	relax := newRelaxer(oas30)
	for _, methods := range c.ops {
		for _, o := range methods {
			o.eachSchema(relax.walk)
		}
	}
	c.warnings = append(c.warnings, unresolved...)
	c.warnings = append(c.warnings, relax.warnings()...)
	sort.Strings(c.warnings)
	c.warnings = slices.Compact(c.warnings)
	c.router = newRouter(templates, basePaths(t.Servers))
	return c, nil
}

// flatten lists the messages of a (multi-)error of kin-openapi's validation.
func flatten(err error) []string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var out []string
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []string{strings.ReplaceAll(err.Error(), "\n", " ")}
}

// Hash is a stable short hex digest (sha256, 16 hex chars) of the document's canonical JSON form:
// the same document with other whitespace or member order has the same hash.
// A YAML document and its JSON rendering have the same hash too.
func (c *Contract) Hash() string { return c.hash }

// Warnings lists, sorted, what kin-openapi's validation found
// wrong with the document and what the checker cannot check. The slice is a
// copy.
func (c *Contract) Warnings() []string { return append([]string(nil), c.warnings...) }

// Operations returns how many operations (path and method pairs) the
// document describes.
func (c *Contract) Operations() int { return c.operations }

// lookup returns the operation of a request, nil when the document has none.
func (c *Contract) lookup(method, path string) *operation {
	t := c.router.find(path)
	if t == nil {
		return nil
	}
	methods := c.ops[t.path]
	if o := methods[method]; o != nil {
		return o
	}
	if m := strings.ToUpper(method); m != method {
		return methods[m]
	}
	return nil
}
