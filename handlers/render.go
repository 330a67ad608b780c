package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/request"
)

// ok writes a success envelope with JSON data produced by this app.
func (s *Server) ok(c *gin.Context, status int, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		s.fail(c, envelope.Wrap(envelope.CodeInternal, "Internal error", err))
		return
	}
	s.write(c, status, envelope.Envelope{Data: b, Source: envelope.SourceLocal})
}

// fail writes err as an error envelope with its truthful status. Internal
// causes are logged, never sent.
func (s *Server) fail(c *gin.Context, err error) {
	e := envelope.From(err)
	status := envelope.StatusFor(e)
	// WARN and above reach nextcloud.log (internal/nextcloud.LogHandler):
	// only what this service or its dependencies did wrong. A client's 4xx
	// is INFO, so a prober cannot flood the admin's log.
	if e.Cause != nil || status >= 500 {
		level := slog.LevelWarn
		if status < 500 || errors.Is(c.Request.Context().Err(), context.Canceled) {
			level = slog.LevelInfo // the client's doing: a bad request, or it went away
		}
		s.log.Log(c.Request.Context(), level, "request error", "request_id", request.IDFrom(c.Request.Context()), "path", c.Request.URL.Path,
			"code", string(e.Code), "status", status, "cause", errString(e.Cause))
	}
	h := c.Writer.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	s.write(c, status, envelope.Envelope{Error: e, Source: e.Source()})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// write fills in the app version and sends env as the whole answer.
func (s *Server) write(c *gin.Context, status int, env envelope.Envelope) {
	env.Version.App = s.d.AppVersion
	request.Send(c.Request.Context(), c.Writer, status, env)
	c.Abort()
}

// readBody reads the request body within the limit: too large is 413, a body
// that is not a JSON object or array is 400.
func (s *Server) readBody(c *gin.Context) ([]byte, error) {
	if c.Request.Body == nil {
		return nil, envelope.New(envelope.CodeBadRequest, "A JSON request body is required.")
	}
	b, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, envelope.Errorf(envelope.CodePayloadTooLarge, "The request body is larger than %d bytes.", mbe.Limit)
		}
		return nil, envelope.Wrap(envelope.CodeBadRequest, "The request body could not be read.", err)
	}
	if len(b) == 0 || !json.Valid(b) {
		return nil, envelope.New(envelope.CodeBadRequest, "The request body must be valid JSON.")
	}
	if err := checkJSONLimits(b); err != nil {
		return nil, err
	}
	return b, nil
}

// Limits on a write body that no farm, state or observation needs, checked
// before the body goes upstream: DRF (Python) answers deeper nesting with a
// RecursionError (500) and longer integers with an error naming
// sys.set_int_max_str_digits.
const (
	maxBodyDepth     = 32 // jsonshape.MaxDepth, the same bound the shape checks use
	maxNumberLiteral = 64 // characters; a float64 or int64 needs at most 24
)

// checkJSONLimits returns a 400 BAD_REQUEST naming the first limit valid
// JSON b exceeds, else nil.
func checkJSONLimits(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // io.EOF: b is valid JSON (checked), so nothing else
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				if depth++; depth > maxBodyDepth {
					return envelope.Errorf(envelope.CodeBadRequest, "The request body nests deeper than %d levels.", maxBodyDepth)
				}
			} else {
				depth--
			}
		case json.Number:
			if len(v) > maxNumberLiteral {
				return envelope.Errorf(envelope.CodeBadRequest, "A number in the request body is longer than %d characters.", maxNumberLiteral)
			}
		}
	}
}
