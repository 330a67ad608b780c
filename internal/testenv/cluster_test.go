package testenv

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestStartCluster(t *testing.T) {
	c := StartCluster(t, 3)
	if len(c.Addrs()) != 3 {
		t.Fatalf("Addrs = %v; want 3", c.Addrs())
	}
	// Every slot is served: a key lands on exactly one node, the others
	// answer MOVED to it.
	var ok, moved int
	for _, a := range c.Addrs() {
		_, err := Query(a, "SET", "some-key", "v")
		switch {
		case err == nil:
			ok++
		case strings.HasPrefix(err.Error(), "MOVED "):
			moved++
		default:
			t.Errorf("SET on %s: %v", a, err)
		}
	}
	if ok != 1 || moved != 2 {
		t.Errorf("SET answered OK %d times, MOVED %d times; want 1 and 2", ok, moved)
	}
	slots, err := Query(c.Addrs()[0], "CLUSTER", "INFO")
	if err != nil || !strings.Contains(slots, "cluster_slots_assigned:16384") {
		t.Errorf("CLUSTER INFO = %q, %v; want every slot assigned", slots, err)
	}
}

func TestStartSentinelFailover(t *testing.T) {
	s := StartSentinel(t, 1, 3)
	if len(s.Data) != 2 || len(s.Addrs()) != 3 {
		t.Fatalf("data %d sentinels %d; want 2 and 3", len(s.Data), len(s.Addrs()))
	}
	first := s.Master(t)
	if first != s.Data[0] {
		t.Fatalf("master is %s; want the first data node %s", first.Addr(), s.Data[0].Addr())
	}
	if _, err := Query(first.Addr(), "SET", "k", "before"); err != nil {
		t.Fatal(err)
	}
	// Replicated before the failover (WAIT for one replica).
	if n, err := Query(first.Addr(), "WAIT", "1", "2000"); err != nil || n != "1" {
		t.Fatalf("WAIT = %q, %v", n, err)
	}

	// Graceful: SENTINEL FAILOVER swaps the roles.
	second := s.Failover(t)
	if second == first {
		t.Fatal("Failover kept the old master")
	}
	if v, err := Query(second.Addr(), "GET", "k"); err != nil || v != "before" {
		t.Errorf("GET on the new master = %q, %v; want the replicated value", v, err)
	}

	// Crash: the sentinels elect the other node again; the crashed node,
	// restarted, rejoins as a replica.
	crashed := s.CrashMaster(t)
	if crashed != second {
		t.Fatalf("CrashMaster killed %s; want the current master %s", crashed.Addr(), second.Addr())
	}
	third := s.WaitNewMaster(t, second.Addr(), 20*time.Second)
	if third != first {
		t.Errorf("after the crash the master is %s; want %s", third.Addr(), first.Addr())
	}
	crashed.Start(t)
	waitFor(t, 20*time.Second, "the restarted node to become a replica", func() bool {
		info, err := Query(crashed.Addr(), "INFO", "replication")
		return err == nil && strings.Contains(info, "role:slave")
	})
}

func TestQueryReplies(t *testing.T) {
	r := StartRedis(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"RPUSH", "l", "a", "b"}, "2"},
		{[]string{"LRANGE", "l", "0", "-1"}, "a\nb"},
		{[]string{"GET", "missing"}, ""},
		{[]string{"ECHO", "x\r\ny"}, "x\r\ny"},
	} {
		got, err := Query(r.Addr(), tc.args...)
		if err != nil || got != tc.want {
			t.Errorf("Query(%v) = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
	if _, err := Query(r.Addr(), "NOSUCHCOMMAND"); err == nil || !strings.HasPrefix(err.Error(), "ERR") {
		t.Errorf("unknown command error = %v; want an ERR reply", err)
	}
}

// TestRedisRetriesATakenPort: when the port FreePort handed out is taken
// before redis-server binds it (by anything, even another Redis), the
// starter retries on a new port and the server that answers is its own.
func TestRedisRetriesATakenPort(t *testing.T) {
	NeedsProcesses(t, "redis-server")
	other := StartRedis(t) // a server already on the first port handed out
	plain := Listen(t)     // a non-Redis listener on the second
	taken := []int{other.Port, plain.Addr().(*net.TCPAddr).Port}
	orig := pickPort
	t.Cleanup(func() { pickPort = orig })
	pickPort = func(tb testing.TB) int {
		if len(taken) > 0 {
			p := taken[0]
			taken = taken[1:]
			return p
		}
		return orig(tb)
	}
	r := StartRedis(t)
	if r.Port == other.Port || r.Port == plain.Addr().(*net.TCPAddr).Port {
		t.Fatalf("started on a taken port %d", r.Port)
	}
	if pid, err := serverPID(r.Addr()); err != nil || pid != r.cmd.Process.Pid {
		t.Errorf("server at %s is pid %d (%v); want ours, %d", r.Addr(), pid, err, r.cmd.Process.Pid)
	}
	if got := r.Do(t, "DBSIZE"); got != ":0" {
		t.Errorf("DBSIZE = %q; want an empty server", got)
	}
}
