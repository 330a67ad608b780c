package request

import (
	"net/http"
	"sync"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// guardWriter serialises writes between the handler and the guard.
type guardWriter struct {
	w       http.ResponseWriter
	mu      sync.Mutex
	status  int
	expired bool

	rid        string
	expireAt   time.Time    // deadline + Grace
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

// done marks the end of ServeHTTP: after it the guard can no longer write.
func (g *guardWriter) done() {
	g.mu.Lock()
	g.expired = true
	g.mu.Unlock()
}

// expire answers for a handler that overran its deadline, unless it already
// started answering (the watchdog's callback).
func (gd *Guard) expire(g *guardWriter) {
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
		Version:   envelope.Version{App: gd.o.AppVersion},
		RequestID: rid,
	})
	rc := http.NewResponseController(g.w)
	_ = rc.Flush()
	_ = rc.SetReadDeadline(time.Now()) // a pending body read fails at once; not every writer supports it
	gd.o.Logger.Error("handler overran its deadline; answered 503", "request_id", rid)
}
