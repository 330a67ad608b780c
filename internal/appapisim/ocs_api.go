package appapisim

import (
	"context"
	"net/http"
	"net/url"
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
	if s.hasSetupChecks() {
		routes["POST "+aaPrefix+"/api/v1/setup_check"] = aa(s.ocsSetupCheckOptIn(true))
		routes["DELETE "+aaPrefix+"/api/v1/setup_check"] = aa(s.ocsSetupCheckOptIn(false))
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
	if method == http.MethodGet && strings.HasPrefix(path, "/cloud/groups/") {
		return pub(s.ocsGroupUsers(strings.TrimPrefix(path, "/cloud/groups/"))), true
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
		"email": nil, "groups": u.groups(), "language": "en", "locale": ""}
}

func (s *Server) ocsCurrentUser(q *ocsReq) ocsRes {
	if q.user == "" {
		return fail(ocsUnauthorised, "Current user is not logged in")
	}
	return ok(s.userData(q.user))
}

// ocsUserInfo serves /cloud/users/{id} and /cloud/users/{id}/groups
// (provisioning_api UsersController::getUser / getUsersGroups). The caller
// is whoever logged in: a browser session, Basic auth, or an ExApp's
// AUTHORIZATION-APP-API user (base.php tryAppAPILogin). getUsersGroups
// answers a self lookup and an admin's lookup; anyone else gets
// RESPOND_NOT_FOUND (the simulator has no subadmins).
func (s *Server) ocsUserInfo(rest string) func(*ocsReq) ocsRes {
	return func(q *ocsReq) ocsRes {
		if q.user == "" {
			return fail(ocsUnauthorised, "Current user is not logged in")
		}
		raw, sub, _ := strings.Cut(rest, "/")
		id, err := url.PathUnescape(raw)
		u := s.accounts.get(id)
		if err != nil || u == nil {
			return fail(ocsNotFoundV1, "User does not exist")
		}
		caller := s.accounts.get(q.user)
		if caller == nil || caller.ID != u.ID && !caller.isAdmin() {
			return fail(ocsNotFoundV1, "")
		}
		if sub == "groups" {
			return ok(map[string]any{"groups": u.groups()})
		}
		return ok(s.userData(id))
	}
}

// ocsGroupUsers serves /cloud/groups/{gid}/users and the deprecated
// /cloud/groups/{gid} (provisioning_api GroupsController::getGroupUsers):
// {"users": [...]} for admins and the group's members (NC 35; no
// subadmins here); 403 for others, 404 for an unknown group.
func (s *Server) ocsGroupUsers(rest string) func(*ocsReq) ocsRes {
	return func(q *ocsReq) ocsRes {
		if q.user == "" {
			return fail(ocsUnauthorised, "Current user is not logged in")
		}
		raw, sub, _ := strings.Cut(rest, "/")
		gid, err := url.PathUnescape(raw)
		if err != nil || sub != "" && sub != "users" {
			return fail(ocsNotFoundV1, "")
		}
		members := s.accounts.members(gid)
		if len(members) == 0 {
			return fail(ocsNotFoundV1, "The requested group could not be found")
		}
		caller := s.accounts.get(q.user)
		if caller == nil || !caller.isAdmin() && !caller.inGroup(gid) {
			return fail(http.StatusForbidden, "")
		}
		return ok(map[string]any{"users": members})
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
