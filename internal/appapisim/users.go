package appapisim

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// user is a demo Nextcloud account. Its groups change at run time (the
// /sim/groups control endpoints stand in for an admin editing group
// membership), so they are read through groups().
type user struct {
	ID          string
	DisplayName string
	Password    string
	grp         atomic.Pointer[[]string]
}

func newUser(id, display, password string, groups ...string) *user {
	u := &user{ID: id, DisplayName: display, Password: password}
	u.grp.Store(&groups)
	return u
}

// groups returns the user's group ids (a snapshot; never modified).
func (u *user) groups() []string { return *u.grp.Load() }

func (u *user) inGroup(g string) bool { return slices.Contains(u.groups(), g) }

// isAdmin is IGroupManager::isAdmin: membership of "admin".
func (u *user) isAdmin() bool { return u.inGroup(adminGroup) }

// adminGroup is Nextcloud's administrators group.
const adminGroup = "admin"

// sessionCookie names the simulator's login cookie (Nextcloud's own is
// instance-specific; nc_session_id is one of the cookies it sets).
const sessionCookie = "nc_session_id"

// errBadCredentials means Basic credentials were sent and are wrong.
var errBadCredentials = errors.New("wrong user name or password")

// accounts holds the demo users and login sessions.
type accounts struct {
	users map[string]*user // fixed set; group membership changes in place (user.grp)

	mu       sync.Mutex        // guards sessions and group edits
	sessions map[string]string // session id → user id
}

func newAccounts() *accounts {
	return &accounts{
		users: map[string]*user{
			"admin": newUser("admin", "admin", "admin", adminGroup),
			"alice": newUser("alice", "Alice", "alice", "users"),
		},
		sessions: map[string]string{},
	}
}

// ids returns the sorted user ids (what /api/v1/users lists).
func (a *accounts) ids() []string {
	out := make([]string, 0, len(a.users))
	for id := range a.users {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func (a *accounts) get(id string) *user { return a.users[id] }

// login starts a session for id and returns its cookie value.
func (a *accounts) login(id string) string {
	sid := randomString(32, secretChars[:62])
	a.mu.Lock()
	a.sessions[sid] = id
	a.mu.Unlock()
	return sid
}

func (a *accounts) logout(sid string) {
	a.mu.Lock()
	delete(a.sessions, sid)
	a.mu.Unlock()
}

// requestUser returns the logged-in user of a browser/client request: HTTP
// Basic first (validated; wrong credentials → errBadCredentials), then the
// session cookie. nil, nil means anonymous.
func (a *accounts) requestUser(r *http.Request) (*user, error) {
	if name, pass, ok := r.BasicAuth(); ok {
		u := a.users[name]
		if u == nil || subtle.ConstantTimeCompare([]byte(pass), []byte(u.Password)) != 1 {
			return nil, errBadCredentials
		}
		return u, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	a.mu.Lock()
	id := a.sessions[c.Value]
	a.mu.Unlock()
	return a.users[id], nil
}

// levelOf maps a user to the route access level it satisfies.
func levelOf(u *user) int {
	switch {
	case u == nil:
		return AccessPublic
	case u.isAdmin():
		return AccessAdmin
	default:
		return AccessUser
	}
}

func userID(u *user) string {
	if u == nil {
		return ""
	}
	return u.ID
}

// safeRedirect keeps redirects on this origin.
func safeRedirect(target string) string {
	u, err := url.Parse(target)
	if target == "" || err != nil || u.IsAbs() || u.Host != "" || len(target) > 1 && target[0] == '/' && target[1] == '/' {
		return "/"
	}
	return target
}

// setMember adds (in=true) or removes user id from group g and reports
// whether the user exists. Group ids are free-form, like Nextcloud's.
func (a *accounts) setMember(id, g string, in bool) bool {
	u := a.users[id]
	if u == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := u.groups()
	next := make([]string, 0, len(cur)+1)
	for _, x := range cur {
		if x != g {
			next = append(next, x)
		}
	}
	if in {
		next = append(next, g)
	}
	u.grp.Store(&next)
	return true
}

// members returns the sorted ids of group g's members.
func (a *accounts) members(g string) []string {
	var out []string
	for _, id := range a.ids() {
		if a.users[id].inGroup(g) {
			out = append(out, id)
		}
	}
	return out
}

// groupIDs returns every group some user is in, sorted.
func (a *accounts) groupIDs() []string {
	set := map[string]bool{}
	for _, u := range a.users {
		for _, g := range u.groups() {
			set[g] = true
		}
	}
	out := make([]string, 0, len(set))
	for g := range set {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}
