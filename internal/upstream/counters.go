package upstream

import (
	"sync"
	"sync/atomic"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Counters count upstream traffic. The zero value is ready; a nil *Counters
// counts nothing. Share one between Clients to aggregate.
type Counters struct {
	calls    atomic.Int64
	attempts atomic.Int64
	retries  atomic.Int64

	mu       sync.Mutex
	failures map[envelope.Code]int64
}

// CountersSnapshot is a point-in-time copy of Counters.
type CountersSnapshot struct {
	Calls    int64                   `json:"calls"`    // Client.Do calls
	Attempts int64                   `json:"attempts"` // HTTP requests sent to DRF (retries and 401 replays included)
	Retries  int64                   `json:"retries"`  // retries after 429/5xx/transport errors
	Failures map[envelope.Code]int64 `json:"failures"` // failed calls by the code they returned
}

// Snapshot returns the current values.
func (c *Counters) Snapshot() CountersSnapshot {
	if c == nil {
		return CountersSnapshot{Failures: map[envelope.Code]int64{}}
	}
	s := CountersSnapshot{Calls: c.calls.Load(), Attempts: c.attempts.Load(), Retries: c.retries.Load(),
		Failures: map[envelope.Code]int64{}}
	c.mu.Lock()
	for k, v := range c.failures {
		s.Failures[k] = v
	}
	c.mu.Unlock()
	return s
}

func (c *Counters) call() {
	if c != nil {
		c.calls.Add(1)
	}
}

func (c *Counters) attempt() {
	if c != nil {
		c.attempts.Add(1)
	}
}

func (c *Counters) retry() {
	if c != nil {
		c.retries.Add(1)
	}
}

func (c *Counters) failure(code envelope.Code) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.failures == nil {
		c.failures = map[envelope.Code]int64{}
	}
	c.failures[code]++
	c.mu.Unlock()
}
