package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// Multi-process proof (issue 3): N weather_apis processes share one plain
// redis-server in front of the real DRF demo. Without the simulator's
// register no /init runs, and the schema probe is off unless a test needs
// it, so every test starts cold: no token, no cached entry.

const (
	schemaPath = "/api/v1/admin/farms/schema"
	listPath   = "/api/v1/admin/farms"
	// probeOff disables the schema probe, whose start-up read would obtain
	// the token and warm the schema before a cold test begins.
	probeOff = "WEATHER_APIS_CACHE_PROBE_INTERVAL=0"
	// crossReplica bounds how long another replica may serve what a write
	// replaced: its L1 copy lives at most WEATHER_APIS_CACHE_L1_TTL (1 s),
	// normally dropped at once by Pub/Sub; plus a margin for a busy machine.
	crossReplica = 1500 * time.Millisecond
)

// farmPaths returns the detail paths of farms from..to (the demo has 1..25).
func farmPaths(from, to int) []string {
	out := make([]string, 0, to-from+1)
	for id := from; id <= to; id++ {
		out = append(out, fmt.Sprintf("%s/%d", listPath, id))
	}
	return out
}

// spread sends n requests released at once; request k goes to replica
// k mod replicas and reads paths[k mod len(paths)]. With len(paths) coprime
// to the replica count every path reaches every replica.
func spread(c *haClient, n int, paths []string) []haResult {
	replicas := len(c.s.Apps)
	return c.burst(n, func(k int) haReq {
		return haReq{replica: k % replicas, method: "GET", path: paths[k%len(paths)]}
	})
}

func TestOneTokenForAllReplicas(t *testing.T) {
	// 8 s: refresh-ahead starts at half the lifetime (4 s), which a cold
	// burst on a busy 2-core machine must not reach.
	const accessTTL = 8 * time.Second
	s := newStack(t, stackOptions{Replicas: 4, DRF: testenv.DRFOptions{AccessTTL: accessTTL}, ExtraEnv: []string{probeOff}})
	c := newHAClient(t, s)
	if st := s.DRF.Stats(t); st.TokenObtain != 0 {
		t.Fatalf("not cold: %d token obtains before the first burst", st.TokenObtain)
	}

	// 15 keys (coprime to 4 replicas): schema, list, 13 farms.
	first := append([]string{schemaPath, listPath}, farmPaths(1, 13)...)
	t0 := time.Now()
	res := spread(c, 800, first)
	took := time.Since(t0)
	haExpect(t, res, 200)
	st := s.DRF.Stats(t)
	t.Logf("cold burst took %v: X-Cache %v", took.Round(time.Millisecond), haCount(res, func(r haResult) string { return r.XCache }))
	if st.TokenObtain != 1 || st.TokenRefresh != 0 {
		t.Fatalf("after the cold burst DRF saw %d token obtains and %d refreshes; want 1 and 0 (burst took %v; refresh-ahead starts half-way into the %v token)",
			st.TokenObtain, st.TokenRefresh, took, accessTTL)
	}

	// The token was obtained during the first burst: it has expired once
	// accessTTL has passed since the burst ended. The second burst reads
	// other keys, so every request needs the upstream, hence a token.
	time.Sleep(time.Until(t0.Add(took + accessTTL + 500*time.Millisecond)))
	second := append([]string{listPath + "?ordering=name", listPath + "?search=a"}, farmPaths(14, 25)...)
	second = append(second, listPath+"?page=1")
	res = spread(c, 800, second)
	haExpect(t, res, 200)
	st = s.DRF.Stats(t)
	if st.TokenObtain != 1 || st.TokenRefresh != 1 {
		t.Errorf("after the token expired, 800 requests on 4 replicas made DRF see %d obtains, %d refreshes in total; want 1 and 1",
			st.TokenObtain, st.TokenRefresh)
	}
	// Not asserted: under a burst this size on 2 cores Redis calls can miss
	// their 200 ms timeout, and those requests bypass the cache.
	t.Logf("expired-token burst: X-Cache %v; DRF saw %d reads of 25 farms", haCount(res, func(r haResult) string { return r.XCache }), st.Requests[drfDetailKey])
}

func TestStampedeOneUpstreamRead(t *testing.T) {
	s := newStack(t, stackOptions{Replicas: 4, ExtraEnv: []string{probeOff}})
	c := newHAClient(t, s)
	res := spread(c, 500, []string{schemaPath})
	haExpect(t, res, 200)
	docs := haCount(res, func(r haResult) string { var b bytes.Buffer; _ = json.Compact(&b, r.Wire.Data); return b.String() })
	if len(docs) != 1 {
		t.Errorf("500 schema answers carry %d different data documents; want 1", len(docs))
	}
	st := s.DRF.Stats(t)
	t.Logf("500 cold schema reads: X-Cache %v", haCount(res, func(r haResult) string { return r.XCache }))
	if n := st.Requests[drfSchemaKey]; n != 1 {
		t.Errorf("500 cold schema reads on 4 replicas reached DRF %d times; want 1", n)
	}
}

