// Package request is the machinery every weather_apis request runs inside,
// below any router: a request id, a deadline, the per-request State carried
// as the request's context, a guard that answers for a handler that overruns
// its deadline, and the one-write send of an envelope.
//
// Contract:
//   - Every request gets an id: AppAPI's AA-REQUEST-ID when it is a sane
//     token (printable ASCII, no quotes or backslashes, ≤ 128 bytes), else a
//     fresh one unique across processes. It is sent back as X-Request-Id.
//   - The request's context is its *State: Deadline reports the deadline
//     Options.Timeout gives the path, and it is enforced (Done, Err) once
//     anything waits on it. A request answered from memory costs no timer.
//   - When the deadline plus Grace passes with nothing written, the guard
//     answers 503 TIMEOUT (an envelope) itself, closes the connection after
//     it, ends a pending body read, and discards whatever the handler writes
//     later. A handler that ignores its context cannot leave a client
//     without an answer.
//   - HEAD answers carry GET's status and headers and no body (RFC 9110
//     §9.3.2).
//   - Options.Done sees every request once, after its handler returned,
//     with the status sent.
package request

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/weather-apis/weather_apis/internal/coalesce"
)

// Grace is how long after its deadline a handler may still answer before
// the guard answers for it.
const Grace = 500 * time.Millisecond

// Options configure a Guard. Timeout and Done are required.
type Options struct {
	// AppVersion is the envelope's version.app of the guard's own answers.
	AppVersion string
	Logger     *slog.Logger
	// Timeout returns the deadline of a request to path.
	Timeout func(path string) time.Duration
	// Done is called once per request after its handler returned.
	Done func(r *http.Request, st *State, status int, elapsed time.Duration)
}

// Guard is the outermost http.Handler: it runs next inside the contract of
// the package comment.
type Guard struct {
	next  http.Handler
	o     Options
	ids   *idGen
	watch *watchdog
}

// NewGuard returns a Guard around next.
func NewGuard(next http.Handler, o Options) *Guard {
	g := &Guard{next: next, o: o, ids: newIDGen()}
	g.watch = newWatchdog(g.expire)
	return g
}

// ServeHTTP serves r through next under the guard.
func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := requestID(r, g.ids)
	w.Header()["X-Request-Id"] = []string{rid}
	st := &State{rid: rid, start: start, parent: r.Context(), deadline: start.Add(g.o.Timeout(r.URL.Path)), conn: coalesce.From(r.Context())}
	gw := &st.gw
	if r.Method == http.MethodHead {
		w = headWriter{w}
	}
	gw.w, gw.rid, gw.expireAt = w, rid, st.deadline.Add(Grace)
	g.watch.add(gw)
	defer st.end()
	g.next.ServeHTTP(gw, r.WithContext(st))
	g.watch.remove(gw)
	gw.done()
	g.o.Done(r, st, gw.statusCode(), time.Since(start))
}

// headWriter discards a HEAD answer's body. net/http's server drops it
// anyway; this keeps any other http.Handler host (and the tests' recorder)
// from sending it.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(p []byte) (int, error) { return len(p), nil }

func (w headWriter) WriteString(s string) (int, error) { return len(s), nil }

// Unwrap lets http.ResponseController reach the underlying writer.
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
