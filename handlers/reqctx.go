package handlers

import (
	"context"
	"sync"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/coalesce"
)

// reqState is the per-request state and, at the same time, the request's
// context (c.Request.Context()): the connection's context plus the request
// id, the verified AppAPI identity and the request's deadline. One
// allocation holds all of it, including the guard's writer.
//
// Contract: Deadline always reports the request's deadline. The timer that
// enforces it (a context.WithDeadline child of the connection's context) is
// made on first need, that is on the first Done, Err, or Value lookup of a
// key other than the state itself, so an answer served from memory costs no
// timer. After end, a context that never needed its timer reports
// context.Canceled and a closed Done channel; values stay readable.
type reqState struct {
	rid    string
	start  time.Time
	id     appapi.Identity
	signed bool
	route  string // the matched route's name ("" = none)
	source string // the envelope source answered

	gw   guardWriter
	conn *coalesce.Conn // the connection, when the listener coalesces writes (nil-safe)

	parent   context.Context // the connection's request context
	deadline time.Time
	once     sync.Once
	inner    context.Context    // set by arm; nil after end when never armed
	cancel   context.CancelFunc // inner's cancel
}

type stateKey struct{}

var _ context.Context = (*reqState)(nil)

// closedDone is the Done channel of an ended, never-armed request.
var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (s *reqState) arm() { s.inner, s.cancel = context.WithDeadline(s.parent, s.deadline) }

// ctx returns the armed context, arming it on first use; nil when the
// request ended before anything needed it.
func (s *reqState) ctx() context.Context {
	s.once.Do(s.arm)
	return s.inner
}

// end releases the deadline timer (if one was made); later arming is
// impossible.
func (s *reqState) end() {
	s.once.Do(func() {})
	if s.cancel != nil {
		s.cancel()
	}
}

func (s *reqState) Deadline() (time.Time, bool) { return s.deadline, true }

func (s *reqState) Done() <-chan struct{} {
	if c := s.ctx(); c != nil {
		return c.Done()
	}
	return closedDone
}

func (s *reqState) Err() error {
	if c := s.ctx(); c != nil {
		return c.Err()
	}
	return context.Canceled
}

// Value answers the state itself without arming; other keys go through the
// armed context so that contexts derived from this one find its
// cancellation directly (no watcher goroutine).
func (s *reqState) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return s
	}
	if c := s.ctx(); c != nil {
		return c.Value(key)
	}
	return s.parent.Value(key)
}

func stateOf(ctx context.Context) *reqState {
	st, _ := ctx.Value(stateKey{}).(*reqState)
	return st
}

// RequestIDFrom returns the request id assigned by the Server.
func RequestIDFrom(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.rid
	}
	return ""
}

// IdentityFrom returns the AppAPI identity verified for the request; ok is
// false when the request was not (or not yet) verified.
func IdentityFrom(ctx context.Context) (appapi.Identity, bool) {
	if st := stateOf(ctx); st != nil && st.signed {
		return st.id, true
	}
	return appapi.Identity{}, false
}

// identity returns the verified AppAPI identity of the request.
func identity(ctx context.Context) appapi.Identity {
	id, _ := IdentityFrom(ctx)
	return id
}
