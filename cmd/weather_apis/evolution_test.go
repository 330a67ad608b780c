package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// TestEvolutionProperty: the DRF backend changes its answers in ways
// nobody scripted (generated renames, nesting, type changes, added and
// removed members, with and without a new declared version, with and
// without the version header) while three weather_apis processes serve
// them from a shared cache whose entries live 10 min. Within one probe
// interval of a change, every answer of every process must be what the
// upstream answers now: the same shape, labelled with the version it
// declares, or a 502 UPSTREAM_BAD_RESPONSE when the generic rules refuse
// it; never an older body, never the upstream's address. Writes accepted
// upstream are relayed as accepted with the upstream's (transformed)
// answer. Clearing the transforms is an evolution too, checked the same way.
//
// Seeded: WEATHER_APIS_EVOLUTION_SEED and WEATHER_APIS_EVOLUTION_COUNT
// replay a run (iteration i's rules depend on the seed, i and the
// upstream's data only).
func TestEvolutionProperty(t *testing.T) {
	seed, count := evoSettings(t)
	t.Logf("seed %d, %d iterations (replay: WEATHER_APIS_EVOLUTION_SEED=%d WEATHER_APIS_EVOLUTION_COUNT=%d)", seed, count, seed, count)
	began := time.Now()
	s := newStack(t, stackOptions{Replicas: 3, ExtraEnv: []string{
		"WEATHER_APIS_CACHE_PROBE_INTERVAL=" + evoProbe.String(), "WEATHER_APIS_CACHE_TTL=10m"}})
	e := newEvoEnv(t, s)
	// 30 more farms (55 in all): the farm list has a second page, so both
	// pagination links of both pages are rewritten.
	for k := range 30 {
		if up := e.upstream(t, "POST", "/api/v1/farms/", haFarm(fmt.Sprintf("evolution-%d", k))); up.status != 201 {
			t.Fatalf("create farm at DRF = %d %s", up.status, up.body)
		}
	}
	reqs := evoReads()

	// Cold warm-up, replica 0 first: its loads are the routes' first
	// stored answers (the probe's samples).
	cur := e.currentAll(t, reqs)
	base := make([]string, len(reqs))
	for k, q := range reqs {
		w := evoExpect(q, cur[k])
		if !w.accepted || w.declared != "1" {
			t.Fatalf("DRF before any transform: %s %s declares %q; refused: %s", q.method, q.upPath, w.declared, w.why)
		}
		base[k] = w.print
	}
	for i := range s.Apps {
		for k, q := range reqs {
			r := e.read(i, q)
			if r.Err != nil || !r.Envelope || r.Status != 200 || evoPrint(r.Wire.Data) != base[k] || evoSchema(r) != "1" {
				t.Fatalf("warm-up on replica %d, %s: %d %v X-Cache %s version %s print %s (want %s) %.300s",
					i, q, r.Status, r.Err, r.XCache, evoSchema(r), evoPrint(r.Wire.Data), base[k], r.Body)
			}
		}
	}

	known := "1" // the version the cache holds
	for iter := range count {
		rng := rand.New(rand.NewPCG(seed, uint64(iter)))
		writes := iter%2 == 1
		ev := evoGenerate(rng, iter, reqs, cur, writes, s.DRF.URL())
		t.Logf("iteration %d: %s", iter, ev)
		c := &evoCheck{t: t, seed: seed, iter: iter, phase: "evolution", ev: ev}

		switched := time.Now() // taken before the switch: the bound is strict
		s.DRF.SetTransforms(t, ev.transforms())
		_, known = e.window(t, c, reqs, switched, known)
		if writes {
			e.writes(t, c)
		}

		c = &evoCheck{t: t, seed: seed, iter: iter, phase: "clear", ev: ev}
		cleared := time.Now()
		s.DRF.ClearTransforms(t)
		cur, known = e.window(t, c, reqs, cleared, known)
		for k, q := range reqs {
			if w := evoExpect(q, cur[k]); w.print != base[k] {
				t.Errorf("iteration %d: after ClearTransforms DRF answers %s with print %s; the original was %s", iter, q, w.print, base[k])
			}
		}
		if t.Failed() {
			t.Logf("stopping after iteration %d; replay with WEATHER_APIS_EVOLUTION_SEED=%d WEATHER_APIS_EVOLUTION_COUNT=%d", iter, seed, iter+1)
			break
		}
	}
	t.Logf("took %v", time.Since(began).Round(100*time.Millisecond))
}

