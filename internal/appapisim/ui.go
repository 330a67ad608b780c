package appapisim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
)

// maxPageScripts is ScriptsService::MAX_JS_FILES.
const maxPageScripts = 10

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	redirect := safeRedirect(r.URL.Query().Get("redirect"))
	id := r.URL.Query().Get("user")
	if s.accounts.get(id) == nil {
		var b strings.Builder
		b.WriteString("<h2>Log in</h2><p>Demo users (password = user name):</p><ul>")
		for _, uid := range s.accounts.ids() {
			fmt.Fprintf(&b, `<li><a href="/login?user=%s&amp;redirect=%s">Log in as %s</a></li>`,
				url.QueryEscape(uid), url.QueryEscape(redirect), html.EscapeString(uid))
		}
		b.WriteString("</ul>")
		simplePage(w, http.StatusOK, "Login", b.String())
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.accounts.login(id), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.accounts.logout(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, safeRedirect(r.URL.Query().Get("redirect")), http.StatusSeeOther)
}

// handleIndex shows links for humans.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	u, _ := s.accounts.requestUser(r)
	a := s.st.snapshot()
	var b strings.Builder
	fmt.Fprintf(&b, "<h2>AppAPI simulator</h2><p>ExApp <b>%s</b> (%s) version %s: registered=%v enabled=%v init=%d error=%q</p>",
		html.EscapeString(s.info.ID), html.EscapeString(s.info.Name), html.EscapeString(a.Version), a.Registered, a.Enabled, a.Status.Init, a.Status.Error)
	if u != nil {
		fmt.Fprintf(&b, `<p>Logged in as <b>%s</b> · <a href="/logout">log out</a></p>`, html.EscapeString(u.ID))
	} else {
		b.WriteString(`<p>Anonymous · <a href="/login?user=admin">log in as admin</a> · <a href="/login?user=alice">log in as alice</a></p>`)
	}
	b.WriteString("<h3>Pages</h3><ul>")
	for _, m := range a.TopMenus {
		href := "/index.php/apps/app_api/embedded/" + url.PathEscape(s.info.ID) + "/" + url.PathEscape(m.Name)
		fmt.Fprintf(&b, `<li><a href="%s">%s</a> (<a href="%s?theme=dark">dark</a>)%s</li>`, href, html.EscapeString(m.DisplayName), href, adminMark(m))
	}
	if u != nil && u.isAdmin() {
		b.WriteString(`<li><a href="/index.php/settings/admin/overview">Administration settings: Overview (Security &amp; setup warnings)</a></li>`)
	}
	b.WriteString(`</ul><h3>Simulator</h3><ul><li><a href="/sim/state">/sim/state</a></li><li><a href="/sim/app">/sim/app</a></li><li><a href="/sim/calls">/sim/calls</a></li><li><a href="/sim/groups">/sim/groups</a></li><li><a href="/sim/notifications">/sim/notifications</a></li><li><a href="/sim/setup-checks">/sim/setup-checks</a></li></ul>`)
	if u != nil {
		b.WriteString(s.renderNotifications(u.ID))
	}
	simplePage(w, http.StatusOK, "AppAPI simulator", b.String())
}

func adminMark(m TopMenu) string {
	if m.AdminRequired != 0 {
		return " — admin only"
	}
	return ""
}

