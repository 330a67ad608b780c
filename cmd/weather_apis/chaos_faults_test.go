package main_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// The faults of the chaos test: one at a time, each injected, held for a
// seeded time and healed by the main goroutine (the testenv helpers may
// fail the test).

// chaosKinds are the fault kinds, in the order the table lists them.
var chaosKinds = []string{
	"drf_down", "drf_slow", "drf_html503", "drf_flaky", "token_expiry",
	"layout", "replica_kill", "redis_failover", "redis_crash",
}

// chaosLayer is what a fault makes unhealthy.
type chaosLayer int

const (
	layerNone    chaosLayer = iota // layout: DRF answers, in another layout
	layerDRF                       // DRF fails or is slow
	layerRedis                     // the Redis master changes or is lost
	layerReplica                   // one weather_apis process is gone
)

// chaosFault is one injected fault. Between start and heal it is in effect;
// heal is when the service could be whole again (DRF answers, a new Redis
// master is in charge, the killed replica is started again, the layout is
// switched back); end is when the clean-up after it is done too (a crashed
// Redis node resynced as a replica, the restarted replica answering).
type chaosFault struct {
	kind, detail     string
	layer            chaosLayer
	replica          int // replica_kill: which
	start, heal, end time.Time
	// Filled by evaluate: the first successful read after heal.
	recovered bool
	recovery  time.Duration
	by        string // the answer that showed it
}

