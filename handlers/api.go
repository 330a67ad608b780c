package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/cacheadmin"
	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/request"
	"github.com/weather-apis/weather_apis/internal/resources"
)

// Resources reads and writes the DRF resources behind the API routes.
type Resources interface {
	// Read returns the answer for a read route of the route table. It
	// checks p's id and query (a BAD_REQUEST error names the parameter).
	Read(ctx context.Context, route string, p Params) (Answer, error)
	// Write performs a write route and invalidates what it changes before
	// returning.
	Write(ctx context.Context, route string, p Params, body []byte) (Answer, error)
}

// Params and Answer are the resources package's value types.
type (
	Params = resources.Params
	Answer = resources.Answer
)

// CacheAdmin is the cache's administration surface (*cacheadmin.Admin).
// Errors are *envelope.Error (BAD_REQUEST for an unknown route,
// STORE_UNAVAILABLE).
type CacheAdmin interface {
	Stats(ctx context.Context) (cacheadmin.StatsReport, error)
	Flush(ctx context.Context, route string) (cacheadmin.FlushReport, error)
	Verify(ctx context.Context) (cacheadmin.VerifyReport, error)
}

// Diagnostician reports each layer's truth (*diagnostics.Doctor).
type Diagnostician interface {
	Diagnose(ctx context.Context) diagnostics.Diagnosis
}

// Credentials manages integration credentials (*credentials.Store). Errors
// are *envelope.Error (VALIDATION_FAILED, NOT_FOUND, STORE_UNAVAILABLE).
type Credentials interface {
	List(ctx context.Context) ([]credentials.View, error)
	Create(ctx context.Context, req credentials.CreateRequest) (credentials.View, error)
	Revoke(ctx context.Context, id string) (credentials.View, error)
}

// IntegrationAuth authenticates an integration request for scope. It
// returns an *envelope.Error carrying its own response headers
// (WWW-Authenticate, Retry-After): UNAUTHENTICATED, FORBIDDEN,
// RATE_LIMITED, or STORE_UNAVAILABLE 503 when the credential store (Redis)
// cannot answer for a credential it has not seen in the last second (fail
// closed).
type IntegrationAuth interface {
	Authenticate(r *http.Request, scope string) error
}

// params parses a request's inputs. The id, when the route has one, is
// checked and made canonical here ("007" is "7"): a malformed id is a 400
// before anything else runs.
func (s *Server) params(c *gin.Context, r Route) (Params, error) {
	id := c.Param("id")
	if r.HasID() {
		cid, err := r.CanonicalID(id)
		if err != nil {
			return Params{}, err
		}
		id = cid
	}
	return s.rawParams(c, id), nil
}

func (s *Server) rawParams(c *gin.Context, id string) Params {
	var q url.Values
	if c.Request.URL.RawQuery != "" {
		q = c.Request.URL.Query()
	}
	return Params{
		ID:             id,
		Query:          q,
		Revalidate:     c.GetHeader("Cache-Control") == "no-cache" || c.GetHeader("Pragma") == "no-cache",
		IdempotencyKey: c.GetHeader("Idempotency-Key"),
		RequestID:      request.IDFrom(c.Request.Context()),
	}
}

// answer renders a Resources answer: cache headers, then the envelope.
func (s *Server) answer(c *gin.Context, a Answer, err error) {
	if a.XCache != "" {
		h := c.Writer.Header()
		vals := make([]string, 3) // one allocation for the three values
		vals[0], vals[1] = a.XCache, strconv.FormatInt(int64(a.Age/time.Second), 10)
		h["X-Cache"], h["Age"] = vals[0:1:1], vals[1:2:2]
		if a.CacheStatus != "" {
			vals[2] = a.CacheStatus
			h["Cache-Status"] = vals[2:3:3]
		}
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if a.Note != "" {
		c.Writer.Header().Set("X-Upstream-Note", a.Note)
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	s.write(c, status, envelope.Envelope{Data: a.Body, Source: a.Source, Version: envelope.Version{Schema: a.SchemaVersion}})
}

// read is the handler of a read route: the resources service checks the
// query, reads through the cache and labels the answer.
func (s *Server) read(r Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.params(c, r)
		if err != nil {
			s.fail(c, err)
			return
		}
		a, err := s.d.Resources.Read(c.Request.Context(), r.Name, p)
		s.answer(c, a, err)
	}
}

// writeRoute is the handler of a write route (withBody: it takes a JSON
// body).
func (s *Server) writeRoute(r Route, withBody bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := s.params(c, r)
		if err != nil {
			s.fail(c, err)
			return
		}
		var body []byte
		if withBody {
			b, err := s.readBody(c)
			if err != nil {
				s.fail(c, err)
				return
			}
			body = b
		}
		a, err := s.d.Resources.Write(c.Request.Context(), r.Name, p, body)
		s.answer(c, a, err)
	}
}

// requireIntegration enforces integration credentials for r's scope.
func (s *Server) requireIntegration(r Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.d.Integr.Authenticate(c.Request, r.Scope); err != nil {
			s.d.Metrics.ObserveAuthFailure("integration_" + strings.ToLower(string(envelope.CodeOf(err))))
			s.fail(c, err)
			return
		}
		c.Next()
	}
}
