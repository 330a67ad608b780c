package testenv

import (
	"os"
	"sync"
	"syscall"
	"testing"
)

// shared holds what tests of the package share (SharedDRF), stopped by Run.
var shared struct {
	mu   sync.Mutex
	main bool // Run runs the tests: it will stop the shared services
	drfs map[DRFOptions]*sharedDRF
}

type sharedDRF struct {
	once sync.Once
	d    *DRF
	dir  string
	err  error
}

// Main runs the package's tests, stops what they shared (SharedDRF) and
// exits. A package using SharedDRF calls it from its TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) { os.Exit(Run(m)) }

// Run is Main for a TestMain that has more to do: it runs the tests, stops
// the shared services and returns the exit code.
//
//	func TestMain(m *testing.M) {
//		setUp()
//		code := testenv.Run(m)
//		tearDown()
//		os.Exit(code)
//	}
func Run(m *testing.M) int {
	shared.mu.Lock()
	shared.main = true
	shared.mu.Unlock()
	defer stopShared()
	return m.Run()
}

func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	for _, s := range shared.drfs {
		if s.d != nil {
			s.d.kill(syscall.SIGKILL, drfStopTimeout)
		}
		if s.dir != "" {
			_ = os.RemoveAll(s.dir)
		}
	}
	shared.drfs = nil
}
