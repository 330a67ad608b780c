package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
)

// SetupChecker answers Nextcloud's setup checks (internal/setupcheck): a
// value that encodes as {id: {status, text, link_url?, link_label?}}, within
// its own budget (under 1 s).
type SetupChecker interface {
	SetupChecks(ctx context.Context) any
}

// maxSetupChecksBody is AppAPI's limit (ExAppSetupCheckRefreshService::MAX_RESPONSE_BYTES).
const maxSetupChecksBody = 262144

// setupChecks handles "GET /setup_checks", which AppAPI's background job
// sends signed with an empty user (app_api
// lib/Service/ExAppSetupCheckRefreshService.php). The answer is AppAPI's
// shape, not an envelope, with a numeric Content-Length (AppAPI refuses a
// body without one) and at most 256 KiB. A request naming a user must come
// from an administrator.
func (s *Server) setupChecks(c *gin.Context) {
	if user := userOf(c); user != "" && !s.checkAdmin(c, user) {
		return
	}
	body, err := json.Marshal(s.d.SetupChecks.SetupChecks(c.Request.Context()))
	if err != nil || len(body) > maxSetupChecksBody {
		s.log.Error("setup checks answer cannot be sent", "bytes", len(body), "err", errString(err))
		body = []byte(`{"weather_apis":{"status":"error","text":"weather_apis could not build its setup checks; see its log."}}`)
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(body)
	c.Abort()
}
