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
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// Redis is a Redis server on loopback: a redis-server process, or, under
// -short, an embedded miniredis (see StartRedis). Both answer at Addr.
type Redis struct {
	Port int
	// BusPort is the cluster bus port of a cluster-enabled server (give it
	// to CLUSTER MEET), else 0.
	BusPort int
	dir     string
	args    []string
	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	mini    *miniredis.Miniredis
}

// RedisOptions tunes StartRedis. Extra is appended to redis-server's arguments
// (for example "--cluster-enabled", "yes").
type RedisOptions struct {
	Extra []string
}

// StartRedis starts a fresh, empty Redis (no persistence) and stops it at the
// end of the test. In the full tier it is a real redis-server process; under
// -short it is an embedded miniredis (no process) whose keys expire with the
// wall clock, as a real server's do. Tests that kill, freeze or restart the
// server (Stop, Start, Pause), or need behaviour miniredis lacks, call
// NeedsProcesses first.
func StartRedis(tb testing.TB) *Redis { return StartRedisWith(tb, RedisOptions{}) }

// StartRedisWith is StartRedis with options. redis-server arguments (Extra)
// need the real process: under -short the test is skipped.
func StartRedisWith(tb testing.TB, opts RedisOptions) *Redis {
	tb.Helper()
	if len(opts.Extra) > 0 {
		NeedsProcesses(tb, "redis-server "+strings.Join(opts.Extra, " "))
	}
	if testing.Short() {
		return startMiniRedis(tb)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(tb, "redis-server not installed (apt-get install redis-server)")
	}
	r := &Redis{dir: tb.TempDir()}
	logPath := filepath.Join(r.dir, "redis.log") // not the test's output (it would split benchmark lines)
	cluster := slices.Contains(opts.Extra, "--cluster-enabled") && !slices.Contains(opts.Extra, "--cluster-port")
	tb.Cleanup(func() {
		r.kill()
		if tb.Failed() {
			if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 {
				tb.Logf("redis-server :%d log (last 2 KB):\n%s", r.Port, b[max(0, len(b)-2048):])
			}
		}
	})
	// redis-server takes a port number, not a listener: FreePort's port may
	// be taken by another test binary before redis-server binds it. Then
	// redis-server exits (or another server answers there): retry on new
	// ports.
	var last error
	for range redisBindAttempts {
		r.Port = pickPort(tb)
		r.args = append([]string{
			bin, "--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", r.dir, "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
			"--logfile", logPath,
		}, opts.Extra...)
		if cluster {
			// The cluster bus defaults to port+10000, which is past 65535
			// for a quarter of the ephemeral ports FreePort hands out
			// (32768–60999 here): redis-server then refuses to start. Give
			// it its own port.
			r.BusPort = pickPort(tb)
			r.args = append(r.args, "--cluster-port", strconv.Itoa(r.BusPort))
		}
		_ = os.Remove(logPath) // a previous attempt's "Address already in use" must not count again
		if last = r.start(); last == nil {
			return r
		}
		if !errors.Is(last, errPortTaken) {
			break
		}
	}
	tb.Fatalf("cannot start redis-server: %v", last)
	return nil
}

// redisBindAttempts bounds the retries of a redis-server whose port was
// taken between FreePort and its bind.
const redisBindAttempts = 5

// pickPort is FreePort; a test replaces it to hand out a taken port.
var pickPort = FreePort

// errPortTaken: the process could not have its port (another took it).
var errPortTaken = errors.New("port taken by another process")

// startMiniRedis starts an embedded miniredis on a port the kernel chose at
// listen time (never closed and reopened).
func startMiniRedis(tb testing.TB) *Redis {
	tb.Helper()
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		tb.Fatalf("cannot start the embedded miniredis: %v", err)
	}
	// TTLs follow the wall clock, as a real server's: a lock or a token
	// left by a dead holder expires by itself.
	m.ClockTTL(true)
	port, err := strconv.Atoi(m.Port())
	if err != nil {
		m.Close()
		tb.Fatalf("miniredis port %q: %v", m.Port(), err)
	}
	r := &Redis{Port: port, mini: m}
	tb.Cleanup(m.Close)
	return r
}

