package upstreamcontract

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// saysNothing tells whether a response schema carries no information: {} or,
// in an OpenAPI 3.0 document, {"type": "array", "items": {}} and nothing else.
// DRF writes the latter for the GET of any APIView without a serializer whose
// path does not end in a parameter (rest_framework/schemas/utils.py,
// is_list_view; rest_framework/schemas/openapi.py, AutoSchema.get_responses),
// whatever the view answers. It must be called before relax, which adds
// keywords.
func saysNothing(s *openapi3.Schema, oas30 bool) bool {
	if s.IsEmpty() {
		return true
	}
	if !oas30 || !s.Type.Is(openapi3.TypeArray) || s.Items == nil || s.Items.Value == nil || !s.Items.Value.IsEmpty() {
		return false
	}
	c := *s
	c.Type, c.Items = nil, nil
	return c.IsEmpty()
}

// relaxer rewrites a loaded schema graph, once, before any Check, so that
// kin-openapi's validator applies the tolerance the package doc describes.
// It visits every schema once, however many $refs lead to it.
type relaxer struct {
	oas30      bool
	seen       map[*openapi3.Schema]bool
	unchecked  map[string]bool // OpenAPI 3.1 keywords the built-in validator skips
	badPattern []string        // warnings
}

func newRelaxer(oas30 bool) *relaxer {
	return &relaxer{oas30: oas30, seen: make(map[*openapi3.Schema]bool), unchecked: make(map[string]bool)}
}

// warnings lists what the relaxer could not check, sorted.
func (r *relaxer) warnings() []string {
	out := append([]string(nil), r.badPattern...)
	if len(r.unchecked) > 0 {
		kws := make([]string, 0, len(r.unchecked))
		for k := range r.unchecked {
			kws = append(kws, k)
		}
		sort.Strings(kws)
		out = append(out, fmt.Sprintf("schemas use keywords that are not checked: %v", kws))
	}
	sort.Strings(out)
	return out
}

func (r *relaxer) walkRef(ref *openapi3.SchemaRef) {
	if ref != nil {
		r.walk(ref.Value)
	}
}

func (r *relaxer) walkRefs(refs openapi3.SchemaRefs) {
	for _, ref := range refs {
		r.walkRef(ref)
	}
}

func (r *relaxer) walk(s *openapi3.Schema) {
	if s == nil || r.seen[s] {
		return
	}
	r.seen[s] = true

	if s.Pattern != "" {
		if _, err := regexp.Compile(goRegexp(s.Pattern)); err != nil {
			r.badPattern = append(r.badPattern, fmt.Sprintf("pattern %q is not supported by Go's regexp and is not checked", s.Pattern))
			s.Pattern = ""
		}
	}
	if s.Const != nil && len(s.Enum) == 0 {
		s.Enum = []any{s.Const}
	}
	r.noteUnchecked(s)

	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := s.Properties[name]
		if p == nil || p.Value == nil {
			continue
		}
		if r.oas30 && p.Ref == "" && !r.seen[p.Value] {
			relaxDRFProperty(p.Value)
		}
		r.walk(p.Value)
	}
	r.walkRef(s.Items)
	r.walkRef(s.AdditionalProperties.Schema)
	r.walkRefs(s.AllOf)
	r.walkRefs(s.AnyOf)
	r.walkRefs(s.OneOf)
	r.walkRef(s.Not)

	if s.Type.IsEmpty() && !s.Nullable && s.Always == nil && len(s.Enum) == 0 &&
		len(s.AllOf) == 0 && len(s.AnyOf) == 0 && len(s.OneOf) == 0 && s.Not == nil {
		// OpenAPI 3.0.3: nullable only adds null to an explicit type;
		// JSON Schema 2020-12: {} accepts null. kin-openapi rejects null here.
		s.Nullable = true
	}
}

// noteUnchecked records the JSON Schema 2020-12 keywords of s that
// kin-openapi's built-in validator (openapi3/schema_3point0_validator.go)
// does not evaluate.
func (r *relaxer) noteUnchecked(s *openapi3.Schema) {
	mark := func(used bool, kw string) {
		if used {
			r.unchecked[kw] = true
		}
	}
	mark(len(s.PrefixItems) > 0, "prefixItems")
	mark(s.Contains != nil, "contains")
	mark(len(s.PatternProperties) > 0, "patternProperties")
	mark(s.PropertyNames != nil, "propertyNames")
	mark(len(s.DependentRequired) > 0, "dependentRequired")
	mark(len(s.DependentSchemas) > 0, "dependentSchemas")
	mark(s.If != nil || s.Then != nil || s.Else != nil, "if/then/else")
	mark(s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil, "unevaluatedItems")
	mark(s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil, "unevaluatedProperties")
}

// relaxDRFProperty undoes two guesses DRF's generator makes about what a
// serializer field renders (OpenAPI 3.0 documents only, inline properties):
//
//   - AutoSchema.map_field (rest_framework/schemas/openapi.py) types a field it
//     cannot type as "string" (SerializerMethodField and ReadOnlyField, which
//     map_serializer marks readOnly) and a JSONField as "object", though it
//     holds any JSON value: such a bare schema loses its type.
//   - Serializer.to_representation (rest_framework/serializers.py) renders a
//     field whose attribute is None as null without asking allow_null, the only
//     source of "nullable" in the document: a readOnly property, never
//     validated on input, may therefore be null.
func relaxDRFProperty(p *openapi3.Schema) {
	if ((p.Type.Is(openapi3.TypeString) && p.ReadOnly) || p.Type.Is(openapi3.TypeObject)) && bare(p) {
		p.Type = nil
	}
	if p.ReadOnly {
		p.Nullable = true
	}
}

// bare tells whether p has no keyword besides type, readOnly and nullable
// (and annotations such as description, default or example).
func bare(p *openapi3.Schema) bool {
	c := *p
	c.Type, c.ReadOnly, c.Nullable = nil, false, false
	return c.IsEmpty() && c.Properties == nil
}

// goRegexp mirrors kin-openapi's rewrite of a pattern before compiling it
// with Go's regexp (openapi3/schema_pattern.go, intoGoRegexp): \uXXXX
// becomes \x{XXXX}.
func goRegexp(pattern string) string {
	return codepoint.ReplaceAllString(pattern, `\x{${code}}`)
}

var codepoint = regexp.MustCompile(`\\u(?P<code>[0-9A-F]{4})`)
