package handlers

// The request policy handed to internal/request's Guard: how long each
// request may take, and what is recorded once it is answered.

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/request"
)

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

// done records an answered request: metrics, and the log (failures at
// WARN, everything at DEBUG).
func (s *Server) done(r *http.Request, st *request.State, status int, elapsed time.Duration) {
	s.d.Metrics.ObserveRequest(st.Route(), r.Method, status, st.Source(), elapsed)
	switch {
	case status >= 500:
		s.log.Warn("request failed", "request_id", st.ID(), "route", st.Route(), "method", r.Method, "path", r.URL.Path,
			"status", status, "source", st.Source(), "latency_ms", elapsed.Milliseconds())
	case s.log.Enabled(r.Context(), slog.LevelDebug):
		s.log.Debug("request", "request_id", st.ID(), "route", st.Route(), "method", r.Method, "path", r.URL.Path,
			"status", status, "source", st.Source(), "latency_ms", elapsed.Milliseconds())
	}
}