// pageUser is a Nextcloud page's login check: the signed-in user, else
// 401 for bad credentials or a redirect to /login (ok false: answered).
func (s *Server) pageUser(w http.ResponseWriter, r *http.Request) (*user, bool) {
	u, err := s.accounts.requestUser(r)
	if err != nil {
		unauthorized(w)
		return nil, false
	}
	if u == nil {
		http.Redirect(w, r, "/login?redirect="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil, false
	}
	return u, true
}

// handleEmbedded is TopMenuController::viewExAppPage inside NC's user layout.
func (s *Server) handleEmbedded(w http.ResponseWriter, r *http.Request) {
	u, ok := s.pageUser(w, r)
	if !ok {
		return
	}
	appID, name := r.PathValue("appid"), r.PathValue("name")
	a := s.st.snapshot()
	var entry *TopMenu
	for i := range a.TopMenus {
		if a.TopMenus[i].Name == name {
			entry = &a.TopMenus[i]
		}
	}
	if appID != s.info.ID || !a.Registered || !a.Enabled || entry == nil || entry.AdminRequired != 0 && !u.isAdmin() {
		notFoundPage(w)
		return
	}
	var scripts []Script
	var styles []Style
	for _, sc := range a.Scripts {
		if sc.Type == "top_menu" && sc.Name == name {
			scripts = append(scripts, sc)
		}
	}
	if len(scripts) > maxPageScripts {
		errorPage(w, http.StatusInternalServerError, "Internal Server Error", fmt.Sprintf("More than%dJS files on one page are not supported.", maxPageScripts))
		return
	}
	for _, st := range a.Styles {
		if st.Type == "top_menu" && st.Name == name {
			styles = append(styles, st)
		}
	}
	theme := "light"
	if t := r.URL.Query().Get("theme"); t == "dark" || t == "light" {
		theme = t
		http.SetCookie(w, &http.Cookie{Name: "sim_theme", Value: t, Path: "/"})
	} else if c, err := r.Cookie("sim_theme"); err == nil && c.Value == "dark" {
		theme = "dark"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache, no-store, must-revalidate")
	w.Header().Set("Content-Security-Policy", "default-src 'none';base-uri 'none';manifest-src 'self';script-src 'self' 'unsafe-eval' 'unsafe-inline';style-src 'self' 'unsafe-inline';img-src 'self' data: blob:;font-src 'self' data:;connect-src 'self';media-src 'self';frame-src 'self';frame-ancestors 'self';form-action 'self'")
	_, _ = w.Write([]byte(s.renderEmbedded(u, a, *entry, scripts, styles, theme)))
}

// renderEmbedded builds the page; initial states are provided through
// app_api's IInitialState, so their ids are initial-state-app_api-<key> and
// the value is the stored JSON text JSON-encoded again (loadState returns a
// string the ExApp's JS must JSON.parse, as nextcloud/ui_example does).
func (s *Server) renderEmbedded(u *user, a AppState, entry TopMenu, scripts []Script, styles []Style, theme string) string {
	esc := html.EscapeString
	nonce := cspNonce()
	token := randomString(88, secretChars)
	proxy := "/index.php/apps/app_api/proxy/" + s.info.ID + "/"
	ver := "?v=" + url.QueryEscape(a.Version)
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html class=\"ng-csp\" data-placeholder-focus=\"false\" lang=\"en\" data-locale=\"en\" translate=\"no\">\n")
	fmt.Fprintf(&b, "<head data-user=\"%s\" data-user-displayname=\"%s\" data-requesttoken=\"%s\">\n", esc(u.ID), esc(u.DisplayName), token)
	fmt.Fprintf(&b, "<meta charset=\"utf-8\">\n<title>%s - Nextcloud</title>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0, minimum-scale=1.0\">\n", esc(entry.DisplayName))
	fmt.Fprintf(&b, "<meta name=\"theme-color\" content=\"#00679e\">\n<style nonce=\"%s\">%s</style>\n", nonce, themeCSS)
	cfg, _ := json.Marshal(map[string]any{"modRewriteWorking": false, "version": "32.0.0.0", "versionstring": "32.0.0",
		"session_lifetime": 86400, "session_keepalive": true, "enable_non-accessible_features": true, "sharing.maxAutocompleteResults": 25,
		"blacklist_files_regex": "\\.(part|filepart)$", "forbidden_filename_characters": []string{}, "loglevel": s.cfg.LogLevel})
	caps, _ := json.Marshal(map[string]any{"app_api": map[string]any{"loglevel": s.cfg.LogLevel, "version": s.cfg.AAVersion}})
	fmt.Fprintf(&b, `<script nonce="%s">
window._oc_webroot = '';
window._oc_appswebroots = {"app_api":"/apps/app_api","core":"/core"};
window._oc_capabilities = %s;
window.oc_current_user = %q;
window.oc_requesttoken = %q;
window.oc_isadmin = %v;
window.oc_config = %s;
window.OC = Object.assign(window.OC || {}, {
  webroot: '', appswebroots: window._oc_appswebroots, config: window.oc_config, coreApps: ['core', ''],
  currentUser: %q, requestToken: %q, theme: {name: 'Nextcloud', productName: 'Nextcloud'},
  isUserAdmin: function () { return %v; },
  getCurrentUser: function () { return {uid: %q, displayName: %q}; },
  getLocale: function () { return 'en'; }, getLanguage: function () { return 'en'; },
  generateUrl: function (p) { return '/index.php' + p; }, linkTo: function (app, file) { return '/apps/' + app + '/' + file; }
});
</script>
`, nonce, caps, u.ID, token, u.isAdmin(), cfg, u.ID, token, u.isAdmin(), u.ID, u.DisplayName)
	for _, st := range styles {
		fmt.Fprintf(&b, "<link rel=\"stylesheet\" href=\"%s%s.css%s\">\n", esc(proxy), esc(st.Path), esc(ver))
	}
	for _, sc := range scripts {
		fmt.Fprintf(&b, "<script nonce=\"%s\" defer src=\"%s%s.js%s\" type=\"module\"></script>\n", nonce, esc(proxy), esc(sc.Path), esc(ver))
	}
	b.WriteString("</head>\n")
	fmt.Fprintf(&b, "<body id=\"body-user\" data-themes=\"%s\" class=\"theme--%s\">\n", theme, theme)
	for _, is := range a.InitialStates {
		if is.Type == "top_menu" && is.Name == entry.Name {
			encoded, _ := json.Marshal(string(is.Value))
			fmt.Fprintf(&b, "<input type=\"hidden\" id=\"initial-state-app_api-%s\" value=\"%s\">\n", esc(is.Key), base64.StdEncoding.EncodeToString(encoded))
		}
	}
	b.WriteString(s.renderHeader(u, a, entry))
	fmt.Fprintf(&b, "<div id=\"content\" class=\"app-app_api\">\n<h1 class=\"hidden-visually\" id=\"page-heading-level-1\">%s</h1>\n<div id=\"content\"></div>\n</div>\n</body>\n</html>\n", esc(entry.DisplayName))
	return b.String()
}

// renderHeader draws NC's blue header: logo, app menu, user menu.
func (s *Server) renderHeader(u *user, a AppState, active TopMenu) string {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString("<div id=\"skip-actions\"></div>\n<header id=\"header\" class=\"header\">\n<div class=\"header-start\"><a href=\"/\" class=\"logo\" aria-label=\"Nextcloud\">Nextcloud</a>\n<nav id=\"header-start__appmenu\" class=\"app-menu\" aria-label=\"Applications menu\" style=\"display:flex;gap:4px\">\n")
	for _, m := range a.TopMenus {
		if m.AdminRequired != 0 && !u.isAdmin() {
			continue
		}
		cls := "app-menu-entry"
		if m.Name == active.Name {
			cls += " active"
		}
		icon := "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><rect x="3" y="3" width="18" height="18" rx="4" fill="#000"/></svg>`))
		if m.Icon != "" {
			icon = "/index.php/apps/app_api/proxy/" + s.info.ID + "/" + m.Icon
		}
		fmt.Fprintf(&b, "<a class=\"%s\" href=\"/index.php/apps/app_api/embedded/%s/%s\"><img src=\"%s\" alt=\"\"><span>%s</span></a>\n",
			cls, esc(url.PathEscape(s.info.ID)), esc(url.PathEscape(m.Name)), esc(icon), esc(m.DisplayName))
	}
	initial := strings.ToUpper(u.DisplayName[:1])
	fmt.Fprintf(&b, "</nav></div>\n<div class=\"header-end\"><div id=\"unified-search\"></div><div id=\"notifications\"></div>\n<details id=\"user-menu\" class=\"user-menu\"><summary title=\"%s\">%s</summary><div class=\"user-menu__list\"><b>%s</b>\n", esc(u.DisplayName), esc(initial), esc(u.DisplayName))
	b.WriteString("<a href=\"/\">Simulator home</a><a href=\"?theme=light\">Light theme</a><a href=\"?theme=dark\">Dark theme</a><a href=\"/sim/state\">Simulator state</a><a href=\"/logout\">Log out</a></div></details></div>\n</header>\n")
	return b.String()
}
