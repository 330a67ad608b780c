package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// The chaos test's stack, load and record of every answer.

// chaosEnv is the stack under chaos and everything the test observed.
type chaosEnv struct {
	s        *stack
	e        *evoEnv // the integration API key and direct DRF reads
	sn       *testenv.Sentinel
	seed     uint64
	duration time.Duration
	t0       time.Time // when the load started (offsets in reports)
	end      time.Time // when the load stopped
	jwt      string    // a DRF-style access token weather_apis verifies itself
	hc       *http.Client
	reads    []evoReq // the read keys
	live     []atomic.Bool
	procs    [][]*proc // every process that served replica i, for log look-ups

	valMu sync.Mutex // the OpenAPI validator is not documented as safe for concurrent use

	mu       sync.Mutex
	answers  []*chaosAnswer
	faults   []*chaosFault
	switches []*chaosSwitch
	seq      atomic.Int64
}

// The writes of the load: writer w of each kind owns one farm, so its
// writes are sequential and the last acknowledged one is known.
const (
	chaosObsFarm0   = 20 // observation writers post for farms 20, 21
	chaosStateFarm0 = 22 // state writers put farms 22, 23
	chaosWriters    = 2  // per kind
	chaosReaders    = 4
)

func newChaosEnv(t *testing.T, s *stack, sn *testenv.Sentinel, seed uint64, duration time.Duration) *chaosEnv {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 32}
	t.Cleanup(tr.CloseIdleConnections)
	c := &chaosEnv{s: s, e: newEvoEnv(t, s), sn: sn, seed: seed, duration: duration,
		hc: &http.Client{Transport: tr, Timeout: 45 * time.Second}, live: make([]atomic.Bool, len(s.Apps))}
	for i, p := range s.Apps {
		c.live[i].Store(true)
		c.procs = append(c.procs, []*proc{p})
	}
	c.jwt = chaosJWT(t, duration)
	c.reads = []evoReq{
		evoRead("farm_schema", "", ""),
		evoRead("farm_list", "", ""),
		evoRead("farm_detail", "3", ""),
		evoRead("farm_detail", "7", ""),
		evoRead("farm_state", "3", ""),
		evoRead("farm_state", "12", ""),
		evoRead("farm_state", strconv.Itoa(chaosStateFarm0), ""),
		evoRead("farm_state", strconv.Itoa(chaosStateFarm0+1), ""),
		evoRead("observation_list", "", ""),
		evoRead("observation_list", "", "page=2"),
		evoRead("observation_list", "", "farm=3"), // no writer posts for farm 3: one page, stable shape
	}
	return c
}

// chaosJWT signs an access token the way DRF SimpleJWT does (HS256 with the
// demo's key, token_type access) with every integration scope: the
// integration reads and writes authenticated by it need no Redis.
func chaosJWT(t *testing.T, run time.Duration) string {
	now := time.Now()
	life := min(run+time.Hour, 23*time.Hour) // README: exp at most 24 h after iat
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"token_type": "access", "jti": "chaos", "user_id": 1,
		"iat": now.Unix(), "exp": now.Add(life).Unix(),
		"scope": "farms:state:read farms:state:write observations:read observations:write",
	}).SignedString([]byte(testenv.DRFDefaultSigningKey))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// warmUp reads every key through every replica once: the stack must work
// before any fault.
func (c *chaosEnv) warmUp(t *testing.T) {
	t.Helper()
	for i := range c.s.Apps {
		for k, q := range c.reads {
			a := c.send(chaosReq{key: k, replica: i, method: "GET", path: q.path, auth: chaosAuth(q, k)})
			if a.err != nil || a.problem != "" || a.status != 200 {
				t.Fatalf("warm-up: %s on replica %d = %d %v %s %s", q, i, a.status, a.err, a.problem, a.excerpt)
			}
		}
	}
}

func chaosAuth(q evoReq, n int) string {
	switch {
	case !q.integration:
		return "admin"
	case n%2 == 0:
		return "key"
	default:
		return "jwt"
	}
}

