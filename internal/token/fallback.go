package token

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/weather-apis/weather_apis/internal/redisback"
)

// newGate is the Redis back-off: after a Redis error the process skips Redis
// for RedisRetry and uses its local pair.
func newGate(opts Options, log *slog.Logger) *redisback.Gate {
	return redisback.NewGate(redisback.GateOptions{
		Backoff: opts.RedisRetry,
		OnDown: func(error, time.Duration) {
			log.Warn("token: Redis unavailable; using a process-local farm service token until it returns")
		},
		OnUp: func(time.Duration) { log.Info("token: Redis is back; sharing the farm service token again") },
	})
}

// redisDown: Redis failed less than RedisRetry ago.
func (s *Source) redisDown() bool { return s.gate.Down() }

// markDown makes the process skip Redis for RedisRetry.
func (s *Source) markDown(err error) { s.gate.Fail(err) }

// redisBack notes a successful Redis read after an outage.
func (s *Source) redisBack() { s.gate.OK() }

// redisFailed switches to the local pair after a Redis error. A caller that
// ran out of time gets its timeout instead.
func (s *Source) redisFailed(ctx context.Context, err error) (string, error) {
	s.log.Debug("token: Redis operation failed", "error", err)
	s.markDown(err)
	return s.fallbackToken(ctx)
}

// fallbackToken serves a process-local token while Redis fails: the last
// shared token while usable, else one pair per process (singleflight).
func (s *Source) fallbackToken(ctx context.Context) (string, error) {
	v, err, _ := s.sf.Do("fallback", func() (any, error) {
		now := time.Now()
		f := s.fallback.Load()
		if s.fresh(f, now) {
			return f.Access, nil
		}
		if l := s.local.Load(); l.usable(now) && f == nil {
			return l.Access, nil
		}
		s.ctr.fallbacks.Add(1)
		// Only this process's own refresh token is used: presenting the shared
		// one could rotate it away under the other processes.
		var next *record
		var err error
		if f.refreshable(now) {
			next, err = s.refreshPair(ctx, f)
		}
		if next == nil {
			next, err = s.obtainPair(ctx)
		}
		if err != nil {
			if f.usable(now) {
				return f.Access, nil
			}
			return nil, err
		}
		s.fallback.Store(next)
		return next.Access, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// counters are the Source's statistics.
type counters struct {
	obtains, refreshes, refreshRejected   atomic.Int64
	lockWaits, fallbacks, fenced, rejects atomic.Int64
}

// Counters is a snapshot of a Source's statistics.
type Counters struct {
	Obtains         int64 `json:"obtains"`          // password obtains sent to DRF
	Refreshes       int64 `json:"refreshes"`        // successful refreshes
	RefreshRejected int64 `json:"refresh_rejected"` // refresh tokens DRF refused (an obtain followed)
	LockWaits       int64 `json:"lock_waits"`       // renewals this process waited for instead of doing
	Fallbacks       int64 `json:"fallbacks"`        // process-local renewals because Redis failed
	Fenced          int64 `json:"fenced"`           // renewed pairs refused by the fence
	Rejects         int64 `json:"rejects"`          // Reject calls (DRF answered 401)
}

// Counters returns the current statistics.
func (s *Source) Counters() Counters {
	c := &s.ctr
	return Counters{
		Obtains: c.obtains.Load(), Refreshes: c.refreshes.Load(), RefreshRejected: c.refreshRejected.Load(),
		LockWaits: c.lockWaits.Load(), Fallbacks: c.fallbacks.Load(), Fenced: c.fenced.Load(), Rejects: c.rejects.Load(),
	}
}

// Status describes the token for diagnostics; it never contains a token.
type Status struct {
	Shared        bool      `json:"shared"`  // Redis answered and is in use
	Present       bool      `json:"present"` // a usable access token exists
	AccessExpires time.Time `json:"access_expires"`
	ObtainedAt    time.Time `json:"obtained_at"`
	Fence         int64     `json:"fence"`
	Error         string    `json:"error,omitempty"`
}

// Status reads the shared record (or the local pair when Redis fails).
func (s *Source) Status(ctx context.Context) Status {
	rec, err := s.load(ctx)
	st := Status{Shared: err == nil}
	if err != nil {
		st.Error = err.Error()
		rec = s.fallback.Load()
		if rec == nil {
			rec = s.local.Load()
		}
	}
	if rec != nil {
		st.Present = rec.usable(time.Now())
		st.AccessExpires, st.ObtainedAt, st.Fence = rec.AccessExp, rec.ObtainedAt, rec.Fence
	}
	return st
}