const (
	evoProbe = time.Second // WEATHER_APIS_CACHE_PROBE_INTERVAL
	// evoSched is the allowance past one probe interval for scheduling on
	// a busy machine: the probe round itself, the Pub/Sub message that
	// tells the other processes, and the request in flight.
	evoSched = 250 * time.Millisecond
	// evoWindow is how long every request is read after a switch, and
	// evoGrace how much longer at most when a pair had no answer yet.
	evoWindow = evoProbe + time.Second
	evoGrace  = 3 * time.Second

	evoDefaultSeed  = 20261206
	evoDefaultCount = 10
)

// evoSettings reads the seed and the iteration count from the environment.
func evoSettings(t *testing.T) (uint64, int) {
	seed, count := uint64(evoDefaultSeed), evoDefaultCount
	if v := os.Getenv("WEATHER_APIS_EVOLUTION_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("WEATHER_APIS_EVOLUTION_SEED=%q: %v", v, err)
		}
		seed = n
	}
	if v := os.Getenv("WEATHER_APIS_EVOLUTION_COUNT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("WEATHER_APIS_EVOLUTION_COUNT=%q: want a positive integer", v)
		}
		count = n
	}
	return seed, count
}

// evoReads covers every cached read route: the schema, DRF's OPTIONS
// metadata, both farm list pages, three farms and their states, and
// observation pages (the first, the second, one farm's).
func evoReads() []evoReq {
	reqs := []evoReq{
		evoRead("farm_schema", "", ""),
		evoRead("farm_metadata", "", ""),
		evoRead("farm_list", "", ""),
		evoRead("farm_list", "", "page=2"),
	}
	for _, id := range []string{"3", "7", "12"} {
		reqs = append(reqs, evoRead("farm_detail", id, ""), evoRead("farm_state", id, ""))
	}
	return append(reqs, evoRead("observation_list", "", ""), evoRead("observation_list", "", "page=2"),
		evoRead("observation_list", "", "farm=3"))
}

// currentAll reads every request's current answer straight from DRF.
func (e *evoEnv) currentAll(t *testing.T, reqs []evoReq) []evoUp {
	out := make([]evoUp, len(reqs))
	for k, q := range reqs {
		out[k] = e.upstream(t, q.method, q.upPath, nil)
	}
	return out
}

// evoCheck reports the failures of one phase of one iteration, the first
// few in full.
type evoCheck struct {
	t     *testing.T
	seed  uint64
	iter  int
	phase string // "evolution" or "clear"
	ev    evoEvolution
	fails int
}

const evoMaxFails = 6

func (c *evoCheck) fail(format string, args ...any) {
	c.t.Helper()
	if c.fails++; c.fails <= evoMaxFails {
		c.t.Errorf("iteration %d (seed %d), %s: %s\n\tevolution: %s", c.iter, c.seed, c.phase, fmt.Sprintf(format, args...), c.ev)
	}
}

