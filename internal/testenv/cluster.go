package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// Cluster is a Redis Cluster of masters only (no replicas), every node a
// real redis-server on a loopback port, stopped by tb.Cleanup.
type Cluster struct {
	Nodes []*Redis
}

// StartCluster starts masters cluster-enabled redis-servers, splits the
// slots evenly (CLUSTER ADDSLOTSRANGE), joins them (CLUSTER MEET) and waits
// (at most 20 s) until every node reports cluster_state:ok and knows every
// other node.
func StartCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	NeedsProcesses(tb, "Redis Cluster")
	if masters < 1 {
		tb.Fatalf("StartCluster: masters = %d; want at least 1", masters)
	}
	c := &Cluster{}
	for i := range masters {
		r := StartRedisWith(tb, RedisOptions{Extra: []string{
			"--cluster-enabled", "yes", "--cluster-node-timeout", "5000",
			"--cluster-require-full-coverage", "yes",
		}})
		lo, hi := i*clusterSlots/masters, (i+1)*clusterSlots/masters-1
		mustQuery(tb, r.Addr(), "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi))
		if i > 0 {
			mustQuery(tb, r.Addr(), "CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(c.Nodes[0].Port), strconv.Itoa(c.Nodes[0].BusPort))
		}
		c.Nodes = append(c.Nodes, r)
	}
	want := "cluster_known_nodes:" + strconv.Itoa(masters)
	waitFor(tb, 20*time.Second, "cluster_state:ok and "+want+" on every node", func() bool {
		for _, n := range c.Nodes {
			info, err := Query(n.Addr(), "CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, want+"\r") {
				return false
			}
		}
		return true
	})
	return c
}

// Addrs lists the nodes' host:port addresses.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		out[i] = n.Addr()
	}
	return out
}

// Sentinel is one master, its replicas and the sentinels monitoring them
// under MasterName, every one a real process on a loopback port, stopped by
// tb.Cleanup. Sentinels mark the master down after 1 s and time a failover
// out after 3 s.
type Sentinel struct {
	MasterName string
	Data       []*Redis // data nodes; Data[0] is the first master
	Sentinels  []*Redis
}

// Sentinel timings: short so a test sees a failover within seconds.
const (
	sentinelDownAfter       = 1000 * time.Millisecond
	sentinelFailoverTimeout = 3000 * time.Millisecond
	sentinelReadyTimeout    = 20 * time.Second
)

// StartSentinel starts a master, replicas replicas (--replicaof) and
// sentinels sentinels (quorum: a majority) monitoring "mymaster", and waits
// (at most 20 s) until the replicas are in sync and every sentinel knows
// every replica and every other sentinel, so a failover can start at once.
func StartSentinel(tb testing.TB, replicas, sentinels int) *Sentinel {
	tb.Helper()
	NeedsProcesses(tb, "Redis Sentinel")
	if replicas < 0 || sentinels < 1 {
		tb.Fatalf("StartSentinel(%d, %d): want replicas >= 0 and sentinels >= 1", replicas, sentinels)
	}
	s := &Sentinel{MasterName: "mymaster"}
	// No diskless-sync delay: a (re)joining replica syncs at once.
	noDelay := []string{"--repl-diskless-sync-delay", "0"}
	master := StartRedisWith(tb, RedisOptions{Extra: noDelay})
	s.Data = append(s.Data, master)
	for range replicas {
		s.Data = append(s.Data, StartRedisWith(tb, RedisOptions{Extra: append(noDelay,
			"--replicaof", "127.0.0.1", strconv.Itoa(master.Port))}))
	}
	quorum := sentinels/2 + 1
	for range sentinels {
		s.Sentinels = append(s.Sentinels, startSentinelProcess(tb, s.MasterName, master.Port, quorum))
	}
	waitFor(tb, sentinelReadyTimeout, "replicas in sync", func() bool {
		for _, r := range s.Data[1:] {
			info, err := Query(r.Addr(), "INFO", "replication")
			if err != nil || !strings.Contains(info, "master_link_status:up") {
				return false
			}
		}
		return true
	})
	waitFor(tb, sentinelReadyTimeout, "sentinels know every replica and each other", func() bool {
		for _, sn := range s.Sentinels {
			m, err := sentinelMaster(sn.Addr(), s.MasterName)
			if err != nil || m["num-slaves"] != strconv.Itoa(replicas) ||
				m["num-other-sentinels"] != strconv.Itoa(sentinels-1) || m["flags"] != "master" {
				return false
			}
		}
		return true
	})
	return s
}

// startSentinelProcess runs redis-server --sentinel with a generated,
// writable sentinel.conf (sentinels rewrite their config), retrying on new
// ports when its port was taken before it could bind it.
func startSentinelProcess(tb testing.TB, name string, masterPort, quorum int) *Redis {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(tb, "redis-server not installed (apt-get install redis-server)")
	}
	r := &Redis{dir: tb.TempDir()}
	conf := filepath.Join(r.dir, "sentinel.conf")
	logPath := filepath.Join(r.dir, "sentinel.log")
	tb.Cleanup(func() {
		r.kill()
		if tb.Failed() {
			if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 {
				tb.Logf("sentinel :%d log (last 2 KB):\n%s", r.Port, b[max(0, len(b)-2048):])
			}
		}
	})
	var last error
	for range redisBindAttempts {
		r.Port = pickPort(tb)
		text := fmt.Sprintf(`port %d
bind 127.0.0.1
protected-mode no
daemonize no
loglevel warning
dir %s
sentinel monitor %s 127.0.0.1 %d %d
sentinel down-after-milliseconds %[3]s %[6]d
sentinel failover-timeout %[3]s %[7]d
sentinel parallel-syncs %[3]s 1
`, r.Port, r.dir, name, masterPort, quorum, sentinelDownAfter.Milliseconds(), sentinelFailoverTimeout.Milliseconds())
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			tb.Fatalf("cannot write %s: %v", conf, err)
		}
		_ = os.Remove(logPath)
		r.args = []string{bin, conf, "--sentinel", "--logfile", logPath}
		if last = r.start(); last == nil {
			return r
		}
		if !errors.Is(last, errPortTaken) {
			break
		}
	}
	tb.Fatalf("cannot start redis-server --sentinel: %v", last)
	return nil
}