// chaosReq is one request of the load.
type chaosReq struct {
	key      int // index in reads; -1 for a write
	write    *chaosWrite
	replica  int
	method   string
	path     string
	body     []byte
	auth     string // admin (signed as the admin user), key (X-API-Key) or jwt (Authorization: Bearer)
	noCache  bool   // Cache-Control: no-cache
	idemKey  string // Idempotency-Key
	workerID string
}

// chaosWrite is what one write sent, to find it upstream afterwards.
type chaosWrite struct {
	route  string // observation_create or farm_state_put
	farm   int
	marker string // the observation's station, the state's source
	writer int    // index of the writer (its writes are sequential)
	n      int    // the writer's n-th write
}

// chaosAnswer is one answer (or its absence) as the load saw it; only what
// the checks need is kept.
type chaosAnswer struct {
	chaosReq
	seq         int64
	reqID       string
	sent, done  time.Time
	err         error // no answer at all
	status      int
	xcache      string
	cacheStatus string
	source      envelope.Source
	code        envelope.Code // "" for 2xx
	schema      string        // version.schema, "null" for none
	print       string        // shape print of a 2xx read's data
	dataID      int64         // id of a 2xx observation create (id or observation_id)
	problem     string        // envelope / truthful status violation, "" for none
	openapi     string        // OpenAPI document violation, "" for none
	excerpt     string        // start of the body, for reports
}

func (a *chaosAnswer) ok() bool { return a.err == nil && a.status/100 == 2 }

// send sends q and records the answer.
func (c *chaosEnv) send(q chaosReq) *chaosAnswer {
	a := &chaosAnswer{chaosReq: q, seq: c.seq.Add(1)}
	a.reqID = fmt.Sprintf("chaos-%d-%d", c.seed, a.seq)
	r, err := http.NewRequest(q.method, c.s.AppURL(q.replica)+q.path, bytes.NewReader(q.body))
	if err != nil {
		panic(err)
	}
	user := "admin"
	if q.auth != "admin" {
		user = ""
	}
	appapi.Credentials{AppID: "weather_apis", AppVersion: "1.0.0", AAVersion: "32.0.0", Secret: c.s.Secret}.Sign(r.Header, user)
	r.Header.Set("AA-REQUEST-ID", a.reqID)
	switch q.auth {
	case "key":
		r.Header.Set("X-API-Key", c.e.key)
		r.Header.Set("X-Origin-IP", "10.20.30.40")
	case "jwt":
		r.Header.Set("Authorization", "Bearer "+c.jwt)
		r.Header.Set("X-Origin-IP", "10.20.30.41")
	}
	if q.body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if q.noCache {
		r.Header.Set("Cache-Control", "no-cache")
	}
	if q.idemKey != "" {
		r.Header.Set("Idempotency-Key", q.idemKey)
	}
	a.sent = time.Now()
	resp, err := c.hc.Do(r)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	a.done = time.Now()
	if err != nil {
		a.err = err
		return c.keep(a)
	}
	a.status, a.xcache, a.cacheStatus = resp.StatusCode, resp.Header.Get("X-Cache"), resp.Header.Get("Cache-Status")
	a.excerpt = string(body[:min(len(body), 400)])
	var w envelope.Wire
	a.problem = chaosEnvelopeProblem(resp.StatusCode, resp.Header, body, a.reqID, &w)
	a.source, a.schema = w.Source, "null"
	if w.Version.Schema != nil {
		a.schema = *w.Version.Schema
	}
	if w.Error != nil {
		a.code = w.Error.Code
	}
	if a.problem == "" && a.status/100 == 2 {
		switch {
		case q.write == nil:
			a.print = evoPrint(w.Data)
			a.excerpt = ""
		case q.write.route == "observation_create":
			var id struct {
				ID  *int64 `json:"id"`
				OID *int64 `json:"observation_id"`
			}
			_ = json.Unmarshal(w.Data, &id)
			if id.ID != nil {
				a.dataID = *id.ID
			} else if id.OID != nil {
				a.dataID = *id.OID
			}
		}
	}
	if c.s.val != nil {
		c.valMu.Lock()
		if err := c.s.val.Check(r, q.body, resp.StatusCode, resp.Header, body); err != nil {
			a.openapi = err.Error()
		}
		c.valMu.Unlock()
	}
	return c.keep(a)
}

