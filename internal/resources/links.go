package resources

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strings"

	"github.com/weather-apis/weather_apis/internal/routetable"
)

// Links: the upstream's address never appears in an answer. DRF writes
// absolute URLs into its answers (the "next" and "previous" links of
// pagination, HyperlinkedModelSerializer's "url" members) built from the
// address weather_apis called it at, which no client can follow. Every
// JSON string that starts with that address is rewritten:
//
//   - "next" and "previous" at the top of a page become a relative
//     reference holding only the query ("?page=2"): resolved against the
//     URL the client called (the AppAPI proxy URL, whatever its prefix), it
//     is weather_apis' own route with the same query. Parameters the route
//     does not take are dropped.
//   - any other such URL becomes the path of the weather_apis route that
//     serves the same resource ("/api/v1/admin/farms/7", relative to the
//     ExApp's base), or, when no route serves it, the upstream path alone.
//
// The body is re-encoded compactly with its member order kept; it is left
// untouched when it holds no such string.
type linkRewriter struct {
	origins [][]byte // "http://host:port" and its JSON-escaped form
	base    string   // the upstream URL's path prefix ("" or "/drf")
}

func newLinkRewriter(upstreamURL string) *linkRewriter {
	u, err := url.Parse(strings.TrimRight(upstreamURL, "/"))
	if err != nil || u.Host == "" {
		return nil
	}
	origin := u.Scheme + "://" + u.Host
	return &linkRewriter{
		origins: [][]byte{[]byte(origin), []byte(strings.ReplaceAll(origin, "/", `\/`))},
		base:    u.Path,
	}
}

// rewrite returns body with the upstream's URLs replaced (see linkRewriter);
// self is the route that answered.
func (l *linkRewriter) rewrite(body []byte, self routetable.Route) []byte {
	if l == nil || !l.mentions(body) {
		return body
	}
	out, err := mapStrings(body, func(depth int, member, s string) string {
		path, q, ok := l.cut(s)
		if !ok {
			return s
		}
		if depth == 1 && (member == "next" || member == "previous") {
			return pageLink(self, q)
		}
		return ourPath(path, q)
	})
	if err != nil {
		return body // not JSON after all: the route's checks refuse it
	}
	return out
}

func (l *linkRewriter) mentions(body []byte) bool {
	for _, o := range l.origins {
		if bytes.Contains(body, o) {
			return true
		}
	}
	return false
}

// cut splits an upstream URL into its path (base removed) and query.
func (l *linkRewriter) cut(s string) (path string, q url.Values, ok bool) {
	origin := string(l.origins[0])
	rest, found := strings.CutPrefix(s, origin)
	if !found || rest != "" && rest[0] != '/' && rest[0] != '?' {
		return "", nil, false
	}
	u, err := url.Parse(rest)
	if err != nil {
		return strings.TrimPrefix(rest, l.base), nil, true
	}
	return strings.TrimPrefix(u.Path, l.base), u.Query(), true
}

// pageLink is "?query" with the parameters route takes, in their canonical
// form; "?" alone when none is left.
func pageLink(route routetable.Route, q url.Values) string {
	keep := url.Values{}
	for k, vs := range q {
		if len(vs) == 0 {
			continue
		}
		one := url.Values{k: vs[:1]}
		if c, err := route.CanonicalQuery(one); err == nil {
			for ck, cv := range c {
				keep[ck] = cv
			}
		}
	}
	return "?" + keep.Encode()
}

// linkTargets are the routes an upstream URL can be mapped to: the GET
// read routes.
var linkTargets = func() []routetable.Route {
	var out []routetable.Route
	for _, r := range routetable.Routes() {
		if r.Kind == routetable.Read && r.Upstream.Method == "GET" {
			out = append(out, r)
		}
	}
	return out
}()

// ourPath maps an upstream path to the weather_apis read route serving it.
func ourPath(path string, q url.Values) string {
	for _, r := range linkTargets {
		id, ok := r.MatchUpstream(path)
		if !ok {
			continue
		}
		if r.HasID() {
			cid, err := r.CanonicalID(id)
			if err != nil {
				continue
			}
			id = cid
		}
		p := strings.ReplaceAll(r.Path, ":id", id)
		if cq, err := r.CanonicalQuery(q); err == nil && len(cq) > 0 {
			p += "?" + cq.Encode()
		}
		return p
	}
	if len(q) > 0 {
		return path + "?" + q.Encode()
	}
	return path
}

// mapStrings re-encodes the JSON value body compactly, member order kept,
// passing every string value (not member names) through f with its depth
// (1 = a member of the top-level object) and member name ("" in lists).
func mapStrings(body []byte, f func(depth int, member, s string) string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	out.Grow(len(body))
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	type frame struct {
		object, first, wantKey bool
		member                 string
	}
	var stack []frame
	writeString := func(s string) {
		_ = enc.Encode(s)
		out.Truncate(out.Len() - 1) // Encode's newline
	}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(d))
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].wantKey = true
			}
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			if !top.first {
				out.WriteByte(',')
			}
			top.first = false
			top.member = tok.(string)
			writeString(top.member)
			out.WriteByte(':')
			top.wantKey = false
			continue
		}
		if top != nil && !top.object {
			if !top.first {
				out.WriteByte(',')
			}
			top.first = false
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			stack = append(stack, frame{object: t == '{', first: true, wantKey: t == '{'})
			continue
		case string:
			member := ""
			if top != nil && top.object {
				member = top.member
			}
			writeString(f(len(stack), member, t))
		case json.Number:
			out.WriteString(t.String())
		case bool:
			if t {
				out.WriteString("true")
			} else {
				out.WriteString("false")
			}
		case nil:
			out.WriteString("null")
		}
		if top != nil && top.object {
			top.wantKey = true
		}
	}
	return out.Bytes(), nil
}
