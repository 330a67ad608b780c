package main_test

import (
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// handed is a listening socket the test opens and keeps, and hands to a
// child process by socket activation (sd_listen_fds(3); cmd/weather_apis
// listen.go, cmd/appapi-sim serveActivated). The port is never closed and
// reopened, so no other process can take it in between, and a restarted
// child gets the same socket.
type handed struct {
	name string
	port int
	f    *os.File // the socket, for exec.Cmd.ExtraFiles
}

// handOver opens a loopback listener named name ("api", "metrics"; the
// simulator takes any one name).
func handOver(tb testing.TB, name string) handed {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("cannot listen: %v", err)
	}
	f, err := ln.(*net.TCPListener).File() // a duplicate: the child accepts on it
	if err != nil {
		tb.Fatalf("cannot hand over the listener: %v", err)
	}
	tb.Cleanup(func() { f.Close(); ln.Close() })
	return handed{name: name, port: ln.Addr().(*net.TCPAddr).Port, f: f}
}

// addr is the listener's address.
func (h handed) addr() string { return "127.0.0.1:" + strconv.Itoa(h.port) }

// activationEnv returns the environment and files that hand fds over, in
// order from fd 3. LISTEN_PID, which must be the child's own pid, is set by
// the shell that execs it (activationShell).
func activationEnv(fds []handed) ([]string, []*os.File) {
	names := make([]string, len(fds))
	files := make([]*os.File, len(fds))
	for i, h := range fds {
		names[i], files[i] = h.name, h.f
	}
	return []string{"LISTEN_FDS=" + strconv.Itoa(len(fds)), "LISTEN_FDNAMES=" + strings.Join(names, ":")}, files
}

// activationShell runs "$0" "$@" with LISTEN_PID set to its own pid, as a
// supervisor does between fork and exec.
const activationShell = `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`
