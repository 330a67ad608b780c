package main

import (
	"runtime/debug"
	"strings"
)

// GC defaults for serving (README "Performance"). A cache hit allocates a
// few KB (most of it net/http's own) against a live heap of about 2 MB, so
// Go's default target of 100 % collects every few hundred requests and
// marks the whole heap each time. 400 % collects a quarter as often; the
// soft memory limit makes the collector work harder instead of letting the
// heap grow past it.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 256 << 20
)

// tuneGC applies the defaults unless the standard GOGC or GOMEMLIMIT
// variables are set in environ (the runtime has then applied them). It
// returns the values in force.
func tuneGC(environ []string) (gcPercent int, memoryLimit int64) {
	gcPercent, memoryLimit = debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(gcPercent) // SetGCPercent(-1) turned the GC off: restore
	if !hasEnv(environ, "GOGC") {
		debug.SetGCPercent(defaultGCPercent)
		gcPercent = defaultGCPercent
	}
	if !hasEnv(environ, "GOMEMLIMIT") {
		debug.SetMemoryLimit(defaultMemoryLimit)
		memoryLimit = defaultMemoryLimit
	}
	return gcPercent, memoryLimit
}

func hasEnv(environ []string, name string) bool {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name && v != "" {
			return true
		}
	}
	return false
}