func (c *chaosEnv) keep(a *chaosAnswer) *chaosAnswer {
	c.mu.Lock()
	c.answers = append(c.answers, a)
	c.mu.Unlock()
	return a
}

// chaosEnvelopeProblem checks one answer against README.md "Every answer is
// an envelope": Content-Type application/json exactly; a JSON object with
// exactly data, error, source, version and request_id; envelope version 1;
// the request id AppAPI sent, also in X-Request-Id; a known source; error
// null exactly on 2xx; on an error, a known code whose status is the HTTP
// status and is the code's (envelope.StatusOf) or a documented alternative;
// on a cached read, a source that agrees with X-Cache; and no 4xx (every
// request of the load is valid and authorised, so a 4xx would blame the
// client untruthfully). It fills w and returns "" when all hold.
func chaosEnvelopeProblem(status int, h http.Header, body []byte, reqID string, w *envelope.Wire) string {
	if ct := h.Get("Content-Type"); ct != envelope.ContentType {
		return fmt.Sprintf("Content-Type %q", ct)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return "not a JSON object: " + err.Error()
	}
	for _, m := range []string{"data", "error", "source", "version", "request_id"} {
		if _, ok := members[m]; !ok {
			return "no member " + m
		}
	}
	if len(members) != 5 {
		return fmt.Sprintf("%d members; want data, error, source, version, request_id only", len(members))
	}
	if err := json.Unmarshal(body, w); err != nil {
		return "envelope: " + err.Error()
	}
	switch {
	case w.Version.Envelope != envelope.FormatVersion || w.Version.App != "1.0.0":
		return fmt.Sprintf("version %+v", w.Version)
	case w.RequestID != reqID || h.Get("X-Request-Id") != reqID:
		return fmt.Sprintf("request_id %q, X-Request-Id %q; want %q (AA-REQUEST-ID)", w.RequestID, h.Get("X-Request-Id"), reqID)
	}
	switch w.Source {
	case envelope.SourceUpstream, envelope.SourceCache, envelope.SourceStale, envelope.SourceLocal:
	default:
		return fmt.Sprintf("source %q", w.Source)
	}
	if status/100 == 2 {
		if w.Error != nil {
			return fmt.Sprintf("status %d with error %s", status, w.Error.Code)
		}
		want := map[string]envelope.Source{"HIT": envelope.SourceCache, "STALE": envelope.SourceStale,
			"MISS": envelope.SourceUpstream, "BYPASS": envelope.SourceUpstream}
		if x := h.Get("X-Cache"); x != "" && want[x] != w.Source {
			return fmt.Sprintf("X-Cache %s with source %q", x, w.Source)
		}
		return ""
	}
	if w.Error == nil {
		return fmt.Sprintf("status %d with error null", status)
	}
	code := w.Error.Code
	known := false
	for _, k := range envelope.Codes() {
		known = known || k == code
	}
	switch {
	case !known:
		return fmt.Sprintf("unknown error code %q", code)
	case w.Error.Status != status:
		return fmt.Sprintf("HTTP %d but error.status %d", status, w.Error.Status)
	case !chaosDocumentedStatus(code, status, w.Source):
		return fmt.Sprintf("%s answered %d; envelope.StatusOf says %d", code, status, envelope.StatusOf(code))
	case status < 500:
		return fmt.Sprintf("%d %s for a valid, authorised request", status, code)
	}
	return ""
}

// chaosDocumentedStatus: the code's own status (envelope.StatusOf), or an
// alternative README.md documents: UPSTREAM_UNAVAILABLE 502/503, and a DRF
// 4xx relayed as BAD_REQUEST with its status ("status passed through").
func chaosDocumentedStatus(code envelope.Code, status int, source envelope.Source) bool {
	switch {
	case status == envelope.StatusOf(code):
		return true
	case code == envelope.CodeUpstreamUnavailable && status == http.StatusServiceUnavailable:
		return true
	case code == envelope.CodeBadRequest && source == envelope.SourceUpstream && status/100 == 4:
		return true
	}
	return false
}

// chaosLoad is the steady mixed load: readers over every key, observation
// writers and state writers, each a closed loop (one request at a time),
// over the live replicas.
type chaosLoad struct {
	stopped atomic.Bool
	wg      sync.WaitGroup
	once    sync.Once
}

