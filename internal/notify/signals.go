package notify

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/weather-apis/weather_apis/internal/diagnostics"
)

// States of a signal.
const (
	StateOK      = "ok"
	StateFailing = "failing"
)

// signal is one thing admins are told about: a layer that fails (and
// recovers), or an event (a one-shot: its return to normal is not
// announced).
type signal struct {
	name  string
	layer string // the quick layer it is read from
	event bool
	// failing reads the layer's observation.
	failing func(m *Notifier, l diagnostics.Layer) bool
	// fail and recover are the subjects.
	fail, recover string
	// onRedis marks a signal whose layer reads Redis: while the redis
	// signal is failing, its failure is Redis's and is not announced on
	// its own (one root cause, one notification). If it still fails once
	// Redis is back, it is announced then.
	onRedis bool
}

func down(_ *Notifier, l diagnostics.Layer) bool { return l.State == diagnostics.StateDown }

func notOK(_ *Notifier, l diagnostics.Layer) bool {
	return l.State == diagnostics.StateDown || l.State == diagnostics.StateDegraded
}

// signals is the table of notifications (README.md "Nextcloud surfaces").
// Degraded modes that follow from configuration (an embedded store) are
// setup-check matters, not notifications.
var signals = []signal{
	{name: "redis", layer: diagnostics.LayerRedis, failing: down,
		fail: "Redis is unreachable", recover: "Redis answers again"},
	{name: "upstream_token", layer: diagnostics.LayerToken, failing: down,
		fail: "weather_apis has no DRF token", recover: "weather_apis has a DRF token again", onRedis: true},
	{name: "token_refresh", layer: diagnostics.LayerToken, event: true, failing: (*Notifier).refreshRejected,
		fail: "DRF rejected weather_apis' token refresh"},
	{name: "upstream", layer: diagnostics.LayerUpstream, failing: down,
		fail: "The DRF backend is down", recover: "The DRF backend answers again"},
	{name: "contract", layer: diagnostics.LayerContract, failing: notOK,
		fail: "The backend's answers break the contract", recover: "The backend's answers match the contract again"},
	{name: "drift", layer: diagnostics.LayerDrift, event: true, failing: func(_ *Notifier, l diagnostics.Layer) bool { return l.State == diagnostics.StateDegraded },
		fail: "The backend changed the shape of its answers"},
	{name: "cache", layer: diagnostics.LayerCache, failing: down,
		fail: "The cache is unavailable", recover: "The cache works again", onRedis: true},
	{name: "credentials", layer: diagnostics.LayerCredentials, failing: down,
		fail: "Integration credentials cannot be checked", recover: "Integration credentials can be checked again", onRedis: true},
}

// refreshRejected is failing for RefreshWindow after this process saw DRF
// reject a refresh token (the token layer's refresh_rejected counter grew).
func (m *Notifier) refreshRejected(l diagnostics.Layer) bool {
	n, _ := l.Evidence["refresh_rejected"].(int64)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rejectedSeen && n > m.rejected {
		m.rejectedAt = time.Now()
	}
	m.rejected, m.rejectedSeen = n, true
	return !m.rejectedAt.IsZero() && time.Since(m.rejectedAt) < m.o.EventWindow
}

func shorten(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
