package appapisim

import (
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Notification is one notification an ExApp sent a user, as Nextcloud
// stores it and its notifier renders it.
type Notification struct {
	App        string    `json:"app"`
	User       string    `json:"user"`
	Time       time.Time `json:"datetime"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	// SubjectType and SubjectParams are what the ExApp sent.
	SubjectType   string         `json:"subject_type"`
	SubjectParams map[string]any `json:"subject_params"`
	// Subject, Message and Link are ExAppNotifier::prepare's rendering
	// (rich placeholders replaced by their objects' names). A notification
	// without a subject is not shown by Nextcloud (Shown false).
	Subject string `json:"subject"`
	Message string `json:"message"`
	Link    string `json:"link,omitempty"`
	Shown   bool   `json:"shown"`
}

// maxNotifications bounds the kept notifications.
const maxNotifications = 1000

// ocsNotification is NotificationsController::sendNotification: the
// recipient is the AUTHORIZATION-APP-API user; params.object, object_id,
// subject_type and subject_params go to INotification, whose setters throw
// (HTTP 500) on an empty or over-long (> 64 characters) value or a missing
// array (app_api lib/Notifications/ExNotificationsManager.php).
func (s *Server) ocsNotification(q *ocsReq) ocsRes {
	params, _ := q.params["params"].(map[string]any)
	if params == nil {
		return fail(http.StatusBadRequest, "Notification needs params")
	}
	if q.user == "" {
		return fail(http.StatusInternalServerError, "Invalid user: a notification needs a recipient (AUTHORIZATION-APP-API user)")
	}
	str := func(k string) string { v, _ := params[k].(string); return v }
	for _, k := range []string{"object", "object_id", "subject_type"} {
		if v := str(k); v == "" || utf8.RuneCountInString(v) > 64 {
			return fail(http.StatusInternalServerError, fmt.Sprintf("Invalid parameter %s (InvalidValueException)", k))
		}
	}
	sp, isMap := params["subject_params"].(map[string]any)
	if !isMap {
		return fail(http.StatusInternalServerError, "subject_params must be an array (TypeError)")
	}
	n := Notification{App: q.appID, User: q.user, Time: time.Now().UTC(), ObjectType: str("object"), ObjectID: str("object_id"),
		SubjectType: str("subject_type"), SubjectParams: sp}
	if l, _ := sp["link"].(string); l != "" {
		n.Link = l
	}
	if subj, _ := sp["rich_subject"].(string); subj != "" {
		if p, ok := sp["rich_subject_params"].(map[string]any); ok {
			n.Subject, n.Shown = renderRich(subj, p), true
		}
	}
	if msg, _ := sp["rich_message"].(string); msg != "" {
		if p, ok := sp["rich_message_params"].(map[string]any); ok {
			n.Message = renderRich(msg, p)
		}
	}
	s.st.update(func(a *AppState) {
		a.Notifications = append(a.Notifications, n)
		if len(a.Notifications) > maxNotifications {
			a.Notifications = a.Notifications[len(a.Notifications)-maxNotifications:]
		}
	})
	return ok(map[string]any{"app": n.App, "user": n.User, "datetime": n.Time.Format(time.RFC3339),
		"object_type": n.ObjectType, "object_id": n.ObjectID, "subject": n.Subject, "message": n.Message, "link": n.Link, "icon": ""})
}

// renderRich replaces {key} by the rich object's name, as the web client
// shows a rich subject.
func renderRich(text string, params map[string]any) string {
	for k, v := range params {
		name := fmt.Sprint(v)
		if m, ok := v.(map[string]any); ok {
			name = fmt.Sprint(m["name"])
		}
		text = strings.ReplaceAll(text, "{"+k+"}", name)
	}
	return text
}

// notificationsFor returns user's notifications, newest first ("" = all).
func (s *Server) notificationsFor(user string) []Notification {
	var out []Notification
	s.st.view(func(a *AppState) {
		for i := len(a.Notifications) - 1; i >= 0; i-- {
			if user == "" || a.Notifications[i].User == user {
				out = append(out, a.Notifications[i])
			}
		}
	})
	return out
}
