package handlers

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/request"
)

// AdminChecker answers whether a Nextcloud user is an administrator, as
// Nextcloud says (internal/nextcloud.Admins: the admin group through the
// OCS provisioning API, cached at most 30 s and shared by the replicas).
// It fails closed: an error means "cannot say" and the request is refused.
type AdminChecker interface {
	IsAdmin(ctx context.Context, user string) (bool, error)
}

// checkAdmin refuses the request unless user is an administrator: 403
// FORBIDDEN for anyone else, 503 NEXTCLOUD_UNAVAILABLE when Nextcloud
// cannot say. It returns true when the request may go on.
func (s *Server) checkAdmin(c *gin.Context, user string) bool {
	err := s.adminError(c.Request.Context(), user)
	if err == nil {
		return true
	}
	s.fail(c, err)
	c.Abort()
	return false
}

// adminError is checkAdmin's verdict as an error (nil: an administrator).
func (s *Server) adminError(ctx context.Context, user string) *envelope.Error {
	ok, err := s.d.Admins.IsAdmin(ctx, user)
	switch {
	case err != nil:
		s.d.Metrics.ObserveAuthFailure("admin_check_failed")
		e := envelope.From(err)
		if e.Code != envelope.CodeNextcloudUnavailable {
			e = envelope.Wrap(envelope.CodeNextcloudUnavailable, "Nextcloud could not confirm that the user is an administrator. Try again in a moment.", err)
		}
		s.log.Warn("admin check failed; refused", "request_id", request.IDFrom(ctx), "user", user, "err", errString(err))
		return e
	case !ok:
		s.d.Metrics.ObserveAuthFailure("not_admin")
		s.log.Info("admin route called by a user who is not a Nextcloud administrator", "request_id", request.IDFrom(ctx), "user", user)
		return envelope.New(envelope.CodeForbidden, "This needs a Nextcloud administrator; the user is not in Nextcloud's admin group.")
	}
	return nil
}

// userOf is the Nextcloud user AppAPI signed the request for ("" for none).
func userOf(c *gin.Context) string {
	id, _ := request.IdentityFrom(c.Request.Context())
	return id.UserID
}
