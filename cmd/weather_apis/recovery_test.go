package main_test

import (
	"bufio"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// The adaptive breaker, measured end to end (README.md "Runbook", "Circuit
// open"): 3 replicas sharing one breaker in Redis, the real DRF demo.
//
//  1. DRF down for exactly 5 s (every connection reset, no answer), then
//     back: uncached reads succeed again within 3 s of DRF answering, and
//     reads with a cached entry of the same schema version answer 200
//     (STALE when it expired) throughout.
//  2. DRF dead for WEATHER_APIS_RECOVERY_DEAD (default 30 s; the issue's
//     2-minute form with `WEATHER_APIS_RECOVERY_DEAD=2m`) answering 503 HTML
//     pages: the breaker lets at most one probe through per cooldown across
//     the 3 replicas, the cooldown doubling from 1.5 s up to
//     WEATHER_APIS_UPSTREAM_BREAKER_MAX_COOLDOWN, and the stale reads keep
//     answering.
const (
	recoveryMaxCooldown = 8 * time.Second
	recoveryFarmPath    = "/api/v1/admin/farms/1"
)

func TestBreakerRecovery(t *testing.T) {
	dead := 30 * time.Second
	if v := os.Getenv("WEATHER_APIS_RECOVERY_DEAD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("WEATHER_APIS_RECOVERY_DEAD=%q: %v", v, err)
		}
		dead = d
	}
	maxCooldown := recoveryMaxCooldown
	if dead >= 2*time.Minute {
		maxCooldown = 30 * time.Second // the default, as deployed
	}
	s := newStack(t, stackOptions{Replicas: 3, ExtraEnv: []string{probeOff,
		"WEATHER_APIS_CACHE_TTL=1s", "WEATHER_APIS_CACHE_STALE_IF_ERROR=1h",
		"WEATHER_APIS_UPSTREAM_BREAKER_MAX_COOLDOWN=" + maxCooldown.String()},
		Metrics: true})
	c := newHAClient(t, s)
	for i := range 3 {
		c.mustGet(t, i, schemaPath, 200)
	}
	noCache := map[string]string{"Cache-Control": "no-cache"}
	// Each worker alternates an uncached read (no-cache: it must reach DRF)
	// and a read of the cached schema.
	reads := func() *loop {
		return startLoop(c, 3, 50*time.Millisecond, func(w, k int) haReq {
			if k%2 == 0 {
				return haReq{replica: w, method: "GET", path: recoveryFarmPath, header: noCache}
			}
			return haReq{replica: w, method: "GET", path: schemaPath}
		})
	}

	t.Run("5 s outage", func(t *testing.T) {
		l := reads()
		time.Sleep(time.Second)
		s.DRF.SetFaults(t, testenv.Faults{ResetConnections: true})
		time.Sleep(5 * time.Second)
		s.DRF.ClearFaults(t)
		back := time.Now()
		time.Sleep(4 * time.Second)
		res := l.finish()
		recovered := time.Duration(-1)
		for _, r := range res {
			if r.req.path == recoveryFarmPath && r.sent.After(back) && r.Status == 200 && r.Wire.Source == "upstream" {
				recovered = r.got.Sub(back)
				break
			}
		}
		t.Logf("uncached reads succeeded again %v after DRF answered (bound 3 s)", recovered.Round(time.Millisecond))
		if recovered < 0 || recovered > 3*time.Second {
			t.Errorf("uncached reads recovered %v after DRF came back; want within 3 s", recovered)
		}
		checkStaleThroughout(t, res)
	})

	t.Run("dead DRF", func(t *testing.T) {
		opensBefore := breakerCounters(t, s.MetricsPorts).opens
		s.DRF.SetFaults(t, testenv.Faults{FailRate: 1, FailStatus: 503, HTMLErrors: true})
		l := reads()
		// From the first open on, DRF should see only probes and the
		// confirmations of failed ones.
		for breakerCounters(t, s.MetricsPorts).opens == opensBefore {
			time.Sleep(20 * time.Millisecond)
		}
		s.DRF.ResetStats(t)
		before := breakerCounters(t, s.MetricsPorts)
		start := time.Now()
		time.Sleep(dead)
		res := l.finish()
		elapsed := time.Since(start)
		after := breakerCounters(t, s.MetricsPorts)
		st := s.DRF.Stats(t)
		s.DRF.ClearFaults(t)

		d := after.minus(before)
		// The first open comes at once (the first failures, confirmed by a
		// known-good request that fails too); then a probe each time a
		// cooldown ends: 1.5 s, 3 s, 6 s, ... up to maxCooldown.
		want := probesWithin(elapsed, 1500*time.Millisecond, maxCooldown)
		t.Logf("DRF dead %v: breaker across 3 replicas: %+v; %d cooldowns ended (1.5 s doubling to %v); DRF saw %d requests: %v",
			elapsed.Round(time.Millisecond), d, want, maxCooldown, st.RequestsTotal, st.Requests)
		if d.probes > want+1 {
			t.Errorf("%d probes reached DRF in %v; want at most one per cooldown (%d, +1 for timing)", d.probes, elapsed, want)
		}
		if d.probes < want-2 {
			t.Errorf("only %d probes in %v; the breaker should probe as each cooldown ends (%d): recovery would be late", d.probes, elapsed, want)
		}
		// Every request DRF saw after the open is a probe or a
		// confirmation (plus the calls in flight when it opened, one per
		// worker), each with at most 4 attempts (MaxRetries 2, and one replay
		// after a 401).
		if limit := 4 * (d.probes + d.confirms + 3); int64(st.RequestsTotal) > limit {
			t.Errorf("DRF saw %d requests while the breaker was open; want at most %d (4 attempts × (probes %d + confirms %d + 3 in flight))",
				st.RequestsTotal, limit, d.probes, d.confirms)
		}
		checkStaleThroughout(t, res)
		// And back: within the current cooldown plus 3 s.
		back := time.Now()
		for {
			r := c.call(haReq{replica: 0, method: "GET", path: recoveryFarmPath, header: noCache})
			if r.Status == 200 && r.Wire.Source == "upstream" {
				t.Logf("after the faults cleared, uncached reads succeeded again after %v", time.Since(back).Round(time.Millisecond))
				break
			}
			if time.Since(back) > maxCooldown+3*time.Second {
				t.Fatalf("no successful uncached read %v after DRF healed; last %d %s", time.Since(back), r.Status, r.Body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// checkStaleThroughout: every read of the cached schema answered 200 from the
// cache (fresh or labelled stale), and every uncached read is an envelope
// whose status tells the truth (200 from DRF, or a 5xx saying the upstream
// is unavailable).
func checkStaleThroughout(t *testing.T, res []timed) {
	t.Helper()
	var stale, bad int
	for _, r := range res {
		switch {
		case r.Err != nil || !r.Envelope:
			bad++
			if bad <= 3 {
				t.Errorf("%s on replica %d: no envelope (%v): %d %.200s", r.req.path, r.req.replica, r.Err, r.Status, r.Body)
			}
		case r.req.path == schemaPath && r.Status != 200:
			bad++
			if bad <= 3 {
				t.Errorf("cached schema read on replica %d at %s: %d (X-Cache %q) %.200s; want 200 (stale if need be)",
					r.req.replica, r.sent.Format("15:04:05.000"), r.Status, r.XCache, r.Body)
			}
		case r.req.path == schemaPath && r.Wire.Source == "stale":
			stale++
		case r.req.path == recoveryFarmPath && r.Status != 200 && r.Status != 502 && r.Status != 503 && r.Status != 504:
			bad++
			if bad <= 3 {
				t.Errorf("uncached read on replica %d: %d %.200s", r.req.replica, r.Status, r.Body)
			}
		}
	}
	if stale == 0 {
		t.Errorf("no schema read was answered STALE during the outage (%d answers)", len(res))
	}
	t.Logf("%d answers, %d schema reads answered STALE, %d wrong", len(res), stale, bad)
}

// probesWithin is how many cooldowns end within d when the first lasts
// first and each next one doubles up to max.
func probesWithin(d, first, max time.Duration) int64 {
	var n int64
	for c, t := first, first; t <= d; t += c {
		n++
		c = min(2*c, max)
	}
	return n
}

// breakerSums are breaker counters summed over the replicas.
type breakerSums struct{ opens, reopens, probes, confirms, rejected int64 }

func (a breakerSums) minus(b breakerSums) breakerSums {
	return breakerSums{a.opens - b.opens, a.reopens - b.reopens, a.probes - b.probes, a.confirms - b.confirms, a.rejected - b.rejected}
}

// breakerCounters scrapes every replica's metrics listener.
func breakerCounters(t *testing.T, ports []int) breakerSums {
	t.Helper()
	var sum breakerSums
	for _, p := range ports {
		m := scrapeMetrics(t, p)
		sum.opens += int64(m["weather_apis_breaker_opens_total"])
		sum.reopens += int64(m["weather_apis_breaker_reopens_total"])
		sum.probes += int64(m["weather_apis_breaker_probes_total"])
		sum.confirms += int64(m["weather_apis_breaker_confirms_total"])
		sum.rejected += int64(m["weather_apis_breaker_rejected_opens_total"])
	}
	return sum
}

// scrapeMetrics reads the unlabelled samples of one replica's metrics
// listener (Prometheus text format).
func scrapeMetrics(t *testing.T, port int) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = v
		}
	}
	return out
}
