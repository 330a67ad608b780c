package testenv

import (
	"fmt"
	"testing"
)

// recordingTB records Fatalf and Skipf instead of ending the test.
type recordingTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordingTB) Helper()                        {}
func (r *recordingTB) Fatalf(format string, a ...any) { r.fatal = fmt.Sprintf(format, a...) }
func (r *recordingTB) Skipf(format string, a ...any)  { r.skip = fmt.Sprintf(format, a...) }

// TestUnavailableFailsUnderCI: a missing service skips, except under
// CI=true, where it fails (CI must never pass by skipping).
func TestUnavailableFailsUnderCI(t *testing.T) {
	for _, ci := range []string{"true", ""} {
		t.Setenv("CI", ci)
		r := &recordingTB{TB: t}
		Unavailable(r, "redis-server not installed")
		// (A real Fatalf ends the test; this one returns, so Unavailable
		// goes on to its Skipf: only the failure matters under CI.)
		if (r.fatal != "") != (ci == "true") || ci != "true" && r.skip == "" {
			t.Errorf("CI=%q: fatal %q, skip %q; want a failure exactly under CI=true, else a skip", ci, r.fatal, r.skip)
		}
	}
}

// TestNeedsProcesses skips exactly under -short, whatever CI says, and
// names the reason.
func TestNeedsProcesses(t *testing.T) {
	for _, ci := range []string{"true", ""} {
		t.Setenv("CI", ci)
		r := &recordingTB{TB: t}
		NeedsProcesses(r, "kills redis-server")
		if skipped := r.skip != ""; skipped != testing.Short() || r.fatal != "" {
			t.Errorf("CI=%q, -short=%v: skip %q, fatal %q", ci, testing.Short(), r.skip, r.fatal)
		}
		if testing.Short() && r.skip != "needs real processes (kills redis-server): skipped under -short" {
			t.Errorf("skip message %q", r.skip)
		}
	}
}
