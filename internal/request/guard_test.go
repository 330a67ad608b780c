package request

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// guarded serves h under a Guard with timeout and records what Done saw.
type guarded struct {
	h        http.Handler
	mu       sync.Mutex
	statuses []int
	routes   []string
}

func newGuarded(h http.HandlerFunc, timeout time.Duration) *guarded {
	g := &guarded{}
	g.h = NewGuard(h, Options{AppVersion: "9.9.9", Logger: slog.New(slog.DiscardHandler),
		Timeout: func(string) time.Duration { return timeout },
		Done: func(_ *http.Request, st *State, status int, _ time.Duration) {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.statuses = append(g.statuses, status)
			g.routes = append(g.routes, st.Route())
		}})
	return g
}

func TestGuard(t *testing.T) {
	t.Parallel()
	t.Run("a handler that ignores its deadline is answered 503 TIMEOUT", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		g := newGuarded(func(w http.ResponseWriter, r *http.Request) {
			From(r.Context()).SetRoute("slow")
			<-release // ignores r.Context()
			_, err := w.Write([]byte("late"))
			if err != http.ErrHandlerTimeout {
				t.Errorf("late write = %v; want http.ErrHandlerTimeout", err)
			}
		}, 10*time.Millisecond)
		srv := httptest.NewServer(g.h)
		defer srv.Close()
		go func() { time.Sleep(Grace + 2*watchTick + 200*time.Millisecond); close(release) }()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var w envelope.Wire
		if err := json.NewDecoder(resp.Body).Decode(&w); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 503 || w.Error == nil || w.Error.Code != envelope.CodeTimeout || w.Version.App != "9.9.9" ||
			w.RequestID == "" || w.RequestID != resp.Header.Get("X-Request-Id") {
			t.Fatalf("answer = %d %+v", resp.StatusCode, w)
		}
		if resp.Header.Get("Connection") != "close" && !resp.Close {
			t.Errorf("the connection stays open after a guard answer")
		}
		<-release
		time.Sleep(50 * time.Millisecond)
		g.mu.Lock()
		defer g.mu.Unlock()
		if len(g.statuses) != 1 || g.statuses[0] != 503 || g.routes[0] != "slow" {
			t.Errorf("Done saw %v %v; want one 503 on route slow", g.statuses, g.routes)
		}
	})
	t.Run("request ids", func(t *testing.T) {
		t.Parallel()
		g := newGuarded(func(w http.ResponseWriter, r *http.Request) {
			Send(r.Context(), w, 200, envelope.Envelope{Data: []byte(`{}`), Source: envelope.SourceLocal})
		}, time.Second)
		for _, tc := range []struct{ sent, want string }{
			{"abc-123", "abc-123"},
			{`bad"id`, ""},
			{strings.Repeat("x", 129), ""},
			{"", ""},
		} {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.sent != "" {
				r.Header.Set("AA-REQUEST-ID", tc.sent)
			}
			rec := httptest.NewRecorder()
			g.h.ServeHTTP(rec, r)
			got := rec.Header().Get("X-Request-Id")
			var w envelope.Wire
			_ = json.Unmarshal(rec.Body.Bytes(), &w)
			if w.RequestID != got {
				t.Errorf("envelope request_id %q != X-Request-Id %q", w.RequestID, got)
			}
			if tc.want != "" && got != tc.want {
				t.Errorf("AA-REQUEST-ID %q → %q; want it reused", tc.sent, got)
			}
			if tc.want == "" && (got == "" || got == tc.sent) {
				t.Errorf("AA-REQUEST-ID %q → %q; want a fresh id", tc.sent, got)
			}
		}
	})
	t.Run("HEAD has GET's status and headers and no body", func(t *testing.T) {
		t.Parallel()
		g := newGuarded(func(w http.ResponseWriter, r *http.Request) {
			Send(r.Context(), w, 200, envelope.Envelope{Data: []byte(`{"a":1}`), Source: envelope.SourceLocal})
		}, time.Second)
		rec := httptest.NewRecorder()
		g.h.ServeHTTP(rec, httptest.NewRequest("HEAD", "/", nil))
		if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") == "" {
			t.Errorf("HEAD = %d, %d body bytes, Content-Type %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
		}
	})
}
