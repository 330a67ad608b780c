package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// RequestKey identifies one cacheable request: the normalised path plus the
// query sorted by name, without secret parameters. Build it with
// NewRequestKey; the zero value is the request "/".
type RequestKey struct {
	desc string // "/path?a=1&b=2"
	hash string // hex sha256(desc)[:32]
}

// NewRequestKey normalises a request: path gets a leading "/", query
// parameters are sorted by name (values keep their order), and parameters
// whose name looks like a credential (token, api_key, password, ...) are
// dropped, so no secret ever reaches a key, an entry or a log. Parameters
// that change the answer (page, farm, since, ...) must be in query.
func NewRequestKey(path string, query url.Values) RequestKey {
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	desc := path
	if len(query) > 0 {
		clean := make(url.Values, len(query))
		for k, v := range query {
			if k != "" && !secretParam(k) {
				clean[k] = v
			}
		}
		if q := clean.Encode(); q != "" {
			desc += "?" + q
		}
	}
	return requestKeyOf(desc)
}

func requestKeyOf(desc string) RequestKey {
	sum := sha256.Sum256([]byte(desc))
	return RequestKey{desc: desc, hash: hex.EncodeToString(sum[:16])}
}

// String is the normalised request (path?query), safe to log.
func (r RequestKey) String() string {
	if r.desc == "" {
		return "/"
	}
	return r.desc
}

// Hash is the key component derived from String.
func (r RequestKey) Hash() string {
	if r.hash == "" {
		return requestKeyOf("/").hash
	}
	return r.hash
}

// secretParam reports whether a query parameter name carries a credential.
func secretParam(name string) bool {
	switch strings.ToLower(strings.ReplaceAll(name, "-", "_")) {
	case "token", "access_token", "refresh_token", "id_token", "api_key", "apikey", "x_api_key", "key",
		"secret", "client_secret", "password", "passwd", "auth", "authorization", "signature", "sig", "jwt":
		return true
	}
	return false
}

// keyspace builds every key of one app; see the package doc for the layout.
type keyspace struct {
	app   string // "wa:<app>:"
	entry string // "wa:<app>:<ver>:e<fmt>:"
}

func newKeyspace(appID, appVersion string) keyspace {
	app := "wa:" + sanitize(appID) + ":"
	return keyspace{app: app, entry: app + sanitize(appVersion) + ":e" + strconv.Itoa(envelope.FormatVersion) + ":"}
}

func (k keyspace) ctl() string     { return k.app + "ctl" }
func (k keyspace) stats() string   { return k.app + "stats" }
func (k keyspace) probe() string   { return k.app + "probe" }
func (k keyspace) channel() string { return k.app + "inv" }

// tag is the Redis Cluster hash tag of one request.
func tag(route, hash string) string { return "{" + route + ":" + hash + "}" }

func (k keyspace) tomb(route, hash string) string { return k.app + "tomb:" + tag(route, hash) }

// entryKey is the key of (route, hash) under control state s.
func (k keyspace) entryKey(s *ctlState, route, hash string) string {
	return k.entry + "s" + s.schemaTok + ":" + s.gen(route) + ":" + route + ":" + tag(route, hash)
}

// routePattern is the SCAN pattern of the reachable entries of route under s
// ("" = every route of the current schema, epoch and global generation).
func (k keyspace) routePattern(s *ctlState, route string) string {
	if route == "" {
		return k.entry + "s" + s.schemaTok + ":" + s.epoch + "." + strconv.FormatInt(s.global, 10) + ".*"
	}
	return k.entry + "s" + s.schemaTok + ":" + s.gen(route) + ":" + route + ":{*"
}

func lockKey(entryKey string) string { return entryKey + ":lock" }

// sanitize maps s to [A-Za-z0-9._-]; an empty or unsafe-looking long value
// becomes a short hash so distinct inputs stay distinct.
func sanitize(s string) string {
	if safeName(s, 48) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "h" + hex.EncodeToString(sum[:8])
}

// ctlState is a snapshot of the control hash: what makes a key reachable.
// Fields: epoch, g (global generation), r:<route> (route generations),
// schema, v (change counter).
type ctlState struct {
	epoch     string           // random per life of the control hash
	global    int64            // bumped by Flush
	routes    map[string]int64 // bumped by InvalidateRoute
	version   int64            // bumped by every change, to never install an older snapshot
	schema    string           // current upstream schema version ("" unknown)
	schemaTok string           // schema as a key component
	genBase   string           // "<epoch>.<global>."
	gens      map[string]string
	loadedAt  time.Time
}

func newCtlState(fields map[string]string, now time.Time) *ctlState {
	s := &ctlState{epoch: sanitize(fields["epoch"]), routes: map[string]int64{}, schema: fields["schema"],
		gens: map[string]string{}, loadedAt: now}
	s.global, _ = strconv.ParseInt(fields["g"], 10, 64)
	s.version, _ = strconv.ParseInt(fields["v"], 10, 64)
	s.schemaTok = "-"
	if s.schema != "" {
		s.schemaTok = sanitize(s.schema)
	}
	s.genBase = s.epoch + "." + strconv.FormatInt(s.global, 10) + "."
	for f, v := range fields {
		if route, ok := strings.CutPrefix(f, "r:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			s.routes[route] = n
			s.gens[route] = s.genBase + strconv.FormatInt(n, 10)
		}
	}
	return s
}

// gen is the generation component of route's keys.
func (s *ctlState) gen(route string) string {
	if g, ok := s.gens[route]; ok {
		return g
	}
	return s.genBase + "0"
}

// sameGen reports whether s and o make the same keys for route.
func (s *ctlState) sameGen(o *ctlState, route string) bool {
	return s == o || s.epoch == o.epoch && s.global == o.global && s.schema == o.schema && s.routes[route] == o.routes[route]
}
