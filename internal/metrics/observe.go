package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Label cardinality bounds: distinct route names (per family) and auth
// failure reasons beyond these are counted under labelOther, so a caller
// passing unbounded strings cannot grow memory without bound.
const (
	maxRoutes  = 64
	maxReasons = 32
)

// Label values for inputs outside the known sets.
const (
	labelOther     = "other"
	labelUnmatched = "unmatched" // a request no route matched
	labelNone      = "none"      // no envelope source / no route
)

type reqKey struct {
	route, method, source string
	status                int
}

type reqSeries struct {
	total prometheus.Counter
	dur   prometheus.Observer
}

type upKey struct{ method, route, class string }

// ObserveRequest records one answered request. route is the route's name
// (e.g. "farm_schema"; "" for an unmatched path), method the HTTP method,
// status the status sent, source the envelope source ("upstream", "cache",
// "stale", "local"; "" when the answer was no envelope, e.g. a static file)
// and d the time from receipt to answer. Unknown methods count as OTHER.
func (m *Metrics) ObserveRequest(route, method string, status int, source string, d time.Duration) {
	if route == "" {
		route = labelUnmatched
	}
	k := reqKey{route: route, method: normMethod(method), source: normSource(source), status: status}
	m.mu.RLock()
	s, ok := m.reqs[k]
	m.mu.RUnlock()
	if !ok {
		s = m.newReqSeries(k)
	}
	s.total.Inc()
	s.dur.Observe(d.Seconds())
}

func (m *Metrics) newReqSeries(k reqKey) reqSeries {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.reqs[k]; ok {
		return s
	}
	orig := k
	k.route = admit(m.routes, k.route, maxRoutes)
	s := reqSeries{
		total: m.reqTotal.WithLabelValues(k.route, k.method, m.statusLabel(k.status), k.source),
		dur:   m.reqDuration.WithLabelValues(k.route),
	}
	if k.route == orig.route { // an over-limit route is not remembered
		m.reqs[k] = s
	}
	return s
}

// ObserveUpstream records one call to the DRF backend: its method, the
// route name it served ("" for calls of no route, such as the schema probe),
// the final HTTP status (0 when no response arrived) and its duration.
func (m *Metrics) ObserveUpstream(method, route string, status int, d time.Duration) {
	if route == "" {
		route = labelNone
	}
	k := upKey{method: normMethod(method), route: route, class: statusClass(status)}
	m.mu.RLock()
	o, ok := m.ups[k]
	m.mu.RUnlock()
	if !ok {
		o = m.newUpSeries(k)
	}
	o.Observe(d.Seconds())
}

func (m *Metrics) newUpSeries(k upKey) prometheus.Observer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if o, ok := m.ups[k]; ok {
		return o
	}
	route := admit(m.upRoutes, k.route, maxRoutes)
	o := m.upDuration.WithLabelValues(k.method, route, k.class)
	if route == k.route {
		m.ups[k] = o
	}
	return o
}

// ObserveAuthFailure counts one refused authentication. reason is a short
// constant such as "wrong_secret" or "integration_revoked"; "" counts as
// "unknown".
func (m *Metrics) ObserveAuthFailure(reason string) {
	if reason == "" {
		reason = "unknown"
	}
	m.mu.RLock()
	c, ok := m.auths[reason]
	m.mu.RUnlock()
	if !ok {
		c = m.newAuthSeries(reason)
	}
	c.Inc()
}

func (m *Metrics) newAuthSeries(reason string) prometheus.Counter {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.auths[reason]; ok {
		return c
	}
	if len(m.auths) >= maxReasons {
		return m.authFail.WithLabelValues(labelOther)
	}
	c := m.authFail.WithLabelValues(reason)
	m.auths[reason] = c
	return c
}

// admit returns v if it is in seen or seen has room for it (then adding it),
// else labelOther. The caller holds m.mu for writing.
func admit(seen map[string]struct{}, v string, limit int) string {
	if _, ok := seen[v]; ok {
		return v
	}
	if len(seen) >= limit {
		return labelOther
	}
	seen[v] = struct{}{}
	return v
}

func (m *Metrics) statusLabel(code int) string {
	if code < 100 || code >= len(m.status) {
		return labelOther
	}
	return m.status[code]
}

// normMethod maps a request method onto a fixed set, so a client cannot
// create series with invented methods.
func normMethod(method string) string {
	switch method {
	case "GET":
		return "GET"
	case "HEAD":
		return "HEAD"
	case "POST":
		return "POST"
	case "PUT":
		return "PUT"
	case "PATCH":
		return "PATCH"
	case "DELETE":
		return "DELETE"
	case "OPTIONS":
		return "OPTIONS"
	}
	return "OTHER"
}

// normSource maps an envelope source onto its fixed set.
func normSource(source string) string {
	switch source {
	case "upstream":
		return "upstream"
	case "cache":
		return "cache"
	case "stale":
		return "stale"
	case "local":
		return "local"
	case "":
		return labelNone
	}
	return labelOther
}

// statusClass is "2xx" … "5xx", "error" for no response (0), else "other".
func statusClass(status int) string {
	switch {
	case status == 0:
		return "error"
	case status >= 100 && status < 200:
		return "1xx"
	case status >= 200 && status < 300:
		return "2xx"
	case status >= 300 && status < 400:
		return "3xx"
	case status >= 400 && status < 500:
		return "4xx"
	case status >= 500 && status < 600:
		return "5xx"
	}
	return labelOther
}