// inject runs one fault of kind to its end.
func (c *chaosEnv) inject(t *testing.T, kind string, rng *rand.Rand) *chaosFault {
	t.Helper()
	f := &chaosFault{kind: kind, layer: layerDRF, replica: -1}
	hold := chaosBetween(rng, 1500*time.Millisecond, 4*time.Second)
	d := c.s.DRF
	if kind == "redis_failover" || kind == "redis_crash" {
		// The deployment must be whole before its master goes: the
		// sentinels list the replica as a good one (they learn of a
		// resynced one within their INFO period, up to 10 s).
		c.waitSentinels(t)
	}
	f.start = time.Now()
	switch kind {
	case "drf_down":
		d.Stop(t)
		stopped := time.Since(f.start)
		time.Sleep(hold)
		restart := time.Now()
		d.Start(t) // migrate, seed, gunicorn: seconds on a busy machine
		f.heal = time.Now()
		f.detail = fmt.Sprintf("stopped (SIGTERM) in %v, down %v, started again in %v", stopped.Round(time.Millisecond),
			hold, f.heal.Sub(restart).Round(time.Millisecond))
	case "drf_slow":
		lat := chaosBetween(rng, 300*time.Millisecond, 1200*time.Millisecond)
		f.detail = fmt.Sprintf("latency %v on every answer", lat)
		d.SetFaults(t, testenv.Faults{Latency: lat})
		time.Sleep(hold)
		d.ClearFaults(t)
		f.heal = time.Now()
	case "drf_html503":
		f.detail = "every answer an nginx HTML 503 page"
		d.SetFaults(t, testenv.Faults{FailRate: 1, HTMLErrors: true})
		time.Sleep(hold)
		d.ClearFaults(t)
		f.heal = time.Now()
	case "drf_flaky":
		rate := float64(3+rng.IntN(4)) / 10
		switch rng.IntN(3) {
		case 0:
			f.detail = fmt.Sprintf("%.0f%% JSON 503", rate*100)
			d.SetFaults(t, testenv.Faults{FailRate: rate})
		case 1:
			f.detail = fmt.Sprintf("%.0f%% 429 Retry-After: 1", rate*100)
			d.SetFaults(t, testenv.Faults{FailRate: rate, RateLimit: true})
		default:
			f.detail = fmt.Sprintf("%.0f%% connections reset", rate*100)
			d.SetFaults(t, testenv.Faults{FailRate: rate, ResetConnections: true})
		}
		time.Sleep(hold)
		d.ClearFaults(t)
		f.heal = time.Now()
	case "token_expiry":
		age := chaosBetween(rng, 2*time.Second, 4*time.Second)
		f.detail = fmt.Sprintf("access tokens older than %v refused", age)
		d.ExpireTokens(t, age)
		time.Sleep(age + hold)
		d.ClearFaults(t)
		f.heal = time.Now()
	case "layout":
		f.layer = layerNone
		l := chaosLayouts[rng.IntN(len(chaosLayouts))]
		f.detail = fmt.Sprintf("schema %s, farm_state %s, observation %s", l.Schema, l.FarmState, l.Observation)
		c.record(t, l, f.start)
		time.Sleep(chaosBound + hold)
		f.heal = time.Now()
		c.record(t, chaosBase, f.heal)
	case "replica_kill":
		f.layer = layerReplica
		i := rng.IntN(len(c.s.Apps))
		f.replica = i
		// At least the probe lease (two probe intervals, internal/cache
		// RunProbe) so the killed process's lease has lapsed when it is back.
		hold = max(hold, 2*evoProbe+500*time.Millisecond)
		f.detail = fmt.Sprintf("replica %d SIGKILLed, restarted", i)
		c.live[i].Store(false)
		p := c.s.Apps[i]
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		time.Sleep(hold)
		f.heal = time.Now()
		np := p.restart(t) // the same configuration, the same socket
		c.s.Apps[i] = np
		c.mu.Lock()
		c.procs[i] = append(c.procs[i], np)
		c.mu.Unlock()
		waitHTTP(t, c.s.AppURL(i)+"/heartbeat")
		c.live[i].Store(true)
	case "redis_failover":
		f.layer = layerRedis
		old := c.sn.MasterAddr(t)
		f.detail = "SENTINEL FAILOVER from " + old
		c.sentinelFailover(t)
		m := c.sn.WaitNewMaster(t, old, 20*time.Second)
		f.heal = time.Now()
		// The old master as the new one's replica: what the sentinels make
		// of it too, once their next INFO shows it (up to 10 s later).
		if _, err := testenv.Query(old, "REPLICAOF", "127.0.0.1", strconv.Itoa(m.Port)); err != nil {
			t.Fatalf("REPLICAOF on the old master %s: %v", old, err)
		}
		c.waitReplica(t, old)
	case "redis_crash":
		f.layer = layerRedis
		m := c.sn.CrashMaster(t)
		f.detail = fmt.Sprintf("master %s SIGKILLed, down %v", m.Addr(), hold.Round(100*time.Millisecond))
		c.sn.WaitNewMaster(t, m.Addr(), 20*time.Second)
		f.heal = time.Now()
		time.Sleep(hold) // no replica meanwhile
		// Back empty (no persistence), as the new master's replica: what
		// the sentinels would also make of it, only sooner.
		m.Start(t)
		host, port, _ := strings.Cut(c.sn.MasterAddr(t), ":")
		if _, err := testenv.Query(m.Addr(), "REPLICAOF", host, port); err != nil {
			t.Fatalf("REPLICAOF on the restarted node %s: %v", m.Addr(), err)
		}
		c.waitReplica(t, m.Addr())
	default:
		t.Fatalf("unknown fault kind %q", kind)
	}
	f.end = time.Now()
	c.mu.Lock()
	c.faults = append(c.faults, f)
	c.mu.Unlock()
	return f
}

