package handlers

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/request"
)

// Lifecycle answers use AppAPI's own shapes, not the envelope
// (nextcloud/app_api lib/Service/AppAPIService.php: heartbeatExApp reads
// {"status":"ok"}, enableExApp {"error":""}), but keep the exact
// Content-Type and Cache-Control.
func lifecycleJSON(c *gin.Context, status int, body string) {
	h := c.Writer.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	c.Status(status)
	_, _ = io.WriteString(c.Writer, body)
	c.Abort()
}

var heartbeatBody = `{"status":"ok"}`

// heartbeat handles "GET /heartbeat": unauthenticated, always
// {"status":"ok"} while the process serves (AppAPI needs the JSON, not just
// 200).
func (s *Server) heartbeat(c *gin.Context) {
	lifecycleJSON(c, http.StatusOK, heartbeatBody)
}

// init handles "POST /init": answers {} at once; the work runs in the
// background and reports progress to Nextcloud.
func (s *Server) init(c *gin.Context) {
	s.d.Lifecycle.StartInit(request.IDFrom(c.Request.Context()))
	lifecycleJSON(c, http.StatusOK, `{}`)
}

// enabled handles "PUT /enabled?enabled=1|0". AppAPI ignores the status
// code and reads only "error": empty means success.
func (s *Server) enabled(c *gin.Context) {
	raw := strings.ToLower(c.Query("enabled"))
	var on bool
	switch raw {
	case "1", "true":
		on = true
	case "0", "false":
	default:
		lifecycleJSON(c, http.StatusBadRequest, errorJSON("query parameter enabled must be 1 or 0"))
		return
	}
	if err := s.d.Lifecycle.SetEnabled(c.Request.Context(), on); err != nil {
		s.log.Error("enable/disable failed", "enabled", on, "err", err.Error())
		lifecycleJSON(c, http.StatusOK, errorJSON(err.Error()))
		return
	}
	lifecycleJSON(c, http.StatusOK, `{"error":""}`)
}

func errorJSON(msg string) string {
	b, _ := json.Marshal(map[string]string{"error": msg})
	return string(b)
}

// occ handles "POST /occ/<command>": AppAPI forwards `occ weather_apis:…`
// here and copies a 200 body to the console. Failures answer 500 with the
// reason as text (AppAPI prints its own failure line and exits 1); the reason
// is also logged, which reaches nextcloud.log.
func (s *Server) occ(c *gin.Context) {
	plain := func(status int, text string) {
		h := c.Writer.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		c.Status(status)
		_, _ = io.WriteString(c.Writer, text)
		c.Abort()
	}
	var body struct {
		Occ OccInput `json:"occ"`
	}
	if c.Request.Body != nil {
		raw, err := io.ReadAll(c.Request.Body)
		if err != nil {
			plain(http.StatusRequestEntityTooLarge, "request body too large\n")
			return
		}
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &body); err != nil {
				plain(http.StatusBadRequest, "request body is not AppAPI's occ JSON\n")
				return
			}
		}
	}
	// AppAPI runs occ commands without a user (ExAppOccService: the caller
	// is whoever may run occ on the server). A request that names a user
	// acts as that user, and every weather_apis command is an admin action.
	if user := userOf(c); user != "" {
		if e := s.adminError(c.Request.Context(), user); e != nil {
			plain(envelope.StatusFor(e), "error: "+e.Message+"\n")
			return
		}
	}
	cmd := strings.Trim(c.Param("command"), "/")
	out, err := s.d.Occ.RunOcc(c.Request.Context(), cmd, body.Occ)
	if err != nil {
		// The command's own verdict keeps its status: a bad argument is the
		// caller's 4xx (logged at INFO), not this process's 500.
		e := envelope.From(err)
		status := envelope.StatusFor(e)
		level := slog.LevelWarn
		if status < 500 {
			level = slog.LevelInfo
		}
		s.log.Log(c.Request.Context(), level, "occ command failed", "command", cmd, "status", status, "err", err.Error())
		plain(status, out+"error: "+err.Error()+"\n")
		return
	}
	plain(http.StatusOK, out)
}