// timed is one answer of a background loop with when it was sent and got.
type timed struct {
	haResult
	sent, got time.Time
}

// loop is background traffic: workers each send req(w, k) for k = 0, 1, ...
// with pause in between until finish.
type loop struct {
	stop atomic.Bool
	wg   sync.WaitGroup
	mu   sync.Mutex
	res  []timed
}

func startLoop(c *haClient, workers int, pause time.Duration, req func(w, k int) haReq) *loop {
	l := &loop{}
	for w := range workers {
		l.wg.Go(func() {
			for k := 0; !l.stop.Load(); k++ {
				sent := time.Now()
				r := c.call(req(w, k))
				l.mu.Lock()
				l.res = append(l.res, timed{r, sent, time.Now()})
				l.mu.Unlock()
				time.Sleep(pause)
			}
		})
	}
	return l
}

// finish stops the loop and returns every answer.
func (l *loop) finish() []timed {
	l.stop.Store(true)
	l.wg.Wait()
	return l.res
}

// schemaShape tells the two DRF schema shapes apart: v1 has "fields" at the
// top level, v2 has "sections".
func schemaShape(data json.RawMessage) string {
	var doc struct{ Fields, Sections json.RawMessage }
	switch _ = json.Unmarshal(data, &doc); {
	case (doc.Fields == nil) == (doc.Sections == nil):
		return "?"
	case doc.Fields != nil:
		return "v1"
	}
	return "v2"
}

// drift reads the schema on every replica from before the switch to v2
// until window after it, and checks that no request sent later than bound
// after the switch got the v1 shape; the switch time is taken just before
// the switch request, so the bound is strict.
func drift(t *testing.T, s *stack, c *haClient, window, bound time.Duration) {
	for i := range s.Apps {
		if r := c.mustGet(t, i, schemaPath, 200); schemaShape(r.Wire.Data) != "v1" {
			t.Fatalf("replica %d before the switch: %.200s; want the v1 shape", i, r.Wire.Data)
		}
	}
	replicas := len(s.Apps)
	l := startLoop(c, 2*replicas, 10*time.Millisecond, func(w, k int) haReq {
		return haReq{replica: (w + k) % replicas, method: "GET", path: schemaPath}
	})
	time.Sleep(300 * time.Millisecond)
	switched := time.Now()
	s.DRF.SetSchema(t, 2)
	time.Sleep(window)
	res := l.finish()

	var lastV1 time.Duration
	late, v2, bad := 0, 0, 0
	for _, r := range res {
		if r.Err != nil || !r.Envelope || r.Status != 200 {
			if bad++; bad > 3 {
				continue
			}
			t.Errorf("replica %d: %d %v %.200s; want a 200 envelope", r.req.replica, r.Status, r.Err, r.Body)
			continue
		}
		switch schemaShape(r.Wire.Data) {
		case "v1":
			lastV1 = max(lastV1, r.sent.Sub(switched))
			if r.sent.Sub(switched) > bound {
				if late++; late <= 3 {
					t.Errorf("replica %d served the v1 schema (X-Cache %s) to a request sent %v after the switch; bound %v",
						r.req.replica, r.XCache, r.sent.Sub(switched).Round(time.Millisecond), bound)
				}
			}
		case "v2":
			v2++
		default:
			t.Errorf("replica %d: schema of neither shape: %.200s", r.req.replica, r.Wire.Data)
		}
	}
	t.Logf("%d reads, %d v2, %d bad; last v1 answer to a request sent %v after the switch (bound %v), %d late",
		len(res), v2, bad, lastV1.Round(time.Millisecond), bound, late)
	if v2 == 0 {
		t.Errorf("no v2 schema served within %v of the switch", window)
	}
}

func TestSchemaDriftConverges(t *testing.T) {
	t.Run("probe", func(t *testing.T) {
		const interval = time.Second
		s := newStack(t, stackOptions{Replicas: 2, ExtraEnv: []string{
			"WEATHER_APIS_CACHE_PROBE_INTERVAL=" + interval.String(), "WEATHER_APIS_CACHE_TTL=10m"}})
		drift(t, s, newHAClient(t, s), 2500*time.Millisecond, interval+500*time.Millisecond)
	})
	t.Run("ttl", func(t *testing.T) {
		const ttl = 3 * time.Second
		s := newStack(t, stackOptions{Replicas: 2, ExtraEnv: []string{probeOff, "WEATHER_APIS_CACHE_TTL=" + ttl.String()}})
		drift(t, s, newHAClient(t, s), ttl+1500*time.Millisecond, ttl+500*time.Millisecond)
	})
}