// Embedded reports whether r is an embedded miniredis (under -short) rather
// than a redis-server process.
func (r *Redis) Embedded() bool { return r.mini != nil }

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL is a redis:// URL for WEATHER_APIS_REDIS_URL.
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// Start restarts a stopped server on the same port and waits until it
// answers PING (at most 10 s). A restarted server is empty (no persistence).
// An embedded Redis cannot be restarted: the test is skipped under -short.
func (r *Redis) Start(tb testing.TB) {
	tb.Helper()
	if r.mini != nil {
		NeedsProcesses(tb, "restarts redis-server")
	}
	if r.cmd != nil {
		tb.Fatalf("redis on %d already running", r.Port)
	}
	if err := r.start(); err != nil {
		tb.Fatalf("cannot restart redis-server on %d: %v", r.Port, err)
	}
}

// start runs r.args and waits until this process (not another server that
// took the port) answers PING on r.Port, at most 10 s. It returns
// errPortTaken when the port is another's.
func (r *Redis) start() error {
	cmd := exec.Command(r.args[0], r.args[1:]...)
	cmd.SysProcAttr = procAttr()
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	r.cmd, r.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(r.done)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-r.done:
			r.cmd = nil
			if portTaken(r.args) {
				return fmt.Errorf("redis-server exited: %w", errPortTaken)
			}
			return fmt.Errorf("redis-server exited during start-up (see its log in %s)", r.dir)
		default:
		}
		if pid, err := serverPID(r.Addr()); err == nil {
			if pid == cmd.Process.Pid {
				return nil
			}
			// Another server answers on our port: ours cannot bind it.
			r.kill()
			return fmt.Errorf("pid %d answers on %d: %w", pid, r.Port, errPortTaken)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.kill()
	return fmt.Errorf("redis-server on %d did not answer PING within 10s", r.Port)
}

// portTaken reports whether the log (--logfile in args) of a redis-server
// that exited says its port (or cluster bus port) was in use.
func portTaken(args []string) bool {
	i := slices.Index(args, "--logfile")
	if i < 0 || i+1 >= len(args) {
		return false
	}
	b, _ := os.ReadFile(args[i+1])
	return strings.Contains(string(b), "Address already in use")
}

// serverPID is the process_id INFO server reports at addr.
func serverPID(addr string) (int, error) {
	info, err := Query(addr, "INFO", "server")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("INFO server at %s has no process_id", addr)
}

// Stop stops the server (SIGKILL: a crash, not a clean shutdown) and waits.
// An embedded Redis cannot be killed: the test is skipped under -short.
func (r *Redis) Stop(tb testing.TB) {
	tb.Helper()
	if r.mini != nil {
		NeedsProcesses(tb, "kills redis-server")
	}
	r.kill()
}

// Pause freezes the server (SIGSTOP) so clients see a slow, unresponsive Redis;
// Resume thaws it. An embedded Redis cannot be frozen: the test is skipped
// under -short.
func (r *Redis) Pause(tb testing.TB) {
	tb.Helper()
	if r.mini != nil {
		NeedsProcesses(tb, "freezes redis-server (SIGSTOP)")
	}
	if r.cmd != nil {
		_ = syscall.Kill(r.cmd.Process.Pid, syscall.SIGSTOP)
	}
}

// Resume continues a paused server (nothing to do for an embedded one, which
// is never paused).
func (r *Redis) Resume(tb testing.TB) {
	if r.cmd != nil {
		_ = syscall.Kill(r.cmd.Process.Pid, syscall.SIGCONT)
	}
}

func (r *Redis) kill() {
	if r.cmd == nil {
		return
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGCONT)
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	<-r.done
	r.cmd = nil
}

// Do sends one command in RESP and returns the first reply line (for test
// set-up such as FLUSHALL without a client library).
func (r *Redis) Do(tb testing.TB, args ...string) string {
	tb.Helper()
	reply, err := Command(r.Addr(), args...)
	if err != nil {
		tb.Fatalf("redis %v: %v", args, err)
	}
	return reply
}

// Ping returns nil when a Redis server answers PING at addr.
func Ping(addr string) error {
	reply, err := Command(addr, "PING")
	if err != nil {
		return err
	}
	if reply != "+PONG" {
		return fmt.Errorf("unexpected PING reply %q", reply)
	}
	return nil
}

// Command sends one RESP command to addr and returns the first reply line.
func Command(addr string, args ...string) (string, error) {
	c, r, err := send(addr, args...)
	if err != nil {
		return "", err
	}
	defer c.Close()
	line, err := r.ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}

// send dials addr, writes args as one RESP command and returns the
// connection (the caller closes it) and a reader for the reply. The whole
// exchange is bounded by a 2 s deadline.
func send(addr string, args ...string) (net.Conn, *bufio.Reader, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, bufio.NewReader(c), nil
}
