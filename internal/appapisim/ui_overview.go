package appapisim

import (
	"fmt"
	"html"
	"net/http"
	"strings"
	"time"
)

// handleOverview is Administration settings → Overview: the "Security &
// setup warnings" panel with AppAPI's two checks, "External Apps (Errors)"
// and "External Apps (Warnings)" (app_api lib/SetupChecks/ExAppsErrorSetupCheck.php,
// ExAppsWarningSetupCheck.php). Like AbstractExAppsSetupCheck::run it only
// reads the stored results and queues one background refresh, so a slow
// ExApp never slows the page. Below it the simulator shows what the ExApp
// reported (every status) and the rules it broke, and the admin's
// notifications.
func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) {
	u, ok := s.pageUser(w, r)
	if !ok {
		return
	}
	if !u.isAdmin() {
		errorPage(w, http.StatusForbidden, "Access forbidden", "You are not allowed to access this page.")
		return
	}
	s.queueSetupRefresh()
	var a AppState
	s.st.view(func(st *AppState) {
		a = AppState{Enabled: st.Enabled, SetupChecks: st.SetupChecks}
	})
	sc := a.SetupChecks
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(`<h2>Overview</h2><section id="security-warning"><h3>Security &amp; setup warnings</h3>`)
	b.WriteString(`<p>It is important for the security and performance of your instance that everything is configured correctly.</p>`)
	var errs, warns []SetupIssue
	if sc.OptedIn && a.Enabled {
		for _, is := range sc.Issues {
			if is.Severity == "error" {
				errs = append(errs, is)
			} else {
				warns = append(warns, is)
			}
		}
	}
	if len(errs)+len(warns) == 0 {
		b.WriteString(`<p class="setup-check success" data-check="all">All checks passed.</p>`)
	}
	for _, grp := range []struct {
		name, sev string
		issues    []SetupIssue
	}{{"External Apps (Errors)", "error", errs}, {"External Apps (Warnings)", "warning", warns}} {
		if len(grp.issues) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<div class="setup-check %s" data-check=%q><h4>%s</h4><ul>`, grp.sev, grp.sev, esc(grp.name))
		for _, is := range grp.issues {
			fmt.Fprintf(&b, "<li>%s: %s", esc(is.AppName), esc(strings.NewReplacer("{", "", "}", "").Replace(is.Text)))
			if is.LinkURL != "" {
				label := is.LinkLabel
				if label == "" {
					label = is.LinkURL
				}
				fmt.Fprintf(&b, ` <a href="%s">%s</a>`, esc(is.LinkURL), esc(label))
			}
			b.WriteString("</li>")
		}
		b.WriteString("</ul></div>")
	}
	b.WriteString("</section>")
	fmt.Fprintf(&b, `<section id="sim-setup-checks"><h3>Simulator: what %s reported</h3>`, esc(s.info.ID))
	switch {
	case !sc.OptedIn:
		b.WriteString("<p>The ExApp has not opted in to setup checks (POST /ocs/v1.php/apps/app_api/api/v1/setup_check).</p>")
	case sc.UpdatedAt.IsZero():
		b.WriteString("<p>Not fetched yet; a refresh was queued. Reload in a moment.</p>")
	default:
		fmt.Fprintf(&b, "<p>Last fetched %s (took %d ms, %d refreshes). A refresh was queued.</p>", esc(sc.UpdatedAt.UTC().Format(time.RFC3339)), sc.Took, sc.Refreshes)
		b.WriteString("<table><tr><th>check</th><th>status</th><th>text</th><th>link</th></tr>")
		for _, c := range sc.Reported {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>", esc(c.ID), esc(c.Status), esc(c.Text), esc(c.LinkURL))
		}
		b.WriteString("</table>")
		for _, v := range sc.Violations {
			fmt.Fprintf(&b, `<p class="violation">Protocol: %s</p>`, esc(v))
		}
	}
	b.WriteString("</section>")
	b.WriteString(s.renderNotifications(u.ID))
	simplePage(w, http.StatusOK, "Overview", b.String())
}

// renderNotifications lists user's notifications, newest first.
func (s *Server) renderNotifications(user string) string {
	esc := html.EscapeString
	var b strings.Builder
	b.WriteString(`<section id="sim-notifications"><h3>Notifications</h3>`)
	ns := s.notificationsFor(user)
	if len(ns) == 0 {
		b.WriteString("<p>No notifications.</p></section>")
		return b.String()
	}
	b.WriteString("<ul>")
	for _, n := range ns {
		subject := n.Subject
		if !n.Shown {
			subject = "(not shown by Nextcloud: no rich subject)"
		}
		fmt.Fprintf(&b, "<li><b>%s</b> <small>%s · %s</small>", esc(subject), esc(n.App), esc(n.Time.Format(time.RFC3339)))
		if n.Message != "" {
			fmt.Fprintf(&b, "<br>%s", esc(n.Message))
		}
		if n.Link != "" {
			fmt.Fprintf(&b, ` <a href="%s">open</a>`, esc(n.Link))
		}
		b.WriteString("</li>")
	}
	b.WriteString("</ul></section>")
	return b.String()
}