// Addrs lists the sentinels' host:port addresses (what a Sentinel client
// such as go-redis' FailoverClient is given).
func (s *Sentinel) Addrs() []string {
	out := make([]string, len(s.Sentinels))
	for i, n := range s.Sentinels {
		out[i] = n.Addr()
	}
	return out
}

// MasterAddr is the master's host:port as the first sentinel that answers
// reports it (SENTINEL GET-MASTER-ADDR-BY-NAME).
func (s *Sentinel) MasterAddr(tb testing.TB) string {
	tb.Helper()
	var last error
	for _, sn := range s.Sentinels {
		addr, err := Query(sn.Addr(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
		if err == nil {
			host, port, ok := strings.Cut(addr, "\n")
			if ok {
				return net.JoinHostPort(host, port)
			}
			err = fmt.Errorf("unexpected reply %q", addr)
		}
		last = err
	}
	tb.Fatalf("no sentinel reports the master of %s: %v", s.MasterName, last)
	return ""
}

// Master is the data node the sentinels currently report as master.
func (s *Sentinel) Master(tb testing.TB) *Redis {
	tb.Helper()
	addr := s.MasterAddr(tb)
	for _, r := range s.Data {
		if r.Addr() == addr {
			return r
		}
	}
	tb.Fatalf("sentinels report master %s, which is none of the data nodes", addr)
	return nil
}

// Failover asks a sentinel for a failover (SENTINEL FAILOVER: the old master
// is demoted, a replica promoted) and waits until the new master is in
// charge (see WaitNewMaster); it returns the new master.
func (s *Sentinel) Failover(tb testing.TB) *Redis {
	tb.Helper()
	old := s.MasterAddr(tb)
	mustQuery(tb, s.Sentinels[0].Addr(), "SENTINEL", "FAILOVER", s.MasterName)
	return s.WaitNewMaster(tb, old, 20*time.Second)
}

// CrashMaster kills the current master (SIGKILL) so the sentinels must
// notice it down (after 1 s) and elect a replica; it returns the killed
// node, which Start brings back (as a replica once the sentinels see it).
func (s *Sentinel) CrashMaster(tb testing.TB) *Redis {
	tb.Helper()
	m := s.Master(tb)
	m.Stop(tb)
	return m
}

// WaitNewMaster waits (at most within) until every sentinel reports a
// master other than old and that node answers INFO with role:master; it
// returns that node.
func (s *Sentinel) WaitNewMaster(tb testing.TB, old string, within time.Duration) *Redis {
	tb.Helper()
	var addr string
	waitFor(tb, within, "a new master of "+s.MasterName+" instead of "+old, func() bool {
		addr = ""
		for _, sn := range s.Sentinels {
			if sn.cmd == nil {
				continue
			}
			got, err := Query(sn.Addr(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", s.MasterName)
			host, port, _ := strings.Cut(got, "\n")
			a := net.JoinHostPort(host, port)
			if err != nil || a == old || addr != "" && a != addr {
				return false
			}
			addr = a
		}
		info, err := Query(addr, "INFO", "replication")
		return err == nil && strings.Contains(info, "role:master")
	})
	for _, r := range s.Data {
		if r.Addr() == addr {
			return r
		}
	}
	tb.Fatalf("new master %s is none of the data nodes", addr)
	return nil
}

// sentinelMaster returns SENTINEL MASTER name as a field map.
func sentinelMaster(addr, name string) (map[string]string, error) {
	reply, err := Query(addr, "SENTINEL", "MASTER", name)
	if err != nil {
		return nil, err
	}
	f := strings.Split(reply, "\n")
	m := make(map[string]string, len(f)/2)
	for i := 0; i+1 < len(f); i += 2 {
		m[f[i]] = f[i+1]
	}
	return m, nil
}

// waitFor polls cond every 50 ms for at most within, then fails tb.
func waitFor(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("waited %v for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustQuery(tb testing.TB, addr string, args ...string) string {
	tb.Helper()
	reply, err := Query(addr, args...)
	if err != nil {
		tb.Fatalf("redis %s %v: %v", addr, args, err)
	}
	return reply
}

// Query sends one RESP command to addr and returns the whole reply as text:
// a simple or bulk string as is, an integer in decimal, an array's elements
// flattened one per line (nested arrays too), a nil as "". A Redis error
// reply is returned as an error.
func Query(addr string, args ...string) (string, error) {
	c, r, err := send(addr, args...)
	if err != nil {
		return "", err
	}
	defer c.Close()
	var out []string
	if err := readReply(r, &out); err != nil {
		return "", err
	}
	return strings.Join(out, "\n"), nil
}

// readReply appends one RESP2 reply's scalar values to out.
func readReply(r *bufio.Reader, out *[]string) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return errors.New("empty RESP line")
	}
	body := line[1:]
	switch line[0] {
	case '+', ':':
		*out = append(*out, body)
	case '-':
		return errors.New(body)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad bulk length %q", body)
		}
		if n < 0 {
			*out = append(*out, "")
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		*out = append(*out, string(buf[:n]))
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad array length %q", body)
		}
		for range max(n, 0) {
			if err := readReply(r, out); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unexpected RESP line %q", line)
	}
	return nil
}
