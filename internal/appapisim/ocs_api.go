package appapisim

import (
	"context"
	"net/http"
	"strings"
	"time"
)

const aaPrefix = "/apps/app_api"

// ocsRoute finds the handler for an OCS path (after /ocs/vN.php).
func (s *Server) ocsRoute(method, path string) (ocsHandler, bool) {
	aa := func(fn func(*ocsReq) ocsRes) ocsHandler { return ocsHandler{appAPI: true, fn: fn} }
	pub := func(fn func(*ocsReq) ocsRes) ocsHandler { return ocsHandler{fn: fn} }
	routes := map[string]ocsHandler{
		"GET /cloud/capabilities": pub(s.ocsCapabilities),
		"GET /cloud/user":         pub(s.ocsCurrentUser),

		"POST " + aaPrefix + "/api/v1/log":                          aa(s.ocsLog),
		"GET " + aaPrefix + "/api/v1/users":                         aa(s.ocsUsers),
		"PUT " + aaPrefix + "/ex-app/status":                        aa(s.ocsSetStatus),
		"GET " + aaPrefix + "/ex-app/state":                         aa(s.ocsState),
		"GET " + aaPrefix + "/api/v1/info/nextcloud_url/absolute":   aa(s.ocsAbsoluteURL),
		"POST " + aaPrefix + "/api/v1/ex-app/config":                aa(s.ocsConfigSet(false)),
		"POST " + aaPrefix + "/api/v1/ex-app/config/get-values":     aa(s.ocsConfigGet(false)),
		"DELETE " + aaPrefix + "/api/v1/ex-app/config":              aa(s.ocsConfigDelete(false)),
		"POST " + aaPrefix + "/api/v1/ex-app/preference":            aa(s.ocsConfigSet(true)),
		"POST " + aaPrefix + "/api/v1/ex-app/preference/get-values": aa(s.ocsConfigGet(true)),
		"DELETE " + aaPrefix + "/api/v1/ex-app/preference":          aa(s.ocsConfigDelete(true)),
		"POST " + aaPrefix + "/api/v1/notification":                 aa(s.ocsNotification),
		"POST " + aaPrefix + "/api/v1/occ_command":                  aa(s.ocsOccRegister),
		"DELETE " + aaPrefix + "/api/v1/occ_command":                aa(s.ocsOccUnregister),
		"GET " + aaPrefix + "/api/v1/occ_command":                   aa(s.ocsOccGet),
	}
	for k, v := range s.ocsUIRoutes() {
		routes[k] = aa(v)
	}
	if h, ok := routes[method+" "+path]; ok {
		return h, true
	}
	if method == http.MethodPut && strings.HasPrefix(path, aaPrefix+"/apps/status/") {
		return aa(s.ocsSetStatusDeprecated(strings.TrimPrefix(path, aaPrefix+"/apps/status/"))), true
	}
	if method == http.MethodGet && strings.HasPrefix(path, "/cloud/users/") {
		return pub(s.ocsUserInfo(strings.TrimPrefix(path, "/cloud/users/"))), true
	}
	return ocsHandler{}, false
}

func (s *Server) ocsCapabilities(*ocsReq) ocsRes {
	return ok(map[string]any{
		"version": map[string]any{"major": 32, "minor": 0, "micro": 0, "string": "32.0.0", "edition": "", "extendedSupport": false},
		"capabilities": map[string]any{
			"core":    map[string]any{"pollinterval": 60, "webdav-root": "remote.php/webdav"},
			"app_api": map[string]any{"loglevel": s.cfg.LogLevel, "version": s.cfg.AAVersion},
		},
	})
}

func (s *Server) userData(id string) map[string]any {
	u := s.accounts.get(id)
	return map[string]any{"id": u.ID, "enabled": true, "displayname": u.DisplayName, "display-name": u.DisplayName,
		"email": nil, "groups": u.Groups, "language": "en", "locale": ""}
}

func (s *Server) ocsCurrentUser(q *ocsReq) ocsRes {
	if q.user == "" {
		return fail(ocsUnauthorised, "Current user is not logged in")
	}
	return ok(s.userData(q.user))
}

// ocsUserInfo serves /cloud/users/{id} and /cloud/users/{id}/groups.
func (s *Server) ocsUserInfo(rest string) func(*ocsReq) ocsRes {
	return func(q *ocsReq) ocsRes {
		if q.user == "" {
			return fail(ocsUnauthorised, "Current user is not logged in")
		}
		id, sub, _ := strings.Cut(rest, "/")
		u := s.accounts.get(id)
		if u == nil {
			return fail(http.StatusNotFound, "User does not exist")
		}
		if sub == "groups" {
			return ok(map[string]any{"groups": u.Groups})
		}
		return ok(s.userData(id))
	}
}

func (s *Server) ocsLog(q *ocsReq) ocsRes {
	level, okLevel := q.int("level")
	if !okLevel || level < 0 || level > 4 {
		return fail(http.StatusBadRequest, "Invalid log level")
	}
	msg := q.str("message")
	s.log.Info("ExApp log", "app", q.appID, "level", level, "message", msg)
	s.st.update(func(a *AppState) {
		a.Logs = append(a.Logs, LogEntry{Level: level, Message: msg, Time: time.Now()})
		if len(a.Logs) > maxLogs {
			a.Logs = a.Logs[len(a.Logs)-maxLogs:]
		}
	})
	return ok(nil)
}

func (s *Server) ocsUsers(*ocsReq) ocsRes { return ok(s.accounts.ids()) }

func (s *Server) ocsState(*ocsReq) ocsRes {
	enabled := 0
	s.st.view(func(a *AppState) {
		if a.Enabled {
			enabled = 1
		}
	})
	return ok(enabled)
}

func (s *Server) ocsAbsoluteURL(q *ocsReq) ocsRes {
	return ok(map[string]any{"absolute_url": "http://" + s.cfg.Listen + "/" + strings.TrimLeft(q.str("url"), "/")})
}

func (s *Server) ocsSetStatus(q *ocsReq) ocsRes { return s.setStatusFrom(q) }

func (s *Server) ocsSetStatusDeprecated(appID string) func(*ocsReq) ocsRes {
	return func(q *ocsReq) ocsRes {
		if appID != s.info.ID {
			return fail(http.StatusNotFound, "")
		}
		return s.setStatusFrom(q)
	}
}

func (s *Server) setStatusFrom(q *ocsReq) ocsRes {
	progress, okP := q.int("progress")
	if !okP {
		return fail(http.StatusBadRequest, "Missing parameter progress")
	}
	if err := s.setInitProgress(q.r.Context(), progress, q.str("error"), q.reqID); err != nil {
		return fail(http.StatusInternalServerError, err.Error())
	}
	return ok(nil)
}

// detach keeps AppAPI's own follow-up calls alive if the ExApp hangs up.
func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
