package handlers

import (
	"net/http"
	"slices"
	"strings"
)

// HEAD and Allow (RFC 9110 §9.3.2, §10.2.1): every GET route answers HEAD
// with GET's status and headers and no body, and a 405's Allow lists exactly
// the methods that would not be answered 405 on that path.

// allowedMethods returns the methods routed on path, in a fixed order, HEAD
// after GET. It matches path against each route's pattern segment by
// segment, as the router's per-method trees do: a static segment matches
// itself, ":name" any one non-empty segment, "*name" the rest. (gin's own
// Allow header also names methods whose tree only shares a prefix with
// path, e.g. POST for /api/v1/admin/farms/schema.)
func (s *Server) allowedMethods(path string) []string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		routed := func(r Route) bool { return r.Method == m && patternMatches(r.Path, path) }
		if slices.ContainsFunc(s.routes, routed) || slices.ContainsFunc(s.fixedRoutes, routed) {
			out = append(out, m)
			if m == http.MethodGet {
				out = append(out, http.MethodHead)
			}
		}
	}
	return out
}

// patternMatches reports whether path matches a router pattern.
func patternMatches(pattern, path string) bool {
	for {
		pseg, prest, pmore := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
		if strings.HasPrefix(pseg, "*") {
			return strings.HasPrefix(path, "/")
		}
		if !strings.HasPrefix(path, "/") {
			return false
		}
		seg, rest, more := strings.Cut(path[1:], "/")
		switch {
		case strings.HasPrefix(pseg, ":"):
			if seg == "" {
				return false
			}
		case pseg != seg:
			return false
		}
		if !pmore || !more {
			return pmore == more
		}
		pattern, path = "/"+prest, "/"+rest
	}
}