func TestRedisOutageIsNotAnOutage(t *testing.T) {
	s := newStack(t, stackOptions{Replicas: 2, ExtraEnv: []string{probeOff}})
	c := newHAClient(t, s)
	paths := []string{schemaPath, listPath, listPath + "/3"}
	haExpect(t, spread(c, 6, paths), 200) // warm: every path on both replicas
	l := startLoop(c, 4, 20*time.Millisecond, func(w, k int) haReq {
		return haReq{replica: w % 2, method: "GET", path: paths[(w+k)%len(paths)]}
	})
	time.Sleep(500 * time.Millisecond)
	down := time.Now()
	s.Redis.Stop(t)
	time.Sleep(3 * time.Second)
	up := time.Now()
	s.Redis.Start(t)
	res := l.finish()

	// L1 copies (at most 1 s old, WEATHER_APIS_CACHE_L1_TTL) may still
	// answer HIT right after the stop; after that every answer bypasses.
	const l1Grace = 1500 * time.Millisecond
	during, bad := map[string]int{}, 0
	for _, r := range res {
		into := r.sent.Sub(down).Round(time.Millisecond)
		var problem string
		switch {
		case r.Err != nil || !r.Envelope || r.Status != 200:
			problem = fmt.Sprintf("%d %v %.200s; want a 200 envelope", r.Status, r.Err, r.Body)
		case r.sent.After(down) && r.got.Before(up):
			if during[r.XCache]++; into > l1Grace && r.XCache != "BYPASS" {
				problem = fmt.Sprintf("X-Cache %q; want BYPASS", r.XCache)
			}
		}
		if problem != "" {
			if bad++; bad <= 3 {
				t.Errorf("replica %d %s sent %v after the stop: %s", r.req.replica, r.req.path, into, problem)
			}
		}
	}
	t.Logf("during the outage: X-Cache %v; %d bad answers in all", during, bad)
	if during["BYPASS"] < 20 {
		t.Errorf("only %d BYPASS answers during a 3 s outage; the load did not run", during["BYPASS"])
	}

	// After the restart (an empty Redis) each replica fills and hits again.
	for i := range s.Apps {
		eventually(t, fmt.Sprintf("replica %d answers HIT after the restart", i), 10*time.Second, func() (bool, string) {
			r := c.mustGet(t, i, schemaPath, 200)
			return r.XCache == "HIT", "X-Cache " + r.XCache
		})
	}
}

func TestUpstreamHTML503(t *testing.T) {
	const ttl = 2 * time.Second
	// SWR 0: an expired entry goes to DRF first, and is served stale only
	// because DRF fails (stale-if-error). The breaker counts failed calls,
	// not attempts: the 3 failing reads stay under its threshold (5 in 10 s),
	// so DRF is used again as soon as the faults end.
	s := newStack(t, stackOptions{Replicas: 2, ExtraEnv: []string{probeOff, "WEATHER_APIS_CACHE_TTL=" + ttl.String(),
		"WEATHER_APIS_CACHE_SWR=0s", "WEATHER_APIS_CACHE_STALE_IF_ERROR=1m", "WEATHER_APIS_UPSTREAM_RETRY_WAIT_MAX=200ms"}})
	c := newHAClient(t, s)
	const warm = listPath + "/5"
	c.mustGet(t, 0, warm, 200)
	if r := c.mustGet(t, 1, warm, 200); r.XCache != "HIT" {
		t.Fatalf("replica 1 after replica 0 loaded %s: X-Cache %q; want HIT", warm, r.XCache)
	}
	warmed := time.Now()
	s.DRF.SetFaults(t, testenv.Faults{FailRate: 1, FailStatus: 503, HTMLErrors: true})
	time.Sleep(time.Until(warmed.Add(ttl + 300*time.Millisecond)))

	for i := range s.Apps {
		r := c.mustGet(t, i, warm, 200)
		if r.Wire.Source != envelope.SourceStale || r.XCache != "STALE" {
			t.Errorf("replica %d, DRF failing with HTML 503: source %q, X-Cache %q; want stale, STALE", i, r.Wire.Source, r.XCache)
		}
	}
	r := c.call(haReq{replica: 0, method: "GET", path: listPath + "/7"})
	if r.Err != nil || !r.Envelope || (r.Status != 502 && r.Status != 503) ||
		r.Wire.Error.Code != envelope.CodeUpstreamUnavailable || strings.Contains(strings.ToLower(string(r.Body)), "<html") {
		t.Errorf("never-cached farm while DRF fails: %d %v %.300s; want a 502/503 UPSTREAM_UNAVAILABLE envelope", r.Status, r.Err, r.Body)
	}
	t.Logf("DRF answered %d farm reads with the HTML 503 (3 reads, retries included)", s.DRF.Stats(t).Faults[drfDetailKey])

	s.DRF.ClearFaults(t)
	for i := range s.Apps {
		r := c.mustGet(t, i, warm, 200)
		if r.Wire.Source == envelope.SourceStale || r.XCache == "STALE" {
			t.Errorf("replica %d after the faults ended: source %q, X-Cache %q; want fresh", i, r.Wire.Source, r.XCache)
		}
	}
	c.mustGet(t, 1, listPath+"/7", 200)
}

