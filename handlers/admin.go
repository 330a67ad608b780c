package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/request"
)

// cacheStats handles "GET /api/v1/admin/cache".
func (s *Server) cacheStats() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := s.d.CacheAdm.Stats(c.Request.Context())
		s.okOrFail(c, v, err)
	}
}

// cacheFlush handles "DELETE /api/v1/admin/cache[?route=NAME]".
func (s *Server) cacheFlush() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := s.d.CacheAdm.Flush(c.Request.Context(), c.Query("route"))
		s.okOrFail(c, v, err)
	}
}

// cacheVerify handles "POST /api/v1/admin/cache/verify".
func (s *Server) cacheVerify() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := s.d.CacheAdm.Verify(c.Request.Context())
		s.okOrFail(c, v, err)
	}
}

// diagnostics handles "GET /api/v1/admin/diagnostics".
func (s *Server) diagnostics() gin.HandlerFunc {
	return func(c *gin.Context) {
		s.ok(c, http.StatusOK, s.d.Diag.Diagnose(c.Request.Context()))
	}
}

func (s *Server) credentialList() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := s.d.Creds.List(c.Request.Context())
		s.okOrFail(c, v, err)
	}
}

func (s *Server) credentialCreate() gin.HandlerFunc {
	return func(c *gin.Context) {
		body, err := s.readBody(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		req, err := credentials.DecodeCreate(body)
		if err != nil {
			s.fail(c, err)
			return
		}
		id, _ := request.IdentityFrom(c.Request.Context())
		req.CreatedBy = id.UserID
		v, err := s.d.Creds.Create(c.Request.Context(), req)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.ok(c, http.StatusCreated, v)
	}
}

func (s *Server) credentialRevoke() gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := s.d.Creds.Revoke(c.Request.Context(), c.Param("id"))
		s.okOrFail(c, v, err)
	}
}

// okOrFail renders v, or err when it is not nil.
func (s *Server) okOrFail(c *gin.Context, v any, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	s.ok(c, http.StatusOK, v)
}

// openapi handles "GET /api/v1/openapi.json": the raw document, not an
// envelope (README.md "Routes").
func (s *Server) openapi() gin.HandlerFunc {
	return func(c *gin.Context) {
		if len(s.d.OpenAPI) == 0 {
			s.fail(c, envelope.New(envelope.CodeNotFound, "No OpenAPI document is available."))
			return
		}
		h := c.Writer.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-cache")
		c.Status(http.StatusOK)
		_, _ = c.Writer.Write(s.d.OpenAPI)
		c.Abort()
	}
}

// ping handles "GET /api/v1/admin/ping": proof that AppAPI reaches the ExApp
// with a valid signature and an admin user.
func (s *Server) ping() gin.HandlerFunc {
	body := []byte(`{"pong":true}`)
	return func(c *gin.Context) {
		s.write(c, http.StatusOK, envelope.Envelope{Data: body, Source: envelope.SourceLocal})
	}
}
