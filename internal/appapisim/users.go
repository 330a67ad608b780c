package appapisim

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"sync"
)

// user is a demo Nextcloud account.
type user struct {
	ID          string
	DisplayName string
	Password    string
	Groups      []string
}

func (u *user) isAdmin() bool {
	for _, g := range u.Groups {
		if g == "admin" {
			return true
		}
	}
	return false
}

// sessionCookie names the simulator's login cookie (Nextcloud's own is
// instance-specific; nc_session_id is one of the cookies it sets).
const sessionCookie = "nc_session_id"

// errBadCredentials means Basic credentials were sent and are wrong.
var errBadCredentials = errors.New("wrong user name or password")

// accounts holds the demo users and login sessions.
type accounts struct {
	users map[string]*user

	mu       sync.Mutex
	sessions map[string]string // session id → user id
}

func newAccounts() *accounts {
	return &accounts{
		users: map[string]*user{
			"admin": {ID: "admin", DisplayName: "admin", Password: "admin", Groups: []string{"admin"}},
			"alice": {ID: "alice", DisplayName: "Alice", Password: "alice", Groups: []string{"users"}},
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
