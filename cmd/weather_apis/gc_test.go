package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	pct, lim := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(pct); debug.SetMemoryLimit(lim) })
	cases := []struct {
		name     string
		environ  []string
		wantPct  int
		wantLimt int64
	}{
		{"defaults", []string{"PATH=/bin", "GOGC="}, defaultGCPercent, defaultMemoryLimit},
		{"GOGC set", []string{"GOGC=150"}, 150, defaultMemoryLimit},
		{"GOMEMLIMIT set", []string{"GOMEMLIMIT=1GiB"}, defaultGCPercent, 1 << 30},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Stand in for the runtime, which applies GOGC/GOMEMLIMIT itself.
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(1 << 62)
			if tc.name == "GOGC set" {
				debug.SetGCPercent(150)
			}
			if tc.name == "GOMEMLIMIT set" {
				debug.SetMemoryLimit(1 << 30)
			}
			gotPct, gotLim := tuneGC(tc.environ)
			if gotPct != tc.wantPct || gotLim != tc.wantLimt {
				t.Errorf("tuneGC = %d, %d; want %d, %d", gotPct, gotLim, tc.wantPct, tc.wantLimt)
			}
			if now := debug.SetGCPercent(tc.wantPct); now != tc.wantPct {
				t.Errorf("GC percent in force = %d; want %d", now, tc.wantPct)
			}
			if now := debug.SetMemoryLimit(-1); now != tc.wantLimt {
				t.Errorf("memory limit in force = %d; want %d", now, tc.wantLimt)
			}
		})
	}
}
