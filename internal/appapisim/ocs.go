package appapisim

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// OCS status codes used by Nextcloud.
const (
	ocsOK           = 200 // HTTP-level success; v1 reports it as 100
	ocsUnauthorised = 997
	ocsNotFoundV1   = 998
)

// ocsReq is one parsed OCS request.
type ocsReq struct {
	r       *http.Request
	version int    // 1 or 2
	path    string // after /ocs/vN.php, e.g. /apps/app_api/ex-app/status
	params  map[string]any
	body    any
	appID   string // authenticated ExApp ("" when not AppAPI-authenticated)
	user    string // user id from the header, or the Basic/session user
	reqID   string
}

// ocsRes is what a handler returns; status is an HTTP-style code
// (200, 400, 404, 500) or ocsUnauthorised.
type ocsRes struct {
	status  int
	data    any
	message string
}

func ok(data any) ocsRes { return ocsRes{status: ocsOK, data: data} }

func fail(status int, msg string) ocsRes { return ocsRes{status: status, message: msg} }

// ocsHandler serves one OCS route; appAPI marks #[AppAPIAuth] endpoints.
type ocsHandler struct {
	appAPI bool
	fn     func(q *ocsReq) ocsRes
}

// handleOCS routes /ocs/v{1,2}.php/... requests, authenticates, records.
func (s *Server) handleOCS(w http.ResponseWriter, r *http.Request) {
	q := &ocsReq{r: r, version: 1, reqID: newRequestID()}
	if strings.HasPrefix(r.URL.Path, "/ocs/v2.php") {
		q.version = 2
	}
	q.path = strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/ocs/v1.php"), "/ocs/v2.php")
	q.params, q.body = parseOCSParams(r)

	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: q.body, Time: time.Now()}
	if raw := r.Header.Get("AUTHORIZATION-APP-API"); raw != "" {
		call.User, _ = decodeAppAPIAuth(raw)
		call.AppID = r.Header.Get("EX-APP-ID")
	}
	h, found := s.ocsRoute(r.Method, q.path)
	var res ocsRes
	switch {
	case !found:
		res = ocsRes{status: http.StatusNotFound, message: "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services."}
		if q.version == 1 {
			res.status = ocsNotFoundV1
		}
	case h.appAPI:
		if s.authenticateExApp(q) {
			res = h.fn(q)
		} else {
			res = fail(ocsUnauthorised, "AppAPI authentication failed")
		}
	default:
		if raw := r.Header.Get("AUTHORIZATION-APP-API"); raw != "" {
			s.authenticateExApp(q)
		} else if u, err := s.accounts.requestUser(r); err == nil && u != nil {
			q.user = u.ID
		}
		res = h.fn(q)
	}
	call.Status, call.StatusCode = s.writeOCS(w, r, q.version, res)
	s.calls.add(call)
}

// authenticateExApp is AAS::validateExAppRequestToNC (nextcloud/app_api lib/Service/AppAPIService.php validateExAppRequestToNC).
func (s *Server) authenticateExApp(q *ocsReq) bool {
	r := q.r
	ip := clientIP(r)
	if d := s.throttle.delay("appapi", ip); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return false
		}
	}
	raw := r.Header.Get("AUTHORIZATION-APP-API")
	if raw == "" {
		return false
	}
	appID := r.Header.Get("EX-APP-ID")
	var a AppState
	s.st.view(func(st *AppState) { a = AppState{Registered: st.Registered, Enabled: st.Enabled, Status: st.Status} })
	if !a.Registered || appID != s.info.ID {
		s.throttle.register("appapi", ip)
		return false
	}
	user, secret := decodeAppAPIAuth(raw)
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.AppSecret)) != 1 {
		s.throttle.register("appapi", ip)
		s.log.Warn("Invalid signature for ExApp", "app", appID)
		return false
	}
	exempt := q.path == "/apps/app_api/ex-app/state" ||
		q.path == "/apps/app_api/ex-app/status" && (a.Status.Type == "install" || a.Status.Type == "update")
	if !a.Enabled && !exempt {
		return false
	}
	v := r.Header.Get("EX-APP-VERSION")
	if v == "" {
		return false
	}
	if versionCompare(v, s.version()) > 0 {
		s.st.update(func(st *AppState) { st.Version = v })
	}
	if user != "" && s.accounts.get(user) == nil {
		return false
	}
	q.appID, q.user = appID, user
	return true
}

// decodeAppAPIAuth splits base64("<user>:<secret>") at the first ":".
func decodeAppAPIAuth(raw string) (user, secret string) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimSpace(raw)); err != nil {
			return "", ""
		}
	}
	user, secret, _ = strings.Cut(string(b), ":")
	return user, secret
}

// parseOCSParams merges query, form and JSON body like NC's Request
// (later sources win) and returns the decoded body for the call log.
func parseOCSParams(r *http.Request) (map[string]any, any) {
	params := map[string]any{}
	for k, v := range r.URL.Query() {
		params[strings.TrimSuffix(k, "[]")] = queryValue(k, v)
	}
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if len(raw) == 0 {
		return params, nil
	}
	var body any
	if err := json.Unmarshal(raw, &body); err == nil {
		if m, isMap := body.(map[string]any); isMap {
			for k, v := range m {
				params[k] = v
			}
		}
		return params, body
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if vals, err := url.ParseQuery(string(raw)); err == nil {
			for k, v := range vals {
				params[strings.TrimSuffix(k, "[]")] = queryValue(k, v)
			}
			return params, vals
		}
	}
	return params, string(raw)
}

func queryValue(k string, v []string) any {
	if strings.HasSuffix(k, "[]") {
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out
	}
	return v[len(v)-1]
}
