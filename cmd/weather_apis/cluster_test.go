package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// Scale-out proof (issue 6, item 4): three weather_apis processes share one
// Redis Cluster (three masters) or one Sentinel-managed master, and still
// obtain one DRF token, load a cold entry once, and see each other's
// invalidations (at once, or within the 1 s L1 lifetime when the Pub/Sub
// message is late). Under Sentinel, a master failover under load loses
// no acknowledged write and every answer stays a JSON envelope.
// Credential revocation across replicas is not covered here yet.

// DRF stats keys (deploy/drf/farms/middleware.py route templates).
const (
	drfSchemaKey = "GET /api/v1/admin/farms/schema"
	drfDetailKey = "GET /api/v1/farms/{id}/"
)

func TestClusterReplicas(t *testing.T) {
	cl := testenv.StartCluster(t, 3)
	s := newStack(t, stackOptions{Replicas: 3, NoRedis: true, OwnDRF: true, // a new farm must be on the list's first page
		ExtraEnv: haEnv("WEATHER_APIS_REDIS_ADDRS=" + strings.Join(cl.Addrs(), ","))})
	haShared(t, s, "cluster")
}

func TestSentinelReplicas(t *testing.T) {
	sn := testenv.StartSentinel(t, 1, 3)
	s := newStack(t, stackOptions{Replicas: 3, NoRedis: true, OwnDRF: true, ExtraEnv: haEnv(
		"WEATHER_APIS_REDIS_ADDRS="+strings.Join(sn.Addrs(), ","), "WEATHER_APIS_REDIS_MASTER_NAME="+sn.MasterName)})
	haShared(t, s, "sentinel")
	t.Run("failover under load", func(t *testing.T) { haFailover(t, s, sn) })
}

// haEnv disables the schema probe, whose start-up read would warm the token
// and the schema before the "cold" checks.
func haEnv(redis ...string) []string {
	return append([]string{"WEATHER_APIS_CACHE_PROBE_INTERVAL=0"}, redis...)
}