func (c *chaosEnv) startLoad() *chaosLoad {
	l := &chaosLoad{}
	c.t0 = time.Now()
	for r := range chaosReaders {
		rng := rand.New(rand.NewPCG(c.seed, uint64(100+r)))
		l.wg.Go(func() {
			for n := 0; !l.stopped.Load(); n++ {
				k := rng.IntN(len(c.reads))
				q := c.reads[k]
				c.send(chaosReq{key: k, replica: c.pick(rng), method: "GET", path: q.path, auth: chaosAuth(q, n),
					noCache: rng.IntN(10) == 0, workerID: fmt.Sprintf("reader-%d", r)})
				time.Sleep(time.Duration(10+rng.IntN(20)) * time.Millisecond)
			}
		})
	}
	for w := range chaosWriters {
		rng := rand.New(rand.NewPCG(c.seed, uint64(200+w)))
		l.wg.Go(func() {
			farm := chaosObsFarm0 + w
			for n := 0; !l.stopped.Load(); n++ {
				wr := &chaosWrite{route: "observation_create", farm: farm, marker: fmt.Sprintf("chaos-%d-%d", w, n), writer: w, n: n}
				body, _ := json.Marshal(map[string]any{"farm": farm, "station": wr.marker,
					"observed_at":   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute).Format(time.RFC3339),
					"temperature_c": 10 + float64(n%200)/10, "humidity_pct": 40 + n%50, "rainfall_mm": float64(n%7) / 2, "wind_kph": n % 30})
				c.send(chaosReq{key: -1, write: wr, replica: c.pick(rng), method: "POST", path: "/api/v1/observations", body: body,
					auth: []string{"key", "jwt"}[n%2], idemKey: fmt.Sprintf("chaos-%d-obs-%d-%d", c.seed, w, n), workerID: fmt.Sprintf("obs-writer-%d", w)})
				time.Sleep(time.Duration(100+rng.IntN(150)) * time.Millisecond)
			}
		})
		l.wg.Go(func() {
			rng := rand.New(rand.NewPCG(c.seed, uint64(300+w)))
			farm := chaosStateFarm0 + w
			for n := 0; !l.stopped.Load(); n++ {
				wr := &chaosWrite{route: "farm_state_put", farm: farm, marker: fmt.Sprintf("chaos-%d-%d", w, n), writer: w, n: n}
				body, _ := json.Marshal(map[string]any{"ndvi": float64(n%1000) / 1000,
					"observed_at": time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute).Format(time.RFC3339),
					"source":      wr.marker, "tiles": []map[string]any{{"z": 14, "x": 8600 + n%100, "y": 5700, "ndvi": 0.4}}})
				c.send(chaosReq{key: -1, write: wr, replica: c.pick(rng), method: "PUT", path: fmt.Sprintf("/api/v1/farms/%d/state", farm),
					body: body, auth: []string{"jwt", "key"}[n%2], idemKey: fmt.Sprintf("chaos-%d-state-%d-%d", c.seed, w, n),
					workerID: fmt.Sprintf("state-writer-%d", w)})
				time.Sleep(time.Duration(100+rng.IntN(150)) * time.Millisecond)
			}
		})
	}
	return l
}

// stop ends the load and waits until every request has its answer.
func (l *chaosLoad) stop() {
	l.once.Do(func() { l.stopped.Store(true); l.wg.Wait() })
}

// pick chooses a live replica (one is down at most at a time).
func (c *chaosEnv) pick(rng *rand.Rand) int {
	for {
		i := rng.IntN(len(c.live))
		if c.live[i].Load() {
			return i
		}
	}
}

// logs returns the lines of replica i's processes that mention id.
func (c *chaosEnv) logs(i int, id string) []string {
	var out []string
	for _, p := range c.procs[i] {
		out = append(out, logLines(p, id)...)
	}
	return out
}

// snapshot returns the answers recorded so far.
func (c *chaosEnv) snapshot() []*chaosAnswer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*chaosAnswer(nil), c.answers...)
}

func (q chaosReq) String() string {
	s := q.method + " " + q.path
	if q.noCache {
		s += " (no-cache)"
	}
	return s + " via " + q.auth + " on replica " + strconv.Itoa(q.replica)
}
