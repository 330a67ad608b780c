package appapisim

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
)

// handleHarp plays HaRP's /exapps/<appid>/<path> frontend
// (nextcloud/HaRP haproxy_agent.py): any method, WebSocket upgrades, streaming.
func (s *Server) handleHarp(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if s.bans.banned(ip) {
		drop(w)
		return
	}
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/exapps/")
	rawID, rawPath, _ := strings.Cut(rest, "/")
	if parentSegment.MatchString(rest) || strings.Contains(rest, "..") {
		drop(w)
		return
	}
	appID, err := url.PathUnescape(rawID)
	if err != nil || appID == "app_api" {
		s.harpFail(w, ip, http.StatusNotFound)
		return
	}
	target := "/" + rawPath // target_path, still escaped
	var enabled bool
	s.st.view(func(a *AppState) { enabled = a.Registered && a.Enabled })

	if s.aaSignedHarp(r) {
		s.harpForward(w, r, target, nil)
		return
	}
	if appID != s.info.ID || !enabled {
		s.harpFail(w, ip, http.StatusNotFound)
		return
	}
	decoded, err := url.PathUnescape(target)
	if err != nil {
		s.harpFail(w, ip, http.StatusNotFound)
		return
	}
	switch decoded {
	case "/heartbeat", "/init", "/enabled":
		s.bans.fail(ip)
		drop(w)
		return
	}
	u, err := s.accounts.requestUser(r)
	if err != nil {
		// NC's /harp/user-info refused the client's credentials.
		plain(w, http.StatusUnauthorized)
		return
	}
	route, code := s.routes.harpRoute(s.info.Routes, decoded, levelOf(u))
	if code != 0 {
		s.harpFail(w, ip, code)
		return
	}
	s.harpForward(w, r, target, func(h http.Header) {
		h.Set("EX-APP-ID", s.info.ID)
		h.Set("EX-APP-VERSION", s.version())
		h.Set("AUTHORIZATION-APP-API", appAPIAuth(userID(u), s.cfg.AppSecret))
		h.Set("AA-VERSION", "32")
	}, route.BruteforceProtection...)
}

// aaSignedHarp reports whether r carries AppAPI's own HaRP headers with the
// right shared key (route checks are then skipped).
func (s *Server) aaSignedHarp(r *http.Request) bool {
	if s.cfg.HarpSharedKey == "" {
		return false
	}
	for _, h := range []string{"ex-app-version", "ex-app-id", "ex-app-host", "ex-app-port", "authorization-app-api", "harp-shared-key"} {
		if r.Header.Get(h) == "" {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(r.Header.Get("harp-shared-key")), []byte(s.cfg.HarpSharedKey)) == 1
}

// harpForward sends r to the ExApp at target (escaped path; query kept).
// protect lists ExApp statuses that count as IP failures.
func (s *Server) harpForward(w http.ResponseWriter, r *http.Request, target string, setHeaders func(http.Header), protect ...int) {
	ip := clientIP(r)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			out := pr.Out
			base := s.exapp.base
			out.URL.Scheme, out.URL.Host = base.Scheme, base.Host
			out.URL.RawPath = strings.TrimRight(base.EscapedPath(), "/") + target
			if p, err := url.PathUnescape(out.URL.RawPath); err == nil {
				out.URL.Path = p
			}
			out.URL.RawQuery = pr.In.URL.RawQuery
			out.Host = pr.In.Host
			// ReverseProxy drops these; HaRP passes client values through.
			for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"} {
				if v := pr.In.Header.Values(h); len(v) > 0 {
					out.Header[http.CanonicalHeaderKey(h)] = v
				}
			}
			if setHeaders != nil {
				setHeaders(out.Header)
			}
		},
		Transport:     s.exapp.client.Transport,
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			if slices.Contains(protect, resp.StatusCode) {
				s.bans.fail(ip)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			s.log.Warn("harp: ExApp request failed", "error", err)
			plain(w, http.StatusServiceUnavailable)
		},
	}
	rp.ServeHTTP(w, r)
}

// harpFail answers HaRP's plain-text 403/404 and counts an IP failure.
func (s *Server) harpFail(w http.ResponseWriter, ip string, code int) {
	s.bans.fail(ip)
	plain(w, code)
}

// plain writes HaRP's text answers, e.g. "403 Forbidden".
func plain(w http.ResponseWriter, code int) {
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, "%d %s", code, http.StatusText(code))
}

// drop closes the connection without an answer (HaRP's silent drop).
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	plain(w, http.StatusNotFound)
}
