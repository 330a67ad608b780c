package handlers

import (
	"fmt"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/routetable"
)

// Route is one served API route: a row of the route table
// (internal/routetable), which the router is built from, a test checks
// appinfo/info.xml against, and the OpenAPI document is generated from.
type Route = routetable.Route

// Access is an AppAPI route access level (appinfo/info.xml <access_level>).
type Access = routetable.Access

// The access levels.
const (
	Public = routetable.Public
	User   = routetable.User
	Admin  = routetable.Admin
)

// Routes returns the API route table (lifecycle endpoints excluded: AppAPI
// calls those directly and they need no <route>).
func Routes() []Route { return routetable.Routes() }

// local returns the handlers of the routes weather_apis answers itself, by
// route name.
func (s *Server) local() map[string]gin.HandlerFunc {
	return map[string]gin.HandlerFunc{
		"ping":              s.ping(),
		"cache_stats":       s.cacheStats(),
		"cache_flush":       s.cacheFlush(),
		"cache_verify":      s.cacheVerify(),
		"diagnostics":       s.diagnostics(),
		"credential_list":   s.credentialList(),
		"credential_create": s.credentialCreate(),
		"credential_revoke": s.credentialRevoke(),
		"openapi":           s.openapi(),
		"static_js":         s.static(),
		"static_css":        s.static(),
		"static_img":        s.static(),
		"static_l10n":       s.static(),
	}
}

// handlerFor returns the handler of r: the generic read or write handler
// for routes the DRF backend answers, else the route's local handler.
func (s *Server) handlerFor(r Route, local map[string]gin.HandlerFunc) (gin.HandlerFunc, error) {
	switch r.Kind {
	case routetable.Read:
		return s.read(r), nil
	case routetable.Write:
		return s.writeRoute(r, r.Upstream.Method != "DELETE"), nil
	}
	h, ok := local[r.Name]
	if !ok {
		return nil, fmt.Errorf("handlers: route %s has no handler", r.Name)
	}
	return h, nil
}
