package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/jsonshape"
	"github.com/weather-apis/weather_apis/internal/routetable"
)

// Shared by the evolution property test and the hit-rate test: a stack
// with an integration key holding every scope, a DRF token for reading the
// upstream directly, and the read requests both tests send.

// evoEnv is one stack prepared for the evolution tests.
type evoEnv struct {
	s     *stack
	c     *haClient
	key   string // X-API-Key with every integration scope
	token string // DRF access token for direct upstream calls
	hc    *http.Client
	// addr is the DRF demo's host:port, which no answer may contain.
	addr string
}

func newEvoEnv(t *testing.T, s *stack) *evoEnv {
	t.Helper()
	e := &evoEnv{s: s, c: newHAClient(t, s), hc: &http.Client{Timeout: 30 * time.Second},
		addr: strings.TrimPrefix(s.DRF.URL(), "http://")}
	e.token, _ = s.DRF.Token(t)
	resp := s.Direct(t, 0, "POST", "/api/v1/admin/credentials", "admin", strings.NewReader(
		`{"name":"evolution","type":"api_key","scopes":["farms:state:read","farms:state:write","observations:read","observations:write"]}`))
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var env struct {
		Data struct{ Secret string } `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || resp.StatusCode != 201 || env.Data.Secret == "" {
		t.Fatalf("create the integration key = %d %s", resp.StatusCode, raw)
	}
	e.key = env.Data.Secret
	return e
}

// evoReq is one read request, as weather_apis and as the upstream sees it.
type evoReq struct {
	route  string // routetable name
	path   string // weather_apis path?query
	upPath string // upstream path?query
	method string // upstream method
	// template is "METHOD /path-template" of the upstream route: the DRF
	// demo's key for transforms and counters.
	template    string
	integration bool // needs the X-API-Key (else signed as the admin user)
}

// evoRead is the request of read route name for id ("" for none) and query.
func evoRead(name, id, query string) evoReq {
	r, ok := routetable.Lookup(name)
	if !ok {
		panic("no route " + name)
	}
	q := evoReq{route: name, path: strings.ReplaceAll(r.Path, ":id", id), upPath: r.UpstreamPath(id),
		method: r.Upstream.Method, template: r.Upstream.Method + " " + r.Upstream.Path, integration: r.Integration()}
	if query != "" {
		q.path += "?" + query
		q.upPath += "?" + query
	}
	return q
}

// evoTemplate is the upstream "METHOD /path-template" of route name.
func evoTemplate(name string) string {
	r, _ := routetable.Lookup(name)
	return r.Upstream.Method + " " + r.Upstream.Path
}

func (q evoReq) String() string { return "GET " + q.path }

// call sends one request to replica i: as the admin user, or anonymous with
// the integration key. Like haClient.call it never calls t.Fatal.
func (e *evoEnv) call(i int, method, path string, body []byte, integration bool) haResult {
	res := haResult{req: haReq{replica: i, method: method, path: path, body: body}, At: time.Now()}
	r, err := http.NewRequest(method, e.s.AppURL(i)+path, bytes.NewReader(body))
	if err != nil {
		res.Err = err
		return res
	}
	user := "admin"
	if integration {
		user = ""
	}
	appapi.Credentials{AppID: "weather_apis", AppVersion: "1.0.0", AAVersion: "32.0.0", Secret: e.s.Secret}.Sign(r.Header, user)
	if integration {
		r.Header.Set("X-API-Key", e.key)
		r.Header.Set("X-Origin-IP", "10.20.30.40")
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	return e.c.send(r, res)
}

// read sends q to replica i.
func (e *evoEnv) read(i int, q evoReq) haResult { return e.call(i, "GET", q.path, nil, q.integration) }

// evoUp is one answer of the upstream, read directly.
type evoUp struct {
	status int
	header string // X-Schema-Version
	body   []byte
}

// upstream sends one request straight to the DRF demo with the test's own
// token (obtained again once if it expired). Main goroutine only.
func (e *evoEnv) upstream(t *testing.T, method, path string, body []byte) evoUp {
	t.Helper()
	for attempt := 0; ; attempt++ {
		r, err := http.NewRequest(method, e.s.DRF.URL()+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+e.token)
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		resp, err := e.hc.Do(r)
		if err != nil {
			t.Fatalf("DRF %s %s: %v", method, path, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 401 && attempt == 0 {
			e.token, _ = e.s.DRF.Token(t)
			continue
		}
		return evoUp{status: resp.StatusCode, header: resp.Header.Get("X-Schema-Version"), body: raw}
	}
}

// evoWant is what weather_apis must answer to one request while the
// upstream answers it as up.
type evoWant struct {
	accepted bool   // the route's generic rules accept the upstream answer
	print    string // hash of the upstream answer's shape (accepted only)
	declared string // the version the upstream answer declares ("" none)
	why      string // the rule the upstream answer breaks (refused only)
}

func evoExpect(q evoReq, up evoUp) evoWant {
	r, _ := routetable.Lookup(q.route)
	w := evoWant{}
	w.declared, _, _ = jsonshape.Declared(up.header, up.body)
	if up.status/100 != 2 {
		w.why = fmt.Sprintf("upstream status %d", up.status)
		return w
	}
	if err := r.Answer.Check(up.header, up.body); err != nil {
		w.why = envelope.From(err).Message
		return w
	}
	w.accepted, w.print = true, evoPrint(up.body)
	return w
}

// evoPrint is the shape fingerprint hash of a JSON value ("!" + the error
// when it is not JSON).
func evoPrint(b []byte) string {
	p, err := jsonshape.Of(b)
	if err != nil {
		return "!" + err.Error()
	}
	return p.Hash()
}

// evoAnswer is one answer of a read loop.
type evoAnswer struct {
	haResult
	q    int // index of the request
	sent time.Time
}

// evoLoop reads every request through every replica, round robin over the
// (request, replica) pairs, until stopped.
type evoLoop struct {
	stop atomic.Bool
	wg   sync.WaitGroup
	mu   sync.Mutex
	res  []evoAnswer
}

func (e *evoEnv) startLoop(reqs []evoReq, workers int, pause time.Duration) *evoLoop {
	l := &evoLoop{}
	replicas := len(e.s.Apps)
	var next atomic.Int64
	for range workers {
		l.wg.Go(func() {
			for !l.stop.Load() {
				n := int(next.Add(1) - 1)
				q, i := n/replicas%len(reqs), n%replicas
				sent := time.Now()
				r := e.read(i, reqs[q])
				l.mu.Lock()
				l.res = append(l.res, evoAnswer{r, q, sent})
				l.mu.Unlock()
				if pause > 0 {
					time.Sleep(pause)
				}
			}
		})
	}
	return l
}

// covers reports whether every (request, replica) pair has an answer to a
// request sent at or after bound.
func (l *evoLoop) covers(bound time.Time, reqs, replicas int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[[2]int]bool{}
	for _, r := range l.res {
		if !r.sent.Before(bound) {
			seen[[2]int{r.q, r.req.replica}] = true
		}
	}
	return len(seen) == reqs*replicas
}

func (l *evoLoop) finish() []evoAnswer {
	l.stop.Store(true)
	l.wg.Wait()
	return l.res
}

// evoSchema returns the version string of the envelope ("null" for none).
func evoSchema(r haResult) string {
	if r.Wire.Version.Schema == nil {
		return "null"
	}
	return *r.Wire.Version.Schema
}

// evoSame reports whether got (an answer's data) is the upstream's answer
// up as weather_apis relays it: the same JSON value, except that a string
// holding a link to the upstream (it starts with origin, the upstream's
// URL) is a link of weather_apis' own (a path or a "?query", without the
// upstream's address).
func evoSame(got, up []byte, origin string) bool {
	decode := func(b []byte) (any, bool) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		return v, dec.Decode(&v) == nil
	}
	g, ok1 := decode(got)
	u, ok2 := decode(up)
	host := strings.TrimPrefix(origin, "http://")
	var same func(g, u any) bool
	same = func(g, u any) bool {
		switch x := u.(type) {
		case map[string]any:
			y, ok := g.(map[string]any)
			if !ok || len(x) != len(y) {
				return false
			}
			for k, xv := range x {
				yv, ok := y[k]
				if !ok || !same(yv, xv) {
					return false
				}
			}
			return true
		case []any:
			y, ok := g.([]any)
			if !ok || len(x) != len(y) {
				return false
			}
			for i := range x {
				if !same(y[i], x[i]) {
					return false
				}
			}
			return true
		case string:
			y, ok := g.(string)
			if ok && strings.HasPrefix(x, origin) {
				return !strings.Contains(y, host) && (strings.HasPrefix(y, "/") || strings.HasPrefix(y, "?"))
			}
			return ok && x == y
		case json.Number:
			y, ok := g.(json.Number)
			return ok && x == y
		}
		return g == u // bool, nil
	}
	return ok1 && ok2 && same(g, u)
}
