package request

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// The custom context (State) and the watchdog exist for speed: the
// standard library's way to guarantee an answer to a handler that overruns
// is http.TimeoutHandler, which buffers the answer and runs the handler in
// a goroutine of its own, and context.WithTimeout makes a timer per
// request. These benchmarks compare them on a cache hit's shape (a small
// envelope answered from memory):
//
//	go test -run '^$' -bench 'Guard|Std' -benchmem ./internal/request
func benchHit(w http.ResponseWriter, r *http.Request) {
	Send(r.Context(), w, 200, envelope.Envelope{Data: []byte(`{"id":1,"name":"North field"}`), Source: envelope.SourceCache})
}

func runBench(b *testing.B, h http.Handler) {
	r := httptest.NewRequest("GET", "/api/v1/admin/farms/1", nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, r)
		}
	})
}

func BenchmarkGuard(b *testing.B) {
	runBench(b, NewGuard(http.HandlerFunc(benchHit), Options{Logger: slog.New(slog.DiscardHandler),
		Timeout: func(string) time.Duration { return 30 * time.Second },
		Done:    func(*http.Request, *State, int, time.Duration) {}}))
}

// BenchmarkStdTimeout is the same guarantee from the standard library: a
// deadline context and http.TimeoutHandler.
func BenchmarkStdTimeout(b *testing.B) {
	th := http.TimeoutHandler(http.HandlerFunc(benchHit), 30*time.Second+Grace, `{"error":"timeout"}`)
	runBench(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		th.ServeHTTP(w, r.WithContext(ctx))
	}))
}

type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
