// Package testenv starts the real services weather_apis' tests run against:
// Debian's redis-server and the DRF demo in deploy/drf. Every service binds a
// free loopback port and is stopped by tb.Cleanup.
//
// A missing service makes a test skip, except under CI=true, where it fails:
// CI must never pass by skipping.
package testenv

import (
	"net"
	"os"
	"path/filepath"
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

// FreePort returns a loopback TCP port that was free a moment ago.
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
