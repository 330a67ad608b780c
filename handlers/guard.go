package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/weather-apis/weather_apis/internal/coalesce"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

// guardGrace is how long after its deadline a handler may still answer
// before the guard answers for it.
const guardGrace = 500 * time.Millisecond

// serve is the outermost handler. It assigns the request id, bounds the
// request with a deadline, and guarantees an envelope answer even when a
// handler ignores its context: when the deadline plus guardGrace passes with
// nothing written, the watchdog writes a 503 TIMEOUT envelope and whatever
// the handler writes later is discarded.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rid := requestID(r, s.ids)
	w.Header()["X-Request-Id"] = []string{rid}
	timeout := s.timeoutFor(r.URL.Path)
	st := &reqState{rid: rid, start: start, parent: r.Context(), deadline: start.Add(timeout), conn: coalesce.From(r.Context())}
	gw := &st.gw
	if r.Method == http.MethodHead {
		w = headWriter{w}
	}
	gw.w, gw.rid, gw.expireAt = w, rid, st.deadline.Add(guardGrace)
	s.watch.add(gw)
	defer st.end()
	s.engine.ServeHTTP(gw, r.WithContext(st))
	s.watch.remove(gw)
	gw.done()
	status, elapsed := gw.statusCode(), time.Since(start)
	s.d.Metrics.ObserveRequest(st.route, r.Method, status, st.source, elapsed)
	switch {
	case status >= 500:
		s.log.Warn("request failed", "request_id", rid, "route", st.route, "method", r.Method, "path", r.URL.Path,
			"status", status, "source", st.source, "latency_ms", elapsed.Milliseconds())
	case s.log.Enabled(r.Context(), slog.LevelDebug):
		s.log.Debug("request", "request_id", rid, "route", st.route, "method", r.Method, "path", r.URL.Path,
			"status", status, "source", st.source, "latency_ms", elapsed.Milliseconds())
	}
}

// timeoutFor returns the deadline of a request: AppAPI gives /enabled 60 s
// and occ commands no limit; API requests get RequestTimeout.
func (s *Server) timeoutFor(path string) time.Duration {
	switch {
	case path == "/enabled":
		return 55 * time.Second
	case strings.HasPrefix(path, "/occ/"):
		return 5 * time.Minute
	}
	return s.d.RequestTimeout
}

// requestID returns AppAPI's AA-REQUEST-ID when it is a sane token, else a
// fresh random id.
func requestID(r *http.Request, ids *idGen) string {
	if v := r.Header["Aa-Request-Id"]; len(v) > 0 && saneID(v[0]) {
		return v[0]
	}
	return ids.next()
}

// idGen makes request ids: a random per-server prefix keeps them unique
// across processes, a counter within one. Request ids correlate logs; they
// are not secrets.
type idGen struct {
	prefix string
	n      atomic.Uint64
}

func newIDGen() *idGen {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &idGen{prefix: hex.EncodeToString(b[:])}
}

func (g *idGen) next() string {
	var buf [32]byte
	b := append(buf[:0], g.prefix...)
	b = append(b, '-')
	b = strconv.AppendUint(b, g.n.Add(1), 36)
	return string(b)
}

func saneID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// guardWriter serialises writes between the handler and the timeout guard.
type guardWriter struct {
	w       http.ResponseWriter
	mu      sync.Mutex
	status  int
	expired bool

	rid        string
	expireAt   time.Time    // deadline + guardGrace
	prev, next *guardWriter // watchdog list, guarded by watchdog.mu
}

var _ http.Flusher = (*guardWriter)(nil)

func (g *guardWriter) Header() http.Header { return g.w.Header() }

func (g *guardWriter) WriteHeader(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.expired || g.status != 0 {
		return
	}
	g.status = code
	g.w.WriteHeader(code)
}

func (g *guardWriter) Write(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.expired {
		return 0, http.ErrHandlerTimeout
	}
	if g.status == 0 {
		g.status = http.StatusOK
	}
	return g.w.Write(b)
}

func (g *guardWriter) Flush() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f, ok := g.w.(http.Flusher); ok && !g.expired {
		f.Flush()
	}
}

func (g *guardWriter) statusCode() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.status == 0 {
		return http.StatusOK
	}
	return g.status
}

// expire answers for a handler that overran its deadline, unless it already
// started answering.
func (g *guardWriter) expire(s *Server) {
	rid := g.rid
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.status != 0 || g.expired {
		return
	}
	g.expired = true
	g.status = http.StatusServiceUnavailable
	h := g.w.Header()
	for k := range h {
		if k != "X-Request-Id" {
			delete(h, k)
		}
	}
	// The handler may be stuck reading a body the client trickles: close the
	// connection after this answer, and end that read now (below).
	h.Set("Connection", "close")
	envelope.Write(g.w, http.StatusServiceUnavailable, envelope.Envelope{
		Error:     envelope.New(envelope.CodeTimeout, "The request took too long and was abandoned."),
		Source:    envelope.SourceLocal,
		Version:   envelope.Version{App: s.d.AppVersion},
		RequestID: rid,
	})
	rc := http.NewResponseController(g.w)
	_ = rc.Flush()
	_ = rc.SetReadDeadline(time.Now()) // a pending body read fails at once; not every writer supports it
	s.log.Error("handler overran its deadline; answered 503", "request_id", rid)
}

// done marks the end of ServeHTTP: after it the guard can no longer write.
func (g *guardWriter) done() {
	g.mu.Lock()
	g.expired = true
	g.mu.Unlock()
}
