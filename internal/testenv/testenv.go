// Package testenv starts the services weather_apis' tests run against:
// Debian's redis-server, Redis Cluster and Sentinel, the DRF demo in
// deploy/drf and frp. Every service is on loopback and is stopped by
// tb.Cleanup (or, when shared by a package, by Main).
//
// Two tiers. `go test -short` starts no external process: StartRedis hands
// out an embedded miniredis (the store the production binary falls back to),
// and every test that needs a real process (a Redis to kill, freeze or
// restart, Cluster, Sentinel, the DRF demo, frp, memory or Lua behaviour
// miniredis lacks) is skipped by NeedsProcesses with a one-line reason. The
// full tier (`go test` without -short, what `make test` runs) starts the real
// processes.
//
// In the full tier a missing service makes a test skip, except under CI=true,
// where it fails: CI must never pass by skipping. -short is not a missing
// service: NeedsProcesses skips under -short whether or not CI=true.
package testenv

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true).
func InCI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips tb, or fails it under CI, because a service is missing.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if InCI() {
		tb.Fatalf("required service unavailable (CI=true forbids skipping): "+format, args...)
	}
	tb.Skipf("service unavailable: "+format, args...)
}

// Short reports whether this is the short tier (go test -short): no external
// process may be started.
func Short() bool { return testing.Short() }

// NeedsProcesses skips tb under -short because it needs real processes; why
// is the one-line reason shown in the skip message ("kills redis-server",
// "the DRF demo"). In the full tier it does nothing. Call it first in a test
// (before starting anything), so a short run does no work for it. The
// starters of processes (StartRedisWith with redis-server arguments,
// StartCluster, StartSentinel, StartDRF, SharedDRF, BuildFRP, StartFRPS) and
// Redis.Stop, Start and Pause on an embedded Redis call it too, as a safety
// net.
func NeedsProcesses(tb testing.TB, why string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("needs real processes (%s): skipped under -short", why)
	}
}

// Listen returns a listener on a free loopback port, closed at the end of
// the test. Hand it to the server under test (http.Server.Serve,
// httptest.NewUnstartedServer's Listener) instead of a port number: the port
// is never closed and reopened, so no other test can take it in between.
func Listen(tb testing.TB) net.Listener {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("cannot listen on loopback: %v", err)
	}
	tb.Cleanup(func() { _ = l.Close() })
	return l
}

// DeadAddr returns a loopback host:port where nothing listens and nothing
// can start listening until the end of the test: a socket is bound to the
// port but never listens, so a connection is refused at once. Use it for "a
// server that is down" instead of a FreePort nobody listens on (which
// another test may take meanwhile).
func DeadAddr(tb testing.TB) string {
	tb.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		tb.Fatalf("DeadAddr socket: %v", err)
	}
	tb.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		tb.Fatalf("DeadAddr bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		tb.Fatalf("DeadAddr getsockname: %v", err)
	}
	return "127.0.0.1:" + strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
}

// FreePort returns a loopback TCP port that was free a moment ago. It is
// closed before it is returned, so another process may take it before the
// caller binds it: prefer Listen (for a Go server) or DeadAddr (for "nothing
// listens here"). It remains for programs that only take a port number
// (redis-server, gunicorn, frps, a binary's --port); their starters retry
// with a new port when the bind fails.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("cannot find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RepoRoot returns the directory holding go.mod, walking up from the working
// directory.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatalf("cannot get working dir: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatalf("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// procAttr puts a started service in its own process group (killed as a
// group: gunicorn's workers, redis-server's children) and has the kernel
// kill it if the test binary dies without its cleanups (a panic, a -timeout):
// a shared service lives across tests, and none may outlive the binary.
// (gunicorn's workers exit on their own, within half a minute, once their
// master is gone.)
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