// window reads every request through every replica from just after the
// switch until evoWindow after it, reads the upstream's current answers,
// and checks every answer to a request sent later than one probe interval
// (plus evoSched) after the switch. before is the version the cache held
// before the switch; it returns the upstream's current answers and the
// version the cache holds now.
func (e *evoEnv) window(t *testing.T, c *evoCheck, reqs []evoReq, switched time.Time, before string) ([]evoUp, string) {
	t.Helper()
	l := e.startLoop(reqs, 3, 5*time.Millisecond)
	defer l.stop.Store(true)     // also when a direct upstream read fails the test
	cur := e.currentAll(t, reqs) // the upstream no longer changes until the window ends
	time.Sleep(time.Until(switched.Add(evoWindow)))
	bound := switched.Add(evoProbe + evoSched)
	// On a slow machine a round over every (request, replica) pair may not
	// fit in the window: read on (at most evoGrace) until each pair has an
	// answer to check. The upstream does not change meanwhile.
	for grace := time.Now().Add(evoGrace); !l.covers(bound, len(reqs), len(e.s.Apps)) && time.Now().Before(grace); {
		time.Sleep(50 * time.Millisecond)
	}
	res := l.finish()

	wants := make([]evoWant, len(reqs))
	learned := before
	for k, q := range reqs {
		wants[k] = evoExpect(q, cur[k])
		// The probe re-reads the schema every round and records the
		// version it declares, even when it refuses the answer.
		if q.route == "farm_schema" && wants[k].declared != "" {
			learned = wants[k].declared
		}
	}
	seen := map[[2]int]int{}
	late := 0
	for _, r := range res {
		if bytes.Contains(r.Body, []byte(e.addr)) {
			c.fail("replica %d %s +%v: the answer contains the upstream's address %s: %.300s",
				r.req.replica, reqs[r.q], r.sent.Sub(switched).Round(time.Millisecond), e.addr, r.Body)
		}
		if r.sent.Before(bound) {
			continue
		}
		late++
		seen[[2]int{r.q, r.req.replica}]++
		c.answer(r, reqs[r.q], wants[r.q], learned, r.sent.Sub(switched))
	}
	for k, q := range reqs {
		for i := range e.s.Apps {
			if seen[[2]int{k, i}] == 0 {
				c.fail("replica %d %s: no answer to a request sent between %v and %v after the switch", i, q, evoProbe+evoSched, evoWindow+evoGrace)
			}
		}
	}
	if c.fails > evoMaxFails {
		t.Errorf("iteration %d, %s: %d failures in all", c.iter, c.phase, c.fails)
	}
	refused := 0
	for _, w := range wants {
		if !w.accepted {
			refused++
		}
	}
	t.Logf("  %s: %d answers, %d checked (sent ≥ %v after the switch), %d of %d requests refused upstream-side, version %s→%s; X-Cache %v, status %v",
		c.phase, len(res), late, evoProbe+evoSched, refused, len(reqs), before, learned,
		evoCount(res, func(r evoAnswer) string { return r.XCache }), evoCount(res, func(r evoAnswer) string { return strconv.Itoa(r.Status) }))
	return cur, learned
}

// answer checks one answer against what the upstream answers now. An
// answer is labelled with the version it declares or, when it declares
// none, with the version the cache holds (learned: what the schema route
// declares now, or what the cache held before when it declares none).
func (c *evoCheck) answer(r evoAnswer, q evoReq, w evoWant, learned string, since time.Duration) {
	c.t.Helper()
	got := "-"
	if r.Envelope && len(r.Wire.Data) > 0 && string(r.Wire.Data) != "null" {
		got = evoPrint(r.Wire.Data)
	}
	where := fmt.Sprintf("replica %d %s sent +%v: %d, X-Cache %s, version %s, print %s",
		r.req.replica, q, since.Round(time.Millisecond), r.Status, r.XCache, evoSchema(r.haResult), got)
	v := evoSchema(r.haResult)
	switch {
	case r.Err != nil || !r.Envelope:
		c.fail("%s: not an envelope: %v %.300s", where, r.Err, r.Body)
	case !w.accepted:
		if r.Status != 502 || r.Wire.Error == nil || r.Wire.Error.Code != envelope.CodeUpstreamBadResponse {
			c.fail("%s; the generic rules refuse the upstream's current answer (%s): want a 502 UPSTREAM_BAD_RESPONSE, never an older body: %.300s",
				where, w.why, r.Body)
		}
	case r.Status/100 != 2:
		c.fail("%s; want 2xx with print %s (the upstream's current answer is accepted): %.300s", where, w.print, r.Body)
	case got != w.print:
		c.fail("%s; want print %s (the upstream's current answer): %.300s", where, w.print, r.Body)
	case w.declared != "" && v != w.declared:
		c.fail("%s; want version %s (the upstream's current answer declares it)", where, w.declared)
	case w.declared == "" && v != orNull(learned):
		c.fail("%s; want version %s: the upstream's current answer declares none, so it is labelled with the version the cache holds", where, orNull(learned))
	}
}

func orNull(v string) string {
	if v == "" {
		return "null"
	}
	return v
}

