package testenv

import (
	"net/http"
	"testing"
	"time"
)

// ExpireTokens replaces the injected faults with the token fault of POST
// /__demo/faults (deploy/drf/README.md, "token_max_age"): from now on, until
// ClearFaults, the demo refuses every access token issued more than maxAge ago
// with 401 token_not_valid, as if it had expired before its exp. Refreshes
// still work, so a client that renews its token on a 401 goes on.
func (d *DRF) ExpireTokens(tb testing.TB, maxAge time.Duration) {
	tb.Helper()
	if maxAge <= 0 {
		tb.Fatalf("ExpireTokens(%v): want a positive age", maxAge)
	}
	d.control(tb, http.MethodPost, "/__demo/faults", map[string]any{"token_max_age": maxAge.Seconds()}, nil)
}
