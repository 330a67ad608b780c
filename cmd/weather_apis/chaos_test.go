package main_test

import (
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestChaos (issue 12, item 5, "make chaos"): three weather_apis replicas
// on a Sentinel-managed Redis (one master, one replica, three sentinels) in
// front of the DRF demo serve a steady mixed load — reads of the farm list,
// farm details, the farm schema, farm states and observation pages; writes:
// observation POSTs and farm state PUTs, each with its own Idempotency-Key —
// while a seeded random schedule injects one fault at a time, holds it for a
// seeded time and heals it:
//
//   - drf_down: the DRF demo stopped (SIGTERM) and started again;
//   - drf_slow: latency on every DRF answer (/__demo/faults latency_ms);
//   - drf_html503: nginx-style HTML 503 pages instead of DRF's answers;
//   - drf_flaky: a share of DRF answers fails (JSON 503, 429 with
//     Retry-After, or a TCP reset);
//   - token_expiry: DRF refuses access tokens older than a few seconds
//     (/__demo/faults token_max_age), on top of the stack's short access
//     token lifetime (20 s), so tokens also expire naturally all along;
//   - layout: DRF switches its answer layouts (/__demo/layout: schema
//     version and shape, farm state and observation shapes), then back;
//   - replica_kill: one of the three replicas SIGKILLed, restarted later;
//   - redis_failover: SENTINEL FAILOVER (the master handed over);
//   - redis_crash: the Redis master SIGKILLed (the sentinels elect the
//     replica), restarted later as the new master's replica.
//
// The invariants (chaos_check_test.go) are checked on every answer; the
// test fails if any is violated. It prints one table: per fault kind the
// count and the mean/max recovery time, per invariant the answers checked
// and violated.
//
// WEATHER_APIS_CHAOS_DURATION (default 60s) is how long faults keep being
// started; the first round always runs every kind once, in a seeded order,
// so a short run may take somewhat longer. WEATHER_APIS_CHAOS_SEED (default
// 20261206) replays a schedule (the order, kinds, parameters and hold times
// of the faults; the load's timing is the machine's). Skipped with -short.
// WEATHER_APIS_CHAOS_DUMP names a file that receives every answer and fault
// as JSON lines, for a closer look.
func TestChaos(t *testing.T) {
	testenv.NeedsProcesses(t, "a chaos run of real processes")
	seed, duration := chaosSettings(t)
	t.Logf("seed %d, duration %v (replay: WEATHER_APIS_CHAOS_SEED=%d WEATHER_APIS_CHAOS_DURATION=%v)", seed, duration, seed, duration)
	began := time.Now()

	sn := testenv.StartSentinel(t, 1, 3)
	s := newStack(t, stackOptions{Replicas: 3, NoRedis: true, OwnDRF: true,
		DRF: testenv.DRFOptions{AccessTTL: chaosAccessTTL, Workers: 4},
		ExtraEnv: []string{
			"WEATHER_APIS_REDIS_ADDRS=" + strings.Join(sn.Addrs(), ","), "WEATHER_APIS_REDIS_MASTER_NAME=" + sn.MasterName,
			"WEATHER_APIS_CACHE_PROBE_INTERVAL=" + evoProbe.String(),
			"WEATHER_APIS_JWT_SIGNING_KEY=" + testenv.DRFDefaultSigningKey,
		}})
	c := newChaosEnv(t, s, sn, seed, duration)
	c.warmUp(t)
	c.record(t, chaosBase, time.Now()) // the layout in effect before any fault
	t.Logf("stack ready after %v", time.Since(began).Round(100*time.Millisecond))
	load := c.startLoad()
	t.Cleanup(load.stop) // before the stack's own clean-up, also when a fault helper fails the test

	// Steady load first, so every key has answers before the first fault.
	time.Sleep(2 * time.Second)
	rng := rand.New(rand.NewPCG(seed, 0x6368616f73)) // "chaos"
	scheduleStart := time.Now()
	for round := 0; round == 0 || time.Since(scheduleStart) < duration; round++ {
		for _, k := range rng.Perm(len(chaosKinds)) {
			if round > 0 && time.Since(scheduleStart) >= duration {
				break
			}
			time.Sleep(chaosBetween(rng, 2*time.Second, 3500*time.Millisecond))
			f := c.inject(t, chaosKinds[k], rng)
			t.Logf("+%6.1fs %-14s %s: held %v, healed after %v",
				f.start.Sub(c.t0).Seconds(), f.kind, f.detail, f.heal.Sub(f.start).Round(time.Millisecond), f.end.Sub(f.start).Round(time.Millisecond))
		}
	}
	// Every fault is healed; the load goes on long enough to see the last
	// one recover, then stops (every request it sent has been answered).
	time.Sleep(chaosQuiet)
	load.stop()
	c.end = time.Now()
	// A write whose attempt DRF was still processing when its caller gave
	// up lands within the slow fault's latency; let it land before counting.
	time.Sleep(2 * time.Second)

	t.Logf("faults from +%.1fs to +%.1fs, load stopped at +%.1fs", scheduleStart.Sub(c.t0).Seconds(),
		c.faults[len(c.faults)-1].end.Sub(c.t0).Seconds(), c.end.Sub(c.t0).Seconds())
	rep := c.evaluate(t)
	if path := os.Getenv("WEATHER_APIS_CHAOS_DUMP"); path != "" {
		c.dump(t, path)
	}
	t.Log("\n" + rep.table())
	rep.fail(t, c)
	t.Logf("took %v (%d answers, %d faults)", time.Since(began).Round(100*time.Millisecond), len(c.answers), len(c.faults))
}

const (
	chaosDefaultSeed     = 20261206
	chaosDefaultDuration = 60 * time.Second
	// chaosAccessTTL is the DRF demo's access token lifetime: short, so the
	// shared token expires and is renewed many times in every run.
	chaosAccessTTL = 20 * time.Second
	// chaosBound: an answer to a request sent this long after a layout
	// switch must be in the new layout (one probe interval plus the
	// evolution test's scheduling allowance, evolution_test.go).
	chaosBound = evoProbe + evoSched
	// chaosQuiet is the fault-free load after the last heal.
	chaosQuiet = 5 * time.Second
)

// chaosSettings reads WEATHER_APIS_CHAOS_SEED and WEATHER_APIS_CHAOS_DURATION.
func chaosSettings(t *testing.T) (uint64, time.Duration) {
	seed, duration := uint64(chaosDefaultSeed), chaosDefaultDuration
	if v := os.Getenv("WEATHER_APIS_CHAOS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("WEATHER_APIS_CHAOS_SEED=%q: %v", v, err)
		}
		seed = n
	}
	if v := os.Getenv("WEATHER_APIS_CHAOS_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("WEATHER_APIS_CHAOS_DURATION=%q: want a positive Go duration such as 60s or 10m", v)
		}
		duration = d
	}
	return seed, duration
}

// chaosBetween is a seeded duration in [lo, hi), in whole milliseconds.
func chaosBetween(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Millisecond)))*time.Millisecond
}
