package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
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
	// repeat: the variant is stored only when asked for again (doorkeeper).
	repeat bool
}

// OnRepeat marks k as a variant of an unbounded space (a free-text or
// timestamp query value): its answer is stored only when the same variant
// is asked for again (admit.go), so one client cannot fill Redis with
// answers nobody asks for twice.
func (k RequestKey) OnRepeat() RequestKey {
	k.repeat = true
	return k
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
	ctrl  string // "wa:{<app>}:": control keys share one Cluster slot
	entry string // "wa:<app>:<ver>:e<fmt>:"
}

func newKeyspace(appID, appVersion string) keyspace {
	app := sanitize(appID)
	return keyspace{app: "wa:" + app + ":", ctrl: "wa:{" + app + "}:",
		entry: "wa:" + app + ":" + sanitize(appVersion) + ":e" + strconv.Itoa(envelope.FormatVersion) + ":"}
}

func (k keyspace) ctl() string               { return k.ctrl + "ctl" }
func (k keyspace) shape(route string) string { return k.ctrl + "shape:" + route }
func (k keyspace) probe() string             { return k.ctrl + "probe" }
func (k keyspace) stats() string             { return k.app + "stats" }
func (k keyspace) channel() string           { return k.app + "inv" }

// tag is the Redis Cluster hash tag of one request.
func tag(route, hash string) string { return "{" + route + ":" + hash + "}" }

func (k keyspace) tomb(route, hash string) string { return k.app + "tomb:" + tag(route, hash) }

// entryKey is the key of (route, hash) under control state s.
func (k keyspace) entryKey(s *ctlState, route, hash string) string {
	return k.entry + s.versionTok + ":" + s.gen(route) + ":" + route + ":" + tag(route, hash)
}

// routePattern is the SCAN pattern of the reachable entries of route under s
// ("" = every route of the current versions, epoch and global generation).
func (k keyspace) routePattern(s *ctlState, route string) string {
	if route == "" {
		return k.entry + s.versionTok + ":" + s.genBase + "*"
	}
	return k.entry + s.versionTok + ":" + s.gen(route) + ":" + route + ":{*"
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
// Fields of the hash:
//
//	epoch      random per life of the data set (rotated when Redis lost data)
//	rid        identity of the data set (the masters' run_ids), see identity.go
//	g          global generation: Flush, and every schema or contract change
//	r:<route>  route generation: InvalidateRoute, shape drift
//	n:<route>  generation of the route's cached NOT_FOUND answers
//	w:<route>  unix ms until which answers of the route are not stored
//	           (a write whose outcome is unknown may still land)
//	schema     upstream schema version ("" unknown)
//	sn         counter of schema changes (compare-and-set of observe)
//	contract   hash of the upstream's published contract ("" none)
//	cn         counter of contract changes
//	v          change counter: never install an older snapshot
type ctlState struct {
	epoch       string
	rid         string
	global      int64
	routes      map[string]int64
	negs        map[string]int64
	pending     map[string]int64 // w:<route>, unix ms
	version     int64
	schema      string
	schemaSeq   int64
	contract    string
	contractSeq int64
	versionTok  string // "s<schema>.c<contract>" as a key component
	genBase     string // "<epoch>.<global>."
	gens        map[string]string
	loadedAt    time.Time
	// seq orders snapshots by when their read was sent (see install).
	seq uint64
}

func newCtlState(fields map[string]string, now time.Time) *ctlState {
	s := &ctlState{epoch: sanitize(fields["epoch"]), rid: fields["rid"], routes: map[string]int64{},
		negs: map[string]int64{}, pending: map[string]int64{}, schema: fields["schema"],
		contract: fields["contract"], gens: map[string]string{}, loadedAt: now}
	s.global, _ = strconv.ParseInt(fields["g"], 10, 64)
	s.version, _ = strconv.ParseInt(fields["v"], 10, 64)
	s.schemaSeq, _ = strconv.ParseInt(fields["sn"], 10, 64)
	s.contractSeq, _ = strconv.ParseInt(fields["cn"], 10, 64)
	s.versionTok = "s-.c-"
	if s.schema != "" || s.contract != "" {
		s.versionTok = "s" + tokOr(s.schema) + ".c" + tokOr(s.contract)
	}
	s.genBase = s.epoch + "." + strconv.FormatInt(s.global, 10) + "."
	for f, v := range fields {
		n, _ := strconv.ParseInt(v, 10, 64)
		switch {
		case strings.HasPrefix(f, "r:"):
			s.routes[f[2:]] = n
			s.gens[f[2:]] = s.genBase + strconv.FormatInt(n, 10)
		case strings.HasPrefix(f, "n:"):
			s.negs[f[2:]] = n
		case strings.HasPrefix(f, "w:"):
			s.pending[f[2:]] = n
		}
	}
	return s
}

func tokOr(v string) string {
	if v == "" {
		return "-"
	}
	return sanitize(v)
}

// gen is the generation component of route's keys.
func (s *ctlState) gen(route string) string {
	if g, ok := s.gens[route]; ok {
		return g
	}
	return s.genBase + "0"
}

// withRouteGen returns a copy of s in which route's generation is n (the
// state right after this process bumped it).
func (s *ctlState) withRouteGen(route string, n int64) *ctlState {
	cp := *s
	cp.routes, cp.gens = maps.Clone(s.routes), maps.Clone(s.gens)
	cp.routes[route] = n
	cp.gens[route] = s.genBase + strconv.FormatInt(n, 10)
	return &cp
}

// sameGen reports whether s and o make the same keys for route.
func (s *ctlState) sameGen(o *ctlState, route string) bool {
	return s == o || s.epoch == o.epoch && s.global == o.global && s.versionTok == o.versionTok && s.routes[route] == o.routes[route]
}

// writePending reports whether answers of route must not be stored at now
// (real time: the lease is set in real time, like locks).
func (s *ctlState) writePending(route string, now time.Time) bool {
	until, ok := s.pending[route]
	return ok && now.UnixMilli() < until
}

// SplitRequest parses a normalised request (RequestKey.String) back into
// its path and query.
func SplitRequest(s string) (path string, q url.Values, err error) {
	path, rawq, _ := strings.Cut(s, "?")
	if rawq != "" {
		if q, err = url.ParseQuery(rawq); err != nil {
			return "", nil, err
		}
	}
	return path, q, nil
}

// parseRequest is the RequestKey of a normalised request.
func parseRequest(s string) (RequestKey, error) {
	path, q, err := SplitRequest(s)
	if err != nil {
		return RequestKey{}, err
	}
	return NewRequestKey(path, q), nil
}
