package main_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// TestHitRateWithoutUpstreamChange: the change detection costs no hits.
// With the probe re-reading every route twice a second and nothing
// changing upstream, reading the seeded data round robin through three
// processes is served from the cache (more than 99 % HIT), and the cache
// statistics of every process count no drift.
func TestHitRateWithoutUpstreamChange(t *testing.T) {
	const (
		probe   = 500 * time.Millisecond
		measure = 5 * time.Second
	)
	s := newStack(t, stackOptions{Replicas: 3, ExtraEnv: []string{"WEATHER_APIS_CACHE_PROBE_INTERVAL=" + probe.String()}})
	e := newEvoEnv(t, s)

	// The seeded data: the schema, the farm list, all 25 farms and their
	// states, observation pages 1..4.
	reqs := []evoReq{evoRead("farm_schema", "", ""), evoRead("farm_list", "", ""), evoRead("farm_list", "", "page=1")}
	for id := 1; id <= 25; id++ {
		reqs = append(reqs, evoRead("farm_detail", strconv.Itoa(id), ""), evoRead("farm_state", strconv.Itoa(id), ""))
	}
	for page := 1; page <= 4; page++ {
		reqs = append(reqs, evoRead("observation_list", "", "page="+strconv.Itoa(page)))
	}
	for i := range s.Apps {
		for _, q := range reqs {
			if r := e.read(i, q); r.Err != nil || !r.Envelope || r.Status != 200 {
				t.Fatalf("warm-up on replica %d, %s = %d %v %.300s", i, q, r.Status, r.Err, r.Body)
			}
		}
	}

	l := e.startLoop(reqs, 4, 0)
	defer l.stop.Store(true)
	time.Sleep(measure)
	res := l.finish()
	hits, bad := 0, 0
	for _, r := range res {
		switch {
		case r.Err != nil || !r.Envelope || r.Status != 200:
			if bad++; bad <= 3 {
				t.Errorf("replica %d %s = %d %v %.300s; want a 200 envelope", r.req.replica, reqs[r.q], r.Status, r.Err, r.Body)
			}
		case r.XCache == "HIT":
			hits++
		}
	}
	rate := float64(hits) / float64(max(len(res), 1))
	t.Logf("hit rate %.4f%% over %d requests in %v on 3 processes (probe every %v); X-Cache %v",
		100*rate, len(res), measure, probe/2, evoCount(res, func(r evoAnswer) string { return r.XCache }))
	if len(res) < 1000 {
		t.Errorf("only %d requests in %v; the load did not run", len(res), measure)
	}
	if rate <= 0.99 {
		t.Errorf("hit rate %.4f%% with no upstream change; want more than 99%%", 100*rate)
	}

	for i := range s.Apps {
		r := e.call(i, "GET", "/api/v1/admin/cache", nil, false)
		var stats struct {
			Cache struct {
				Total struct {
					Drift *int64 `json:"drift"`
				} `json:"total"`
			} `json:"cache"`
		}
		if r.Err != nil || !r.Envelope || r.Status != 200 || json.Unmarshal(r.Wire.Data, &stats) != nil || stats.Cache.Total.Drift == nil {
			t.Fatalf("cache stats on replica %d = %d %v %.300s", i, r.Status, r.Err, r.Body)
		}
		if d := *stats.Cache.Total.Drift; d != 0 {
			t.Errorf("cache stats on replica %d count %d drift with no upstream change; want 0", i, d)
		}
	}
}
