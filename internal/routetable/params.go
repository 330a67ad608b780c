package routetable

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// CanonicalID checks id against the route's id type and returns its
// canonical form: "007" and "7" are one resource and one cache entry.
func (r Route) CanonicalID(id string) (string, error) {
	v, ok := canonical(r.Upstream.ID, id)
	if !ok {
		return "", envelope.New(envelope.CodeBadRequest, "The id must be a positive integer.").
			WithDetails(map[string]string{"parameter": "id"})
	}
	return v, nil
}

// CanonicalQuery keeps the route's parameters, checked and canonical: an
// unknown parameter, a repeated one or a value of the wrong type is a 400,
// so the cache key always describes exactly what is asked upstream and a
// malformed value never reaches the backend.
func (r Route) CanonicalQuery(q url.Values) (url.Values, error) {
	if len(q) == 0 {
		return nil, nil
	}
	out := url.Values{}
	for k, vs := range q {
		p, ok := r.param(k)
		if !ok {
			names := make([]string, 0, len(r.Upstream.Query))
			for _, p := range r.Upstream.Query {
				names = append(names, p.Name)
			}
			sort.Strings(names)
			msg := "This route takes no query parameters."
			if len(names) > 0 {
				msg = "Unknown query parameter; allowed: " + strings.Join(names, ", ") + "."
			}
			return nil, envelope.New(envelope.CodeBadRequest, msg).WithDetails(map[string]string{"parameter": k})
		}
		if len(vs) > 1 {
			return nil, envelope.New(envelope.CodeBadRequest, "A query parameter is given more than once.").
				WithDetails(map[string]string{"parameter": k})
		}
		if len(vs) == 0 || vs[0] == "" {
			continue
		}
		v, ok := canonical(p.Type, vs[0])
		if !ok {
			return nil, envelope.New(envelope.CodeBadRequest, paramMessage(p)).WithDetails(map[string]string{"parameter": k})
		}
		out.Set(k, v)
	}
	return out, nil
}

func (r Route) param(name string) (Param, bool) {
	for _, p := range r.Upstream.Query {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func paramMessage(p Param) string {
	switch p.Type {
	case PositiveInt:
		return "The parameter " + p.Name + " must be a positive integer."
	case Timestamp:
		return "The parameter " + p.Name + " must be an ISO 8601 date or date-time."
	}
	return "The parameter " + p.Name + " is too long."
}

// canonical checks v against t and returns its canonical form.
func canonical(t ParamType, v string) (string, bool) {
	if len(v) > MaxParamLen {
		return "", false
	}
	switch t {
	case PositiveInt:
		if v == "" || len(v) > 20 {
			return "", false
		}
		for i := 0; i < len(v); i++ {
			if v[i] < '0' || v[i] > '9' {
				return "", false
			}
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 || n > MaxID {
			return "", false
		}
		return strconv.FormatUint(n, 10), true
	case Timestamp:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00",
			"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
			if _, err := time.Parse(layout, v); err == nil {
				return v, true
			}
		}
		return "", false
	}
	return v, true
}

// MatchUpstream reports whether path (an upstream path, no query) is r's
// upstream path, and with which id.
func (r Route) MatchUpstream(path string) (id string, ok bool) {
	pre, post, has := strings.Cut(r.Upstream.Path, "{id}")
	if !has {
		return "", path == r.Upstream.Path
	}
	if !strings.HasPrefix(path, pre) || !strings.HasSuffix(path, post) || len(path) <= len(pre)+len(post) {
		return "", false
	}
	id = path[len(pre) : len(path)-len(post)]
	return id, !strings.Contains(id, "/")
}

// Unbounded reports whether q (canonical, from CanonicalQuery) holds a value
// of an unbounded space: free text or a timestamp. The cache stores such a
// variant only when it is asked for again (cache.RequestKey.OnRepeat), so
// distinct values sent once cannot fill Redis. Integers are bounded by the
// data (ids and pages that exist) and by the short life of negative entries.
func (r Route) Unbounded(q url.Values) bool {
	for k := range q {
		if p, ok := r.param(k); ok && (p.Type == Text || p.Type == Timestamp) {
			return true
		}
	}
	return false
}
