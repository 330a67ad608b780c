package appapisim

import (
	"sync"
	"time"
)

// throttle counts failed attempts per IP like Nextcloud's bruteforce
// throttler (scaled down: a threshold, then an exponential capped delay).
type throttle struct {
	threshold int
	base, max time.Duration

	mu       sync.Mutex
	attempts map[string]int // "<scope>|<ip>" → attempts
}

func newThrottle(threshold int, base, max time.Duration) *throttle {
	return &throttle{threshold: threshold, base: base, max: max, attempts: map[string]int{}}
}

// delay returns how long a request from ip in scope must wait now.
func (t *throttle) delay(scope, ip string) time.Duration {
	t.mu.Lock()
	n := t.attempts[scope+"|"+ip]
	t.mu.Unlock()
	if n < t.threshold {
		return 0
	}
	d := t.base
	for i := t.threshold; i < n && d < t.max; i++ {
		d *= 2
	}
	return min(d, t.max)
}

func (t *throttle) register(scope, ip string) {
	t.mu.Lock()
	t.attempts[scope+"|"+ip]++
	t.mu.Unlock()
}

func (t *throttle) reset(scope, ip string) {
	t.mu.Lock()
	delete(t.attempts, scope+"|"+ip)
	t.mu.Unlock()
}

func (t *throttle) snapshot() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.attempts))
	for k, v := range t.attempts {
		out[k] = v
	}
	return out
}

// harpBans tracks HaRP's per-IP failures in a sliding window; a banned IP's
// requests are dropped without an answer.
type harpBans struct {
	count  int // <0: never ban
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newHarpBans(count int, window time.Duration) *harpBans {
	return &harpBans{count: count, window: window, failures: map[string][]time.Time{}}
}

func (h *harpBans) fail(ip string) {
	h.mu.Lock()
	h.failures[ip] = append(h.prune(ip), time.Now())
	h.mu.Unlock()
}

func (h *harpBans) banned(ip string) bool {
	if h.count < 0 {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.prune(ip)
	h.failures[ip] = f
	return len(f) >= h.count
}

// prune drops failures older than the window; caller holds mu.
func (h *harpBans) prune(ip string) []time.Time {
	cut := time.Now().Add(-h.window)
	f := h.failures[ip]
	i := 0
	for i < len(f) && f[i].Before(cut) {
		i++
	}
	return f[i:]
}

func (h *harpBans) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for ip := range h.failures {
		if f := h.prune(ip); len(f) > 0 {
			out[ip] = len(f)
		}
	}
	return out
}