// eventually calls get until it reports ok, at most within long; it fails
// t otherwise, and logs when the first call was not ok yet.
func eventually(t *testing.T, what string, within time.Duration, get func() (ok bool, seen string)) {
	t.Helper()
	start := time.Now()
	for k := 1; ; k++ {
		ok, seen := get()
		switch {
		case ok && k > 1:
			t.Logf("NOTE: %s only after %v (%d reads)", what, time.Since(start).Round(time.Millisecond), k)
			return
		case ok:
			return
		case time.Since(start) > within:
			t.Errorf("%s: not within %v; last read: %s", what, within, seen)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestWritesInvalidateAcrossReplicas(t *testing.T) {
	// Its own DRF: the new farm must be on the list's first page.
	s := newStack(t, stackOptions{Replicas: 2, ExtraEnv: []string{probeOff}, OwnDRF: true})
	c := newHAClient(t, s)
	if r := c.mustGet(t, 1, listPath, 200); r.XCache != "MISS" {
		t.Errorf("first list read: X-Cache %q; want MISS", r.XCache)
	}
	before := c.mustGet(t, 1, listPath, 200)
	if before.XCache != "HIT" {
		t.Fatalf("second list read: X-Cache %q; want HIT", before.XCache)
	}
	count := haPage(t, before).Count

	created := c.call(haReq{replica: 0, method: "POST", path: listPath, body: haFarm("scale-create")})
	if created.Status != 201 || !created.Envelope {
		t.Fatalf("create via replica 0 = %d %v %.300s; want a 201 envelope", created.Status, created.Err, created.Body)
	}
	id := haFarmID(created)
	eventually(t, "farm created via replica 0 in the list of replica 1", crossReplica, func() (bool, string) {
		r := c.mustGet(t, 1, listPath, 200)
		p := haPage(t, r)
		return p.has(id) && p.Count == count+1, fmt.Sprintf("X-Cache %s, count %d (was %d), farm %d listed %v", r.XCache, p.Count, count, id, p.has(id))
	})

	// Update farm 3 via replica 1 while replica 0 holds it in its cache.
	const x = listPath + "/3"
	c.mustGet(t, 0, x, 200)
	if r := c.mustGet(t, 0, x, 200); r.XCache != "HIT" {
		t.Fatalf("second read of %s on replica 0: X-Cache %q; want HIT", x, r.XCache)
	}
	upd := c.call(haReq{replica: 1, method: "PUT", path: x, body: haFarm("scale-renamed")})
	if upd.Status != 200 || !upd.Envelope {
		t.Fatalf("update via replica 1 = %d %v %.300s", upd.Status, upd.Err, upd.Body)
	}
	eventually(t, "farm 3 updated via replica 1, read on replica 0", crossReplica, func() (bool, string) {
		r := c.mustGet(t, 0, x, 200)
		var farm struct{ Name string }
		_ = json.Unmarshal(r.Wire.Data, &farm)
		return farm.Name == "scale-renamed", fmt.Sprintf("X-Cache %s, name %q", r.XCache, farm.Name)
	})

	// Delete the new farm via replica 0 while replica 1 holds it.
	detail := fmt.Sprintf("%s/%d", listPath, id)
	c.mustGet(t, 1, detail, 200)
	if r := c.mustGet(t, 1, detail, 200); r.XCache != "HIT" {
		t.Fatalf("second read of %s on replica 1: X-Cache %q; want HIT", detail, r.XCache)
	}
	if del := c.call(haReq{replica: 0, method: "DELETE", path: detail}); del.Status != 200 || !del.Envelope {
		t.Fatalf("delete via replica 0 = %d %v %.300s", del.Status, del.Err, del.Body)
	}
	eventually(t, "farm deleted via replica 0, read on replica 1", crossReplica, func() (bool, string) {
		r := c.call(haReq{replica: 1, method: "GET", path: detail})
		ok := r.Envelope && r.Status == 404 && r.Wire.Error.Code == envelope.CodeNotFound
		return ok, fmt.Sprintf("%d envelope=%v %.200s", r.Status, r.Envelope, r.Body)
	})
	eventually(t, "deleted farm gone from the list of replica 1", crossReplica, func() (bool, string) {
		p := haPage(t, c.mustGet(t, 1, listPath, 200))
		return !p.has(id), fmt.Sprintf("count %d, farm %d listed", p.Count, id)
	})
}
