package upstreamcontract

import (
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// segKind orders segment kinds by precedence: a literal segment beats a
// segment mixing text and parameters ("v{n}"), which beats a bare parameter.
// OpenAPI 3: "concrete (non-templated) paths would be matched before their
// templated counterparts".
type segKind uint8

const (
	segLiteral segKind = iota
	segMixed
	segParam
)

// segment is one "/"-separated piece of a path template.
type segment struct {
	kind    segKind
	literal string         // segLiteral
	mixed   *regexp.Regexp // segMixed: anchored, one non-empty group per parameter
}

// template is one path of the document, ready to match request paths.
type template struct {
	path string // as written in the document, e.g. "/api/v1/farms/{id}/"
	segs []segment
}

// compileTemplate splits p on "/". An empty piece stays a literal empty
// segment, so "/farms/" (trailing slash) and "/farms" are different paths,
// as they are to Django's URL resolver.
func compileTemplate(p string) template {
	pieces := strings.Split(p, "/")
	t := template{path: p, segs: make([]segment, len(pieces))}
	for i, piece := range pieces {
		t.segs[i] = compileSegment(piece)
	}
	return t
}

func compileSegment(piece string) segment {
	open := strings.IndexByte(piece, '{')
	if open < 0 || strings.IndexByte(piece[open:], '}') < 0 {
		return segment{kind: segLiteral, literal: piece}
	}
	if open == 0 && strings.IndexByte(piece, '}') == len(piece)-1 && strings.Count(piece, "{") == 1 {
		return segment{kind: segParam}
	}
	var re strings.Builder
	re.WriteString("^")
	rest := piece
	for {
		o := strings.IndexByte(rest, '{')
		if o < 0 {
			break
		}
		c := strings.IndexByte(rest[o:], '}')
		if c < 0 {
			break
		}
		re.WriteString(regexp.QuoteMeta(rest[:o]))
		re.WriteString("(.+?)")
		rest = rest[o+c+1:]
	}
	re.WriteString(regexp.QuoteMeta(rest))
	re.WriteString("$")
	return segment{kind: segMixed, mixed: regexp.MustCompile(re.String())}
}

// match tells whether the request path, split on "/", fits t.
func (t *template) match(reqSegs []string) bool {
	if len(reqSegs) != len(t.segs) {
		return false
	}
	for i, s := range t.segs {
		got := reqSegs[i]
		switch s.kind {
		case segLiteral:
			if got != s.literal && unescape(got) != s.literal {
				return false
			}
		case segParam:
			if got == "" {
				return false
			}
		case segMixed:
			if !s.mixed.MatchString(got) {
				return false
			}
		}
	}
	return true
}

// moreSpecific tells whether t wins over u when both match: at the first
// segment whose kinds differ, the lower kind (literal) wins; ties go to the
// lexically smaller template so the choice never depends on map order.
func (t *template) moreSpecific(u *template) bool {
	for i := range t.segs {
		if a, b := t.segs[i].kind, u.segs[i].kind; a != b {
			return a < b
		}
	}
	return t.path < u.path
}

// unescape percent-decodes a request segment, or returns it as it is.
func unescape(seg string) string {
	if !strings.Contains(seg, "%") {
		return seg
	}
	if u, err := url.PathUnescape(seg); err == nil {
		return u
	}
	return seg
}

// router finds the template of a request path.
type router struct {
	bySegs    map[int][]*template // by number of segments
	basePaths []string            // servers' paths, without trailing "/", longest first
}

func newRouter(paths []string, basePaths []string) *router {
	r := &router{bySegs: make(map[int][]*template)}
	sort.Strings(paths)
	for _, p := range paths {
		t := compileTemplate(p)
		r.bySegs[len(t.segs)] = append(r.bySegs[len(t.segs)], &t)
	}
	r.basePaths = basePaths
	return r
}

// find returns the most specific template matching path, trying path as
// sent, then path without each server base path.
func (r *router) find(path string) *template {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	if t := r.findExact(path); t != nil {
		return t
	}
	for _, base := range r.basePaths {
		if rest, ok := strings.CutPrefix(path, base); ok && strings.HasPrefix(rest, "/") {
			if t := r.findExact(rest); t != nil {
				return t
			}
		}
	}
	return nil
}

func (r *router) findExact(path string) *template {
	n := strings.Count(path, "/") + 1
	cands := r.bySegs[n]
	if len(cands) == 0 {
		return nil
	}
	segs := strings.Split(path, "/")
	var best *template
	for _, t := range cands {
		if t.match(segs) && (best == nil || t.moreSpecific(best)) {
			best = t
		}
	}
	return best
}

// serverBasePath returns the path part of a server's URL, with its variables
// set to their defaults (openapi3.Server.BasePath) and without a trailing "/";
// "" for the root or a URL that does not parse.
func serverBasePath(s *openapi3.Server) string {
	p, err := s.BasePath()
	if err != nil || !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "{}") {
		return ""
	}
	return strings.TrimRight(p, "/")
}

// basePaths returns the distinct base paths of servers, longest first, so
// that "/api/v1" is tried before "/api".
func basePaths(servers openapi3.Servers) []string {
	var bases []string
	for _, s := range servers {
		if b := serverBasePath(s); b != "" && !slices.Contains(bases, b) {
			bases = append(bases, b)
		}
	}
	sort.Slice(bases, func(i, j int) bool {
		if len(bases[i]) != len(bases[j]) {
			return len(bases[i]) > len(bases[j])
		}
		return bases[i] < bases[j]
	})
	return bases
}
