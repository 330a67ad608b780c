package nextcloud

import (
	"context"
	"net/http"
)

// Notification is one Nextcloud notification as AppAPI takes it
// (app_api lib/Controller/NotificationsController.php sendNotification →
// lib/Notifications/ExNotificationsManager.php, rendered by
// lib/Notifications/ExAppNotifier.php; the body nc_py_api's
// notifications._create builds). Subject must not be empty.
type Notification struct {
	// ObjectType and ObjectID identify what the notification is about
	// (INotification::setObject: non-empty, at most 64 characters each).
	ObjectType, ObjectID string
	// Subject and Message are the rich subject and message; {placeholders}
	// refer to SubjectParams / MessageParams (rich objects).
	Subject, Message             string
	SubjectParams, MessageParams map[string]any
	// Link, when set, is where a click on the notification leads.
	Link string
}

// SubjectType is the subject AppAPI's notifier renders for ExApps
// (nc_py_api uses "app_api_ex_app").
const SubjectType = "app_api_ex_app"

// Notify sends n to user: POST /ocs/v1.php/apps/app_api/api/v1/notification
// as that user (AppAPI takes the recipient from AUTHORIZATION-APP-API).
func (c *Client) Notify(ctx context.Context, user string, n Notification) error {
	if n.SubjectParams == nil {
		n.SubjectParams = map[string]any{}
	}
	if n.MessageParams == nil {
		n.MessageParams = map[string]any{}
	}
	sp := map[string]any{
		"rich_subject": n.Subject, "rich_subject_params": n.SubjectParams,
		"rich_message": n.Message, "rich_message_params": n.MessageParams,
	}
	if n.Link != "" {
		sp["link"] = n.Link
	}
	body := map[string]any{"params": map[string]any{
		"object": n.ObjectType, "object_id": n.ObjectID, "subject_type": SubjectType, "subject_params": sp,
	}}
	return c.OCSAs(ctx, user, http.MethodPost, aa+"api/v1/notification", nil, body, nil)
}

// RegisterSetupChecks opts the ExApp in to setup checks: POST
// /ocs/v1.php/apps/app_api/api/v1/setup_check, no body (app_api
// lib/Controller/SetupCheckController.php registerChecks; the app id comes
// from the authenticated EX-APP-ID). AppAPI then fetches GET /setup_checks
// from the ExApp in a background job (lib/Service/ExAppSetupCheckRefreshService.php)
// and shows the results under "Security & setup warnings". AppAPI before
// 35.0.0 has no such endpoint: IsNotFound(err).
func (c *Client) RegisterSetupChecks(ctx context.Context) error {
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/setup_check", nil, nil, nil)
}

// UnregisterSetupChecks opts out (DELETE on the same path; AppAPI also drops
// the last results). A missing endpoint is not an error.
func (c *Client) UnregisterSetupChecks(ctx context.Context) error {
	return ignoreNotFound(c.OCS(ctx, http.MethodDelete, aa+"api/v1/setup_check", nil, nil, nil))
}
