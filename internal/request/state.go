package request

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/coalesce"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

// State is the per-request state and, at the same time, the request's
// context (r.Context() inside a Guard): the connection's context plus the
// request id, the verified AppAPI identity and the request's deadline. One
// allocation holds all of it, including the guard's writer (bench_test.go
// compares it with context.WithTimeout and http.TimeoutHandler).
//
// Contract: Deadline always reports the request's deadline. The timer that
// enforces it (a context.WithDeadline child of the connection's context) is
// made on first need, that is on the first Done, Err, or Value lookup of a
// key other than the state itself, so an answer served from memory costs no
// timer. After the request ends, a context that never needed its timer
// reports context.Canceled and a closed Done channel; values stay readable.
// The setters are for the request's own goroutine.
type State struct {
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

var _ context.Context = (*State)(nil)

// From returns the State of a request served by a Guard, or nil.
func From(ctx context.Context) *State {
	st, _ := ctx.Value(stateKey{}).(*State)
	return st
}

// IDFrom returns the request id the Guard assigned ("" outside a Guard).
func IDFrom(ctx context.Context) string {
	if st := From(ctx); st != nil {
		return st.rid
	}
	return ""
}

// IdentityFrom returns the AppAPI identity verified for the request; ok is
// false when it was not (or not yet) verified.
func IdentityFrom(ctx context.Context) (id appapi.Identity, ok bool) {
	if st := From(ctx); st != nil && st.signed {
		return st.id, true
	}
	return appapi.Identity{}, false
}

// ID is the request id.
func (s *State) ID() string { return s.rid }

// Start is when the Guard received the request.
func (s *State) Start() time.Time { return s.start }

// Route is the matched route's name set by SetRoute ("" = none).
func (s *State) Route() string { return s.route }

// SetRoute records the matched route's name (for metrics and the log).
func (s *State) SetRoute(name string) { s.route = name }

// Source is the envelope source the request was answered from.
func (s *State) Source() string { return s.source }

// SetIdentity records the AppAPI identity verified for the request.
func (s *State) SetIdentity(id appapi.Identity) { s.id, s.signed = id, true }

// Send writes env as the whole answer, with its request id, in one write
// where the listener coalesces (internal/coalesce). Outside a Guard (st is
// nil) it writes env as it is.
func Send(ctx context.Context, w http.ResponseWriter, status int, env envelope.Envelope) {
	st := From(ctx)
	if st == nil {
		envelope.Write(w, status, env)
		return
	}
	env.RequestID = st.rid
	st.source = string(env.Source)
	st.conn.Arm()
	envelope.Write(w, status, env)
	st.conn.Disarm()
}

// closedDone is the Done channel of an ended, never-armed request.
var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (s *State) arm() { s.inner, s.cancel = context.WithDeadline(s.parent, s.deadline) }

// ctx returns the armed context, arming it on first use; nil when the
// request ended before anything needed it.
func (s *State) ctx() context.Context {
	s.once.Do(s.arm)
	return s.inner
}

// end releases the deadline timer (if one was made); later arming is
// impossible.
func (s *State) end() {
	s.once.Do(func() {})
	if s.cancel != nil {
		s.cancel()
	}
}

// Deadline is the request's deadline (always set).
func (s *State) Deadline() (time.Time, bool) { return s.deadline, true }

// Done is closed at the deadline, when the client goes away, or at the end.
func (s *State) Done() <-chan struct{} {
	if c := s.ctx(); c != nil {
		return c.Done()
	}
	return closedDone
}

// Err reports why Done closed.
func (s *State) Err() error {
	if c := s.ctx(); c != nil {
		return c.Err()
	}
	return context.Canceled
}

// Value answers the state itself without arming; other keys go through the
// armed context so that contexts derived from this one find its
// cancellation directly (no watcher goroutine).
func (s *State) Value(key any) any {
	if _, ok := key.(stateKey); ok {
		return s
	}
	if c := s.ctx(); c != nil {
		return c.Value(key)
	}
	return s.parent.Value(key)
}
