package appapisim

import (
	"net/http"
)

// handleSimSeed marks the app registered, initialised and enabled without
// any lifecycle call to the ExApp, as a Nextcloud whose database already
// holds the registration would be: for tests that start an ExApp cold (no
// /init) but need its calls to Nextcloud (admin checks, logs) to
// authenticate. Unlike a real registration, a seeded one is replaced by
// register (so a harness may seed every stack). 409 when already registered.
func (s *Server) handleSimSeed(w http.ResponseWriter, _ *http.Request) {
	already := false
	s.st.update(func(a *AppState) {
		if a.Registered {
			already = true
			return
		}
		a.clearRegistrations()
		a.Registered, a.Enabled, a.Seeded, a.Version = true, true, true, s.info.Version
		a.Status = InitStatus{Deploy: 100, Init: 100}
	})
	if already {
		writeJSON(w, http.StatusConflict, map[string]string{"error": "already registered"})
		return
	}
	writeJSON(w, http.StatusOK, s.State())
}

// handleSimGroups is GET /sim/groups: group id → member ids.
func (s *Server) handleSimGroups(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Groups())
}

// Groups returns every group with its members.
func (s *Server) Groups() map[string][]string {
	out := map[string][]string{}
	for _, g := range s.accounts.groupIDs() {
		out[g] = s.accounts.members(g)
	}
	return out
}

// SetGroupMember adds (in) or removes user from group, as an admin does on
// Nextcloud's Users page; it reports whether the user exists. The change is
// visible at once to the OCS provisioning API, the proxy's access levels
// and the pages.
func (s *Server) SetGroupMember(user, group string, in bool) bool {
	return s.accounts.setMember(user, group, in)
}

// handleSimMember is PUT|DELETE /sim/groups/{group}/users/{user}.
func (s *Server) handleSimMember(in bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.SetGroupMember(r.PathValue("user"), r.PathValue("group"), in) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such user"})
			return
		}
		s.log.Info("group membership changed", "user", r.PathValue("user"), "group", r.PathValue("group"), "member", in)
		writeJSON(w, http.StatusOK, s.Groups())
	}
}

// handleSimNotifications is GET /sim/notifications[?user=ID], newest first.
func (s *Server) handleSimNotifications(w http.ResponseWriter, r *http.Request) {
	out := s.notificationsFor(r.URL.Query().Get("user"))
	if out == nil {
		out = []Notification{}
	}
	writeJSON(w, http.StatusOK, out)
}

// handleSimSetupChecks is GET /sim/setup-checks (the stored state) and
// POST /sim/setup-checks/refresh (run the background job now).
func (s *Server) handleSimSetupChecks(refresh bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if refresh {
			writeJSON(w, http.StatusOK, s.RefreshSetupChecks(r.Context()))
			return
		}
		writeJSON(w, http.StatusOK, s.setupState())
	}
}
