package main_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestOneCallerCannotOpenTheBreaker is issue 12's attack, replayed through
// the user's path (3 replicas, the real DRF demo, Redis): a read-only API
// key sends 1 000 requests, half with malformed or out-of-range query
// values (refused with 400 before anything goes upstream) and half that
// make DRF answer 500 (it crashes on every observation list). The breaker,
// shared by the replicas, stays closed because the known-good request
// still succeeds, and another client's uncached reads answer 200 all along.
func TestOneCallerCannotOpenTheBreaker(t *testing.T) {
	s := newStack(t, stackOptions{Replicas: 3, ExtraEnv: []string{probeOff},
		Metrics: true})
	c := newHAClient(t, s)
	created := c.call(haReq{replica: 0, method: "POST", path: "/api/v1/admin/credentials",
		body: []byte(`{"name":"prober","type":"api_key","scopes":["observations:read"]}`)})
	if created.Status != 201 {
		t.Fatalf("create credential = %d %s", created.Status, created.Body)
	}
	var key struct{ Secret string }
	if err := json.Unmarshal(created.Wire.Data, &key); err != nil || key.Secret == "" {
		t.Fatalf("no secret in %s", created.Body)
	}
	s.DRF.SetFaults(t, testenv.Faults{FailRate: 1, FailStatus: 500, Paths: "^/api/v1/observations/"})

	other := startLoop(c, 2, 20*time.Millisecond, func(w, k int) haReq {
		return haReq{replica: (w + k) % 3, method: "GET", path: "/api/v1/admin/farms/" + strconv.Itoa(1+k%3),
			header: map[string]string{"Cache-Control": "no-cache"}}
	})
	malformed := []string{"farm=abc", "farm=99999999999999999991", "page=0", "page=abc", "farm=1&farm=2", "since=yesterday"}
	var local400, upstream5xx, wrong int
	for k := range 1000 {
		q := "farm=" + strconv.Itoa(1+k%3) + "&page=" + strconv.Itoa(1+k%7) // valid: DRF crashes on it
		if k%2 == 0 {
			q = malformed[(k/2)%len(malformed)]
		}
		r := c.call(haReq{replica: k % 3, method: "GET", path: "/api/v1/observations?" + q,
			header: map[string]string{"X-API-Key": key.Secret}})
		switch {
		case !r.Envelope:
			wrong++
		case k%2 == 0 && r.Status == 400 && r.Wire.Source == "local":
			local400++
		case k%2 == 1 && r.Status >= 500 && r.Wire.Source == "upstream":
			upstream5xx++
		default:
			wrong++
			if wrong <= 3 {
				t.Errorf("GET /api/v1/observations?%s = %d %.200s", q, r.Status, r.Body)
			}
		}
	}
	res := other.finish()
	var ok, bad int
	for _, r := range res {
		if r.Status == 200 && r.Wire.Source == "upstream" {
			ok++
		} else {
			bad++
			if bad <= 3 {
				t.Errorf("another client's read on replica %d: %d %.200s", r.req.replica, r.Status, r.Body)
			}
		}
	}
	sum := breakerCounters(t, s.MetricsPorts)
	states := breakerStates(t, s.MetricsPorts)
	t.Logf("prober: %d refused locally (400), %d DRF 500s relayed, %d wrong; other client: %d reads at 200, %d not; breaker: %+v, states %v",
		local400, upstream5xx, wrong, ok, bad, sum, states)
	if local400 != 500 || upstream5xx != 500 {
		t.Errorf("prober answers: %d local 400s and %d upstream 5xx; want 500 each", local400, upstream5xx)
	}
	if sum.opens != 0 || sum.rejected == 0 {
		t.Errorf("breaker opened %d times and refused %d opens; want 0 opens, at least one refused", sum.opens, sum.rejected)
	}
	for i, st := range states {
		if st != 0 {
			t.Errorf("replica %d: breaker_state %v; want 0 (closed)", i, st)
		}
	}
	if ok == 0 {
		t.Errorf("the other client made no reads")
	}
}

// breakerStates returns weather_apis_breaker_state of every replica.
func breakerStates(t *testing.T, ports []int) []float64 {
	t.Helper()
	out := make([]float64, len(ports))
	for i, p := range ports {
		v, ok := scrapeMetrics(t, p)["weather_apis_breaker_state"]
		if !ok {
			t.Fatalf("replica %d exports no weather_apis_breaker_state", i)
		}
		out[i] = v
	}
	return out
}
