package testenv

import (
	"net"
	"os"
	"testing"
)

func TestListensOn(t *testing.T) {
	t.Parallel()
	l := Listen(t)
	port := l.Addr().(*net.TCPAddr).Port
	if !ListensOn(os.Getpid(), port) {
		t.Errorf("ListensOn(self, %d) = false; want true", port)
	}
	if ListensOn(1, port) {
		t.Errorf("ListensOn(1, %d) = true; want false", port)
	}
	if dead := DeadAddr(t); listeningInode(mustPort(t, dead)) != "" {
		t.Errorf("DeadAddr %s listens", dead)
	}
}

func TestDeadAddrRefusesAndCannotBeTaken(t *testing.T) {
	t.Parallel()
	addr := DeadAddr(t)
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("dial %s succeeded; want refused", addr)
	}
	if l, err := net.Listen("tcp", addr); err == nil {
		l.Close()
		t.Fatalf("listen on %s succeeded; want it reserved", addr)
	}
}

// TestFRPSRetriesATakenPort: frps whose port was taken before it bound it
// is started again on a new port.
func TestFRPSRetriesATakenPort(t *testing.T) {
	bins := BuildFRP(t)
	taken := Listen(t)
	first := true
	orig := pickPort
	t.Cleanup(func() { pickPort = orig })
	pickPort = func(tb testing.TB) int {
		if first {
			first = false
			return taken.Addr().(*net.TCPAddr).Port
		}
		return orig(tb)
	}
	s := StartFRPS(t, bins, FRPSOptions{SharedKey: "k"})
	if s.Port == taken.Addr().(*net.TCPAddr).Port || !ListensOn(s.cmd.Process.Pid, s.Port) {
		t.Fatalf("frps on %d (taken %s), listening: %v", s.Port, taken.Addr(), ListensOn(s.cmd.Process.Pid, s.Port))
	}
}

func mustPort(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, err := net.LookupPort("tcp", p)
	if err != nil {
		t.Fatal(err)
	}
	return port
}
