package upstream_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/upstream"
)

// step scripts one DRF answer.
type step func(w http.ResponseWriter, r *http.Request)

func answer(status int, body string, hdr ...string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// reset closes the connection without an answer.
func reset() step {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
}

// resetMidBody promises 1000 bytes, sends 10 and closes.
func resetMidBody() step {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"count\":1")
		_ = buf.Flush()
		_ = conn.Close()
	}
}

// hang waits for the client to give up (at most 10 s).
func hang() step {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
}

// drf is a scripted DRF: the n-th request gets steps[n] (the last step repeats).
type drf struct {
	*httptest.Server
	mu    sync.Mutex
	steps []step
	reqs  []*http.Request
}

func newDRF(t *testing.T, steps ...step) *drf {
	t.Helper()
	d := &drf{steps: steps}
	d.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		n := len(d.reqs)
		d.reqs = append(d.reqs, r.Clone(context.Background()))
		s := d.steps[min(n, len(d.steps)-1)]
		d.mu.Unlock()
		s(w, r)
	}))
	t.Cleanup(d.Close)
	return d
}

func (d *drf) hits() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.reqs)
}

func (d *drf) req(i int) *http.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reqs[i]
}

// tokens is a TokenSource handing out a fixed sequence; Reject moves on.
type tokens struct {
	mu       sync.Mutex
	seq      []string
	i        int
	rejected []string
}

func (s *tokens) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq[min(s.i, len(s.seq)-1)], nil
}

func (s *tokens) Reject(_ context.Context, tok string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rejected = append(s.rejected, tok)
	if s.seq[min(s.i, len(s.seq)-1)] == tok {
		s.i++
	}
	return nil
}

// breakerSpy records outcomes; open makes Allow fail.
type breakerSpy struct {
	mu       sync.Mutex
	open     bool
	outcomes []bool
}

func (b *breakerSpy) Allow(context.Context) (func(bool), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.open {
		return nil, errOpen
	}
	return func(f bool) {
		b.mu.Lock()
		b.outcomes = append(b.outcomes, f)
		b.mu.Unlock()
	}, nil
}

type openErr struct{}

func (openErr) Error() string { return "circuit open" }

var errOpen = openErr{}

// newClient returns a client with fast waits; logs go to logBuf.
func newClient(t *testing.T, base string, mod func(*upstream.Options)) (*upstream.Client, *upstream.Counters, *bytes.Buffer) {
	t.Helper()
	var logBuf bytes.Buffer
	ctr := &upstream.Counters{}
	o := upstream.Options{
		BaseURL:        base,
		AttemptTimeout: 2 * time.Second,
		RetryWaitMin:   time.Millisecond,
		RetryWaitMax:   5 * time.Millisecond,
		RetryAfterCap:  20 * time.Millisecond,
		MaxRetries:     2,
		Tokens:         &tokens{seq: []string{"tok-1", "tok-2", "tok-3"}},
		Logger:         slog.New(slog.NewTextHandler(&lockedWriter{b: &logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Counters:       ctr,
	}
	if mod != nil {
		mod(&o)
	}
	c, err := upstream.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, ctr, &logBuf
}

type lockedWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
