package testenv

import (
	"bufio"
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
)

// Redis is a redis-server process on a loopback port.
type Redis struct {
	Port int
	// BusPort is the cluster bus port of a cluster-enabled server (give it
	// to CLUSTER MEET), else 0.
	BusPort int
	dir     string
	args    []string
	cmd     *exec.Cmd
}

// RedisOptions tunes StartRedis. Extra is appended to redis-server's arguments
// (for example "--cluster-enabled", "yes").
type RedisOptions struct {
	Extra []string
}

// StartRedis starts a fresh redis-server (no persistence) and stops it at the
// end of the test.
func StartRedis(tb testing.TB) *Redis { return StartRedisWith(tb, RedisOptions{}) }

// StartRedisWith is StartRedis with options.
func StartRedisWith(tb testing.TB, opts RedisOptions) *Redis {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(tb, "redis-server not installed (apt-get install redis-server)")
	}
	r := &Redis{Port: FreePort(tb), dir: tb.TempDir()}
	logPath := filepath.Join(r.dir, "redis.log") // not the test's output (it would split benchmark lines)
	r.args = append([]string{
		"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", r.dir, "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
		"--logfile", logPath,
	}, opts.Extra...)
	if slices.Contains(opts.Extra, "--cluster-enabled") && !slices.Contains(opts.Extra, "--cluster-port") {
		// The cluster bus defaults to port+10000, which is past 65535 for
		// a quarter of the ephemeral ports FreePort hands out (32768–60999
		// here): redis-server then refuses to start. Give it its own port.
		r.BusPort = FreePort(tb)
		r.args = append(r.args, "--cluster-port", strconv.Itoa(r.BusPort))
	}
	r.args = append([]string{bin}, r.args...)
	r.Start(tb)
	tb.Cleanup(func() {
		r.kill()
		if tb.Failed() {
			if b, err := os.ReadFile(logPath); err == nil && len(b) > 0 {
				tb.Logf("redis-server :%d log (last 2 KB):\n%s", r.Port, b[max(0, len(b)-2048):])
			}
		}
	})
	return r
}

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL is a redis:// URL for WEATHER_APIS_REDIS_URL.
func (r *Redis) URL() string { return "redis://" + r.Addr() + "/0" }

// Start (re)starts the server on the same port and waits until it answers
// PING (at most 10 s).
func (r *Redis) Start(tb testing.TB) {
	tb.Helper()
	if r.cmd != nil {
		tb.Fatalf("redis on %d already running", r.Port)
	}
	cmd := exec.Command(r.args[0], r.args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("cannot start redis-server: %v", err)
	}
	r.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if Ping(r.Addr()) == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.kill()
	tb.Fatalf("redis-server on %d did not answer PING within 10s", r.Port)
}

// Stop stops the server (SIGKILL: a crash, not a clean shutdown) and waits.
func (r *Redis) Stop(tb testing.TB) {
	tb.Helper()
	r.kill()
}

// Pause freezes the server (SIGSTOP) so clients see a slow, unresponsive Redis;
// Resume thaws it.
func (r *Redis) Pause(tb testing.TB) {
	if r.cmd != nil {
		_ = syscall.Kill(r.cmd.Process.Pid, syscall.SIGSTOP)
	}
}

// Resume continues a paused server.
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
	_ = r.cmd.Wait()
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