// writes PUTs a farm state and POSTs an observation through weather_apis
// while the transforms (which have rules for both write answers) apply:
// both answer 2xx with the upstream's answer as data, and the farm state
// read through another replica is the upstream's current one.
func (e *evoEnv) writes(t *testing.T, c *evoCheck) {
	t.Helper()
	iter := c.iter
	i, j := iter%len(e.s.Apps), (iter+1)%len(e.s.Apps)
	const statePath = "/api/v1/farms/7/state"
	ndvi := float64(2000+iter*137%7000) / 10000
	state, _ := json.Marshal(map[string]any{"farm": 7, "ndvi": ndvi, "observed_at": fmt.Sprintf("2026-11-%02dT06:00:00Z", iter%28+1),
		"source": fmt.Sprintf("evolution-%d", iter), "tiles": []map[string]any{{"z": 14, "x": 8506, "y": 5602, "ndvi": 0.5}}})
	r := e.call(i, "PUT", statePath, state, true)
	// The same PUT again, straight to DRF: what the upstream answers it now.
	up := e.upstream(t, "PUT", statePath, state)
	switch {
	case up.status != 200:
		t.Fatalf("iteration %d: DRF refused the state PUT: %d %s", iter, up.status, up.body)
	case r.Err != nil || !r.Envelope || r.Status != 200:
		c.fail("PUT %s on replica %d = %d %v %.300s; want 200: DRF accepted it", statePath, i, r.Status, r.Err, r.Body)
	case !evoSame(r.Wire.Data, up.body, e.s.DRF.URL()):
		c.fail("PUT %s on replica %d: data %.300s; want the upstream's answer %.300s", statePath, i, r.Wire.Data, up.body)
	}
	if bytes.Contains(r.Body, []byte(e.addr)) {
		c.fail("PUT %s on replica %d: the answer contains the upstream's address: %.300s", statePath, i, r.Body)
	}

	// The new state, read through another replica, as the upstream answers
	// it now (transformed: the ndvi sent may have been renamed, nested or
	// retyped, so compare with the upstream's current answer).
	read := evoRead("farm_state", "7", "")
	written := time.Now()
	for {
		now := e.upstream(t, "GET", read.upPath, nil)
		got := e.read(j, read)
		if got.Envelope && got.Status == 200 && evoSame(got.Wire.Data, now.body, e.s.DRF.URL()) {
			if !evoHas(now.body, ndvi) {
				t.Logf("  the GET transforms hide the ndvi %v written: %s", ndvi, now.body)
			}
			break
		}
		if time.Since(written) > crossReplica {
			c.fail("GET %s on replica %d %v after the PUT on replica %d: %d X-Cache %s %.300s; want the upstream's current answer %.300s",
				read.path, j, time.Since(written).Round(time.Millisecond), i, got.Status, got.XCache, got.Wire.Data, now.body)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	station := fmt.Sprintf("EVO-%d", iter)
	obs, _ := json.Marshal(map[string]any{"farm": 20, "station": station, "observed_at": fmt.Sprintf("2026-11-%02dT12:00:00Z", iter%28+1),
		"temperature_c": 12.5, "humidity_pct": 55, "rainfall_mm": 0.4, "wind_kph": 7})
	r = e.call(i, "POST", "/api/v1/observations", obs, true)
	up = e.upstream(t, "POST", "/api/v1/observations/", obs) // a twin: another id, same shape
	switch {
	case up.status != 201:
		t.Fatalf("iteration %d: DRF refused the observation POST: %d %s", iter, up.status, up.body)
	case r.Err != nil || !r.Envelope || r.Status != 201:
		c.fail("POST /api/v1/observations on replica %d = %d %v %.300s; want 201: DRF accepted it", i, r.Status, r.Err, r.Body)
	case evoPrint(r.Wire.Data) != evoPrint(up.body):
		c.fail("POST /api/v1/observations on replica %d: data %.300s (print %s); want the shape of the upstream's answer %.300s (print %s)",
			i, r.Wire.Data, evoPrint(r.Wire.Data), up.body, evoPrint(up.body))
	case evoHas(up.body, station) != evoHas(r.Wire.Data, station):
		c.fail("POST /api/v1/observations on replica %d: data %.300s; the station %s sent is where the upstream's answer %.300s has it",
			i, r.Wire.Data, station, up.body)
	}
	if bytes.Contains(r.Body, []byte(e.addr)) {
		c.fail("POST /api/v1/observations on replica %d: the answer contains the upstream's address: %.300s", i, r.Body)
	}
}

// evoHas reports whether the JSON value b holds want (a float64 or a
// string) anywhere, as a number or as its text.
func evoHas(b []byte, want any) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return false
	}
	text := fmt.Sprint(want)
	var find func(any) bool
	find = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for _, c := range x {
				if find(c) {
					return true
				}
			}
		case []any:
			for _, c := range x {
				if find(c) {
					return true
				}
			}
		case json.Number:
			f, err := x.Float64()
			return err == nil && fmt.Sprint(f) == text
		case string:
			return x == text
		}
		return false
	}
	return find(v)
}

// evoCount tallies answers by key.
func evoCount(res []evoAnswer, key func(evoAnswer) string) map[string]int {
	m := map[string]int{}
	for _, r := range res {
		m[key(r)]++
	}
	return m
}
