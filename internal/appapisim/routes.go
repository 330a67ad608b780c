package appapisim

import (
	"regexp"
	"strings"
	"sync"
)

// routeMatcher compiles route patterns once per (flavour, url).
type routeMatcher struct {
	mu    sync.Mutex
	cache map[string]*regexp.Regexp // nil value: pattern does not compile
}

func newRouteMatcher() *routeMatcher {
	return &routeMatcher{cache: map[string]*regexp.Regexp{}}
}

// compile returns the RE2 translation of a PCRE/Python pattern, or nil when
// it cannot be expressed (then the route never matches, as a broken pattern
// does in PHP).
func (m *routeMatcher) compile(key, expr string) *regexp.Regexp {
	m.mu.Lock()
	defer m.mu.Unlock()
	if re, ok := m.cache[key]; ok {
		return re
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		re = nil
	}
	m.cache[key] = re
	return re
}

// phpRoute finds the route the PHP proxy uses for path (without leading
// slash) and method, given the caller's access level. ok=false means the
// proxy answers 404 (no match, or access level not met).
func (m *routeMatcher) phpRoute(mode RouteMode, routes []Route, path, method string, level int) (Route, bool) {
	for _, rt := range routes {
		if !strings.Contains(strings.ToLower(rt.Verb), strings.ToLower(method)) {
			continue
		}
		switch mode {
		case RouteGen1:
			// preg_match('/'.url.'/i', path): unanchored; an unescaped "/"
			// ends the pattern early, so PHP fails to compile it.
			if hasUnescapedSlash(rt.URL) {
				continue
			}
			re := m.compile("g1:"+rt.URL, "(?i)"+pcreToRE2(rt.URL))
			if re == nil || !re.MatchString(path) {
				continue
			}
			if level >= rt.AccessLevel {
				return rt, true
			}
			// Access failure falls through to later routes.
		default:
			re := m.compile("g3:"+rt.URL, "(?i)^(?:"+pcreToRE2(rt.URL)+")")
			if re == nil || !(re.MatchString("/"+path) || re.MatchString(path)) {
				continue
			}
			// First path+verb match decides; no fall-through.
			return rt, level >= rt.AccessLevel
		}
	}
	return Route{}, false
}

// harpRoute applies HaRP's check (Python re.match on target_path, which
// starts with "/"; case-sensitive; verbs ignored; first URL match decides).
// It returns the HTTP status HaRP would answer: 0 = pass, 403 or 404.
func (m *routeMatcher) harpRoute(routes []Route, targetPath string, level int) (Route, int) {
	for _, rt := range routes {
		re := m.compile("harp:"+rt.URL, "^(?:"+pcreToRE2(rt.URL)+")")
		if re == nil || !re.MatchString(targetPath) {
			continue
		}
		if rt.AccessLevel == AccessPublic || level >= rt.AccessLevel {
			return rt, 0
		}
		return rt, 403
	}
	return Route{}, 404
}

// hasUnescapedSlash reports whether s has a "/" not preceded by an odd
// number of backslashes.
func hasUnescapedSlash(s string) bool {
	bs := 0
	for _, c := range s {
		switch {
		case c == '\\':
			bs++
			continue
		case c == '/' && bs%2 == 0:
			return true
		}
		bs = 0
	}
	return false
}

// pcreToRE2 translates the few PCRE/Python spellings RE2 lacks:
// \Z (end or before a final newline), \A is shared, (?P<n> and (?<n> are both
// accepted by Go. Unsupported constructs (lookaround, backreferences,
// possessive quantifiers) are left alone so compilation fails.
func pcreToRE2(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 'Z':
				b.WriteString(`(?:\n?\z)`)
				i++
				continue
			}
			b.WriteByte(c)
			b.WriteByte(s[i+1])
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