// haShared runs the checks that must hold on any shared Redis topology.
func haShared(t *testing.T, s *stack, kind string) {
	c := newHAClient(t, s)
	for i, p := range s.Apps {
		if len(logLines(p, "redis="+kind)) == 0 {
			t.Fatalf("replica %d does not say redis=%s at start:\n%s", i, kind, tail(p.Output(), 2000))
		}
	}

	coldReads := 0
	t.Run("token reuse", func(t *testing.T) {
		if st := s.DRF.Stats(t); st.TokenObtain != 0 {
			t.Fatalf("not cold: %d token obtains before the burst", st.TokenObtain)
		}
		// A slow token endpoint keeps the first obtain in flight while every
		// replica asks for a token.
		s.DRF.SetFaults(t, testenv.Faults{Latency: 300 * time.Millisecond, Paths: "/auth/token/$"})
		defer s.DRF.ClearFaults(t)
		res := c.burst(60, func(k int) haReq {
			return haReq{replica: k % 3, method: "GET", path: fmt.Sprintf("/api/v1/admin/farms/%d", k%10+1)}
		})
		haExpect(t, res, 200)
		st := s.DRF.Stats(t)
		if st.TokenObtain != 1 || st.TokenRefresh != 0 {
			t.Errorf("DRF saw %d token obtains, %d refreshes across 3 replicas; want 1 and 0", st.TokenObtain, st.TokenRefresh)
		}
		coldReads = st.Requests[drfDetailKey]
		t.Logf("token burst: X-Cache %v, %d upstream farm reads", haCount(res, func(r haResult) string { return r.XCache }), coldReads)
	})

	// The burst above was also the first load under an unknown schema
	// version: each farm must still have been read from DRF once.
	t.Run("cold stampede control", func(t *testing.T) {
		if coldReads != 10 {
			t.Errorf("10 farms read concurrently on 3 replicas before the schema version was known reached DRF %d times; want 10 "+
				"(a load that learns the schema version stores under the new key, so waiters in other processes find no entry under theirs and load again)", coldReads)
		}
	})

	t.Run("stampede control", func(t *testing.T) {
		s.DRF.ResetStats(t)
		s.DRF.SetFaults(t, testenv.Faults{Latency: 300 * time.Millisecond, Paths: "/admin/farms/schema$|/farms/[0-9]+/$"})
		defer s.DRF.ClearFaults(t)
		res := c.burst(300, func(k int) haReq {
			return haReq{replica: k % 3, method: "GET", path: "/api/v1/admin/farms/schema"}
		})
		haExpect(t, res, 200)
		details := c.burst(150, func(k int) haReq {
			return haReq{replica: k % 3, method: "GET", path: fmt.Sprintf("/api/v1/admin/farms/%d", k%10+11)}
		})
		haExpect(t, details, 200)
		st := s.DRF.Stats(t)
		if n := st.Requests[drfSchemaKey]; n != 1 {
			t.Errorf("300 cold schema reads on 3 replicas reached DRF %d times; want 1", n)
		}
		if n := st.Requests[drfDetailKey]; n != 10 {
			t.Errorf("150 cold reads of 10 farms on 3 replicas reached DRF %d times; want 10", n)
		}
		if st.TokenObtain != 0 {
			t.Errorf("token obtained again (%d); want the shared one reused", st.TokenObtain)
		}
		t.Logf("stampede: schema X-Cache %v, farms X-Cache %v", haCount(res, func(r haResult) string { return r.XCache }),
			haCount(details, func(r haResult) string { return r.XCache }))
	})

	t.Run("credential revocation", func(t *testing.T) { haRevocation(t, s) })
	t.Run("invalidation", func(t *testing.T) {
		const list = "/api/v1/admin/farms"
		c.mustGet(t, 2, list, 200)
		before := c.mustGet(t, 2, list, 200)
		if before.XCache != "HIT" {
			t.Fatalf("second list read on replica 2: X-Cache %q; want HIT", before.XCache)
		}
		created := c.call(haReq{replica: 0, method: "POST", path: list, body: haFarm("invalidation")})
		if created.Status != 201 || !created.Envelope {
			t.Fatalf("create via replica 0 = %d %s", created.Status, created.Body)
		}
		id := haFarmID(created)
		// Other replicas learn of the route flush over Pub/Sub; if the message
		// is late they may serve their copy for at most the L1 lifetime and
		// the control-state age (both 1 s by default). Measure how long the
		// old list stayed visible, and fail past that bound.
		for _, i := range []int{2, 1} {
			start := time.Now()
			for reads := 1; ; reads++ {
				after := c.mustGet(t, i, list, 200)
				page := haPage(t, after)
				if page.has(id) && page.Count == haPage(t, before).Count+1 {
					if reads > 1 {
						t.Logf("replica %d served the list without farm %d for %v (%d reads) after the create answered",
							i, id, time.Since(start).Round(time.Millisecond), reads-1)
					}
					break
				}
				if time.Since(start) > haInvalidationBound {
					t.Errorf("replica %d %v after the create: X-Cache %s, count %d, farm %d listed %v; want it listed",
						i, time.Since(start).Round(time.Millisecond), after.XCache, page.Count, id, page.has(id))
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
}

// haRevocation: an integration token created on replica 0 works on the
// others; revoked on replica 1, replicas 0 and 2 refuse it within a second.
func haRevocation(t *testing.T, s *stack) {
	resp := s.Direct(t, 0, "POST", "/api/v1/admin/credentials", "admin",
		strings.NewReader(`{"name":"ha","type":"integration_token","scopes":["farms:state:read"],"expires_in":"1h"}`))
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var env struct {
		Data struct{ ID, Secret string } `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || resp.StatusCode != 201 {
		t.Fatalf("create on replica 0 = %d %s", resp.StatusCode, raw)
	}
	use := func(i int) int {
		req, _ := http.NewRequest("GET", s.AppURL(i)+"/api/v1/farms/1/state", nil)
		appapi.Credentials{AppID: "weather_apis", AppVersion: "1.0.0", AAVersion: "32.0.0", Secret: s.Secret}.Sign(req.Header, "")
		req.Header.Set("X-API-Key", env.Data.Secret)
		req.Header.Set("X-Origin-IP", "10.20.30.40")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	for _, i := range []int{0, 1, 2} {
		if st := use(i); st != 200 {
			t.Fatalf("token on replica %d = %d; want 200", i, st)
		}
	}
	resp = s.Direct(t, 1, "DELETE", "/api/v1/admin/credentials/"+env.Data.ID, "admin", nil)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke on replica 1 = %d", resp.StatusCode)
	}
	revoked := time.Now()
	for _, i := range []int{0, 2} {
		for use(i) != 401 {
			if time.Since(revoked) > time.Second {
				t.Fatalf("replica %d still accepts the revoked token after %v", i, time.Since(revoked))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	t.Logf("replicas 0 and 2 refused the revoked token %v after revocation", time.Since(revoked).Round(time.Millisecond))
}

// haInvalidationBound is how long another replica may still serve an entry
// after a write flushed it: WEATHER_APIS_CACHE_L1_TTL (1 s) plus scheduling.
const haInvalidationBound = 1500 * time.Millisecond

// haFailover writes and reads through all replicas while Sentinel first
// hands the master over (SENTINEL FAILOVER), then loses it (SIGKILL).
func haFailover(t *testing.T, s *stack, sn *testenv.Sentinel) {
	c := newHAClient(t, s)
	load := startHALoad(c, 3, 4)
	time.Sleep(time.Second)
	load.setPhase(1)
	t0 := time.Now()
	old := sn.MasterAddr(t)
	promoted := sn.Failover(t)
	tGraceful := time.Since(t0)
	time.Sleep(1500 * time.Millisecond)
	t1 := time.Now()
	crashed := sn.CrashMaster(t)
	third := sn.WaitNewMaster(t, crashed.Addr(), 20*time.Second)
	tCrash := time.Since(t1)
	tNew := time.Now()
	load.setPhase(2)
	time.Sleep(2 * time.Second)
	res := load.stop()
	t.Logf("master %s -> %s (SENTINEL FAILOVER, %v) -> %s (SIGKILL, %v)", old, promoted.Addr(), tGraceful.Round(time.Millisecond),
		third.Addr(), tCrash.Round(time.Millisecond))

	// Every answer is a truthful JSON envelope; 5xx only while failing over.
	var created []haCreated
	for phase, rs := range res {
		t.Logf("phase %s: %d answers, status %v, X-Cache %v", haPhases[phase], len(rs),
			haCount(rs, func(r haResult) string { return fmt.Sprint(r.Status) }),
			haCount(rs, func(r haResult) string { return r.XCache }))
		for _, r := range rs {
			switch {
			case r.Err != nil:
				t.Errorf("phase %s: %s %s: no answer: %v", haPhases[phase], r.req.method, r.req.path, r.Err)
			case !r.Envelope:
				t.Errorf("phase %s: %s %s: non-envelope answer %d %q", haPhases[phase], r.req.method, r.req.path, r.Status, r.Body)
			case phase == 0 && r.Status >= 500:
				t.Errorf("before the failover: %s %s = %d %s", r.req.method, r.req.path, r.Status, r.Body)
			}
			if r.Status == 201 {
				created = append(created, haCreated{id: haFarmID(r), name: r.req.name})
			}
		}
	}
	var lastBypass time.Time
	for _, r := range res[2] {
		if r.XCache == "BYPASS" && r.At.After(lastBypass) {
			lastBypass = r.At
		}
	}
	if !lastBypass.IsZero() {
		t.Logf("last BYPASS answer started %v after the new master was in charge", lastBypass.Sub(tNew).Round(time.Millisecond))
	}
	if len(created) < 20 {
		t.Errorf("only %d farms created under load; the load did not run", len(created))
	}

	// No acknowledged write is lost: DRF has every farm answered 201.
	farms := haDRFFarms(t, s)
	for _, f := range created {
		if farms[f.id] != f.name {
			t.Errorf("acknowledged farm %d %q: DRF has %q", f.id, f.name, farms[f.id])
		}
	}

	// Every replica recovers: the list is served (200, then HIT) and agrees
	// with DRF, so no invalidation was lost with the old master.
	s.DRF.ResetStats(t)
	for i := range s.Apps {
		t2 := time.Now()
		deadline := t2.Add(10 * time.Second)
		for {
			first := c.call(haReq{replica: i, method: "GET", path: "/api/v1/admin/farms"})
			second := c.call(haReq{replica: i, method: "GET", path: "/api/v1/admin/farms"})
			if first.Status == 200 && second.Status == 200 && second.XCache == "HIT" && haPage(t, second).Count == len(farms) {
				t.Logf("replica %d serves the list from the cache again after %v", i, time.Since(t2).Round(time.Millisecond))
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("replica %d after failover: %d %s then %d %s, count %d; want 200, HIT, count %d",
					i, first.Status, first.XCache, second.Status, second.XCache, haPage(t, second).Count, len(farms))
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if r := c.mustGet(t, i, "/api/v1/admin/farms/schema", 200); r.XCache != "HIT" && r.XCache != "MISS" {
			t.Errorf("replica %d schema after failover: X-Cache %q", i, r.XCache)
		}
	}
}

// haClient sends AppAPI-signed requests straight to the replicas; its
// methods never call t.Fatal, so goroutines may use them.
type haClient struct {
	s  *stack
	hc *http.Client
}

func newHAClient(t *testing.T, s *stack) *haClient {
	tr := &http.Transport{MaxIdleConnsPerHost: 128}
	t.Cleanup(tr.CloseIdleConnections)
	return &haClient{s: s, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

type haReq struct {
	replica      int
	method, path string
	body         []byte
	name         string // farm name of a create
	header       map[string]string
}

// haResult is one answer as the client saw it.
type haResult struct {
	req      haReq
	Status   int
	XCache   string
	Body     []byte
	Envelope bool // application/json, a version-1 envelope, error set iff status >= 400
	Wire     envelope.Wire
	Err      error // no answer at all
	At       time.Time
}

func (c *haClient) call(q haReq) haResult {
	res := haResult{req: q, At: time.Now()}
	var body io.Reader
	if q.body != nil {
		body = bytes.NewReader(q.body)
	}
	r, err := http.NewRequest(q.method, c.s.AppURL(q.replica)+q.path, body)
	if err != nil {
		res.Err = err
		return res
	}
	if q.body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	appapi.Credentials{AppID: "weather_apis", AppVersion: "1.0.0", AAVersion: "32.0.0", Secret: c.s.Secret}.Sign(r.Header, "admin")
	return c.send(r, res)
}

// send sends r and fills in res with the answer, decoded as an envelope.
func (c *haClient) send(r *http.Request, res haResult) haResult {
	resp, err := c.hc.Do(r)
	if err != nil {
		res.Err = err
		return res
	}
	defer resp.Body.Close()
	res.Status, res.XCache = resp.StatusCode, resp.Header.Get("X-Cache")
	if res.Body, err = io.ReadAll(resp.Body); err != nil {
		res.Err = err
		return res
	}
	res.Envelope = resp.Header.Get("Content-Type") == envelope.ContentType &&
		json.Unmarshal(res.Body, &res.Wire) == nil && res.Wire.Version.Envelope == 1 &&
		(res.Wire.Error != nil) == (res.Status >= 400)
	return res
}

// mustGet reads path on replica i and fails t unless the answer is an
// envelope with status want.
func (c *haClient) mustGet(t *testing.T, i int, path string, want int) haResult {
	t.Helper()
	r := c.call(haReq{replica: i, method: "GET", path: path})
	if r.Err != nil || !r.Envelope || r.Status != want {
		t.Fatalf("GET %s on replica %d = %d %v %s; want a %d envelope", path, i, r.Status, r.Err, r.Body, want)
	}
	return r
}

// burst sends n requests released at the same instant and returns their
// answers in order.
func (c *haClient) burst(n int, req func(k int) haReq) []haResult {
	out := make([]haResult, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() { <-start; out[k] = c.call(req(k)) })
	}
	close(start)
	wg.Wait()
	return out
}

// haExpect fails t unless every answer is an envelope with status want.
func haExpect(t *testing.T, res []haResult, want int) {
	t.Helper()
	bad := 0
	for _, r := range res {
		if r.Err != nil || !r.Envelope || r.Status != want {
			if bad++; bad <= 3 {
				t.Errorf("%s %s on replica %d = %d %v %.300s; want a %d envelope", r.req.method, r.req.path, r.req.replica, r.Status, r.Err, r.Body, want)
			}
		}
	}
	if bad > 3 {
		t.Errorf("... %d bad answers of %d", bad, len(res))
	}
}

// haCount tallies answers by key.
func haCount(res []haResult, key func(haResult) string) map[string]int {
	m := map[string]int{}
	for _, r := range res {
		m[key(r)]++
	}
	return m
}
