package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/request"
)

// prologue runs first for every request: it turns a handler panic into a
// 500 INTERNAL envelope (the stack goes to the log only;
// http.ErrAbortHandler keeps its meaning), rejects declared oversized bodies
// at once and caps the rest (readBody reports an overrun as 413).
func (s *Server) prologue(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.Error("handler panicked", "request_id", request.IDFrom(c.Request.Context()), "path", c.Request.URL.Path,
			"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		if !c.Writer.Written() {
			s.fail(c, envelope.New(envelope.CodeInternal, "Internal error"))
		}
		c.Abort()
	}()
	if c.Request.ContentLength > s.d.MaxBodyBytes {
		s.fail(c, envelope.Errorf(envelope.CodePayloadTooLarge, "The request body is larger than %d bytes.", s.d.MaxBodyBytes))
		return
	}
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.d.MaxBodyBytes)
	}
	c.Next()
}

// requireAppAPI records the matched route's name (for metrics and the log;
// "" for lifecycle endpoints) and authenticates AppAPI's signature
// (nextcloud/app_api lib/Service/AppAPICommonService.php buildAppAPIAuthHeaders). With needUser (admin routes), an empty Nextcloud
// user is rejected (401) and any other must be a Nextcloud administrator
// (checkAdmin: 403, or 503 when Nextcloud cannot say). The reason goes to
// the log; the client learns only that it failed.
func (s *Server) requireAppAPI(route string, needUser bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		st := request.From(c.Request.Context())
		st.SetRoute(route)
		id, err := s.d.Verifier.VerifyAt(c.Request.Header, st.Start())
		if err != nil {
			s.d.Metrics.ObserveAuthFailure(reason(err))
			s.log.Warn("AppAPI authentication failed", "request_id", request.IDFrom(c.Request.Context()),
				"path", c.Request.URL.Path, "reason", reason(err), "origin_ip", clientIPForLog(c))
			s.fail(c, envelope.New(envelope.CodeUnauthenticated, "AppAPI authentication failed."))
			c.Abort()
			return
		}
		if needUser && id.UserID == "" {
			s.d.Metrics.ObserveAuthFailure("no_user")
			s.log.Warn("admin route called without a Nextcloud user", "request_id", request.IDFrom(c.Request.Context()), "path", c.Request.URL.Path)
			s.fail(c, envelope.New(envelope.CodeUnauthenticated, "This route needs a signed-in Nextcloud administrator."))
			c.Abort()
			return
		}
		st.SetIdentity(id)
		if needUser && !s.checkAdmin(c, id.UserID) {
			return
		}
		c.Next()
	}
}

// reason names an appapi verification failure for the log.
func reason(err error) string {
	switch {
	case errors.Is(err, appapi.ErrMissingHeaders):
		return "missing_headers"
	case errors.Is(err, appapi.ErrOversized):
		return "oversized_header"
	case errors.Is(err, appapi.ErrMalformed):
		return "malformed_header"
	case errors.Is(err, appapi.ErrWrongApp):
		return "wrong_app_id"
	case errors.Is(err, appapi.ErrBadSecret):
		return "wrong_secret"
	}
	return "unknown"
}

// clientIPForLog is AppAPI's X-Origin-IP (bounded), for correlation only.
func clientIPForLog(c *gin.Context) string {
	ip := c.Request.Header.Get(appapi.HeaderOriginIP)
	if len(ip) > 64 {
		ip = ip[:64]
	}
	return ip
}

func (s *Server) notFound(c *gin.Context) {
	s.fail(c, envelope.Errorf(envelope.CodeNotFound, "No route %s %s.", c.Request.Method, truncate(c.Request.URL.Path, 200)))
}

func (s *Server) methodNotAllowed(c *gin.Context) {
	allow := strings.Join(s.allowedMethods(c.Request.URL.Path), ", ")
	c.Writer.Header().Set("Allow", allow)
	s.fail(c, envelope.Errorf(envelope.CodeMethodNotAllowed, "Method %s is not allowed here; allowed: %s.", truncate(c.Request.Method, 20), allow))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