// sentinelFailover asks for SENTINEL FAILOVER until a sentinel accepts it: a
// replica that just resynced may not be known as a good one yet
// (-NOGOODSLAVE) for up to the sentinels' INFO period.
func (c *chaosEnv) sentinelFailover(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := testenv.Query(c.sn.Sentinels[0].Addr(), "SENTINEL", "FAILOVER", c.sn.MasterName)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("SENTINEL FAILOVER refused for 30 s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitSentinels waits (at most 30 s) until every sentinel lists every data
// node but the master as a healthy replica.
func (c *chaosEnv) waitSentinels(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		master, all := c.sn.MasterAddr(t), true
		for _, r := range c.sn.Data {
			all = all && (r.Addr() == master || c.sentinelsSee(r.Addr()))
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sentinels do not list every replica of %s as healthy after 30 s", master)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitReplica waits (at most 30 s) until the data node at addr is a replica
// of the current master with its link up (synced).
func (c *chaosEnv) waitReplica(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		master := c.sn.MasterAddr(t)
		_, port, _ := strings.Cut(master, ":")
		info, err := testenv.Query(addr, "INFO", "replication")
		synced := err == nil && strings.Contains(info, "role:slave") && strings.Contains(info, "master_link_status:up") &&
			strings.Contains(info, "master_port:"+port+"\r")
		if synced {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not a synced replica of %s after 30 s: %v\n%s", addr, master, err, info)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sentinelsSee reports whether every sentinel lists addr as a healthy
// replica (SENTINEL REPLICAS: flags exactly "slave", master link ok).
func (c *chaosEnv) sentinelsSee(addr string) bool {
	for _, sn := range c.sn.Sentinels {
		reply, err := testenv.Query(sn.Addr(), "SENTINEL", "REPLICAS", c.sn.MasterName)
		if err != nil {
			return false
		}
		// One flattened field/value list per replica, each starting at "name".
		f := strings.Split(reply, "\n")
		ok := false
		for i := 0; i+1 < len(f); i += 2 {
			if f[i] != "name" || f[i+1] != addr {
				continue
			}
			fields := map[string]string{}
			for j := i; j+1 < len(f) && (j == i || f[j] != "name"); j += 2 {
				fields[f[j]] = f[j+1]
			}
			ok = fields["flags"] == "slave" && fields["master-link-status"] == "ok"
		}
		if !ok {
			return false
		}
	}
	return true
}

// chaosBase is the DRF demo's default layout, in effect between faults.
var chaosBase = testenv.Layout{Schema: "v1", FarmState: "flat", Observation: "plain"}

// chaosLayouts are the layouts a layout fault switches to (deploy/drf
// README.md "Layouts"): every schema layout but v1, each with a farm state
// and an observation layout, and v1 with the other farm state and
// observation layouts; no-version is the one whose schema answers
// the generic rules refuse (a 502 UPSTREAM_BAD_RESPONSE, README.md).
var chaosLayouts = []testenv.Layout{
	{Schema: "v2", FarmState: "ndvi-object", Observation: "plain"},
	{Schema: "v3-jsonschema", FarmState: "flat", Observation: "renamed-id"},
	{Schema: "renamed-keys", FarmState: "ndvi-object", Observation: "renamed-id"},
	{Schema: "choice-objects", FarmState: "flat", Observation: "plain"},
	{Schema: "no-version", FarmState: "ndvi-object", Observation: "plain"},
	{Schema: "dotted-groups", FarmState: "ndvi-object", Observation: "renamed-id"},
	{Schema: "enum-names", FarmState: "flat", Observation: "renamed-id"},
	{Schema: "v1", FarmState: "ndvi-object", Observation: "renamed-id"},
}

// chaosSwitch is one layout switch: from at+chaosBound on (until the next
// switch), every answer must be what DRF answers in this layout.
type chaosSwitch struct {
	at       time.Time // taken before the switch: the bound is strict
	layout   testenv.LayoutState
	declared string    // the version DRF declares now (X-Schema-Version)
	want     []evoWant // per read key: what DRF answers now
}

// record switches DRF to layout l (switched: taken before the switch) and
// records what DRF answers every read key now, read straight from DRF.
func (c *chaosEnv) record(t *testing.T, l testenv.Layout, switched time.Time) {
	t.Helper()
	sw := &chaosSwitch{at: switched, layout: c.s.DRF.SetLayout(t, l)}
	sw.declared = sw.layout.DeclaredVersion
	for _, q := range c.reads {
		sw.want = append(sw.want, evoExpect(q, c.e.upstream(t, "GET", q.upPath, nil)))
	}
	c.mu.Lock()
	c.switches = append(c.switches, sw)
	c.mu.Unlock()
}

func (sw *chaosSwitch) String() string {
	return fmt.Sprintf("schema %s, farm_state %s, observation %s (version %s)", sw.layout.Schema, sw.layout.FarmState,
		sw.layout.Observation, sw.declared)
}
