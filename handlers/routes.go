package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// Access is an AppAPI route access level (appinfo/info.xml <access_level>).
type Access string

const (
	Public Access = "PUBLIC"
	User   Access = "USER"
	Admin  Access = "ADMIN"
)

// Route is one served API route. The table returned by Routes is the single
// source of truth: the gin router is built from it, a test checks
// appinfo/info.xml against it, and the OpenAPI document is generated from it.
type Route struct {
	// Name is stable: cache statistics, logs and metrics use it.
	Name   string
	Method string
	// Path in gin syntax (":id" parameters).
	Path   string
	Access Access
	// Integration routes additionally need an integration credential with
	// Scope (contract.md §2).
	Integration bool
	Scope       string
	// Cached routes send X-Cache, Cache-Status and Age.
	Cached  bool
	Summary string

	handler func(*Server) gin.HandlerFunc
}

// Routes returns the API route table (lifecycle endpoints excluded: AppAPI
// calls those directly and they need no <route>).
func Routes() []Route {
	return []Route{
		{Name: "ping", Method: http.MethodGet, Path: "/api/v1/admin/ping", Access: Admin, Summary: "Reachability of the ExApp through AppAPI", handler: (*Server).ping},
		{Name: "farm_schema", Method: http.MethodGet, Path: "/api/v1/admin/farms/schema", Access: Admin, Cached: true, Summary: "The farm form schema", handler: (*Server).farmSchema},
		{Name: "farm_list", Method: http.MethodGet, Path: "/api/v1/admin/farms", Access: Admin, Cached: true, Summary: "List farms", handler: (*Server).farmList},
		{Name: "farm_create", Method: http.MethodPost, Path: "/api/v1/admin/farms", Access: Admin, Summary: "Create a farm", handler: (*Server).farmCreate},
		{Name: "farm_detail", Method: http.MethodGet, Path: "/api/v1/admin/farms/:id", Access: Admin, Cached: true, Summary: "Read a farm", handler: (*Server).farmDetail},
		{Name: "farm_update", Method: http.MethodPut, Path: "/api/v1/admin/farms/:id", Access: Admin, Summary: "Update a farm", handler: (*Server).farmUpdate},
		{Name: "farm_delete", Method: http.MethodDelete, Path: "/api/v1/admin/farms/:id", Access: Admin, Summary: "Delete a farm", handler: (*Server).farmDelete},
		{Name: "cache_stats", Method: http.MethodGet, Path: "/api/v1/admin/cache", Access: Admin, Summary: "Cache statistics", handler: (*Server).cacheStats},
		{Name: "cache_flush", Method: http.MethodDelete, Path: "/api/v1/admin/cache", Access: Admin, Summary: "Flush the cache (all, or ?route=NAME)", handler: (*Server).cacheFlush},
		{Name: "cache_verify", Method: http.MethodPost, Path: "/api/v1/admin/cache/verify", Access: Admin, Summary: "Compare cached entries with fresh upstream reads", handler: (*Server).cacheVerify},
		{Name: "diagnostics", Method: http.MethodGet, Path: "/api/v1/admin/diagnostics", Access: Admin, Summary: "One row per layer with state and evidence", handler: (*Server).diagnostics},
		{Name: "credential_list", Method: http.MethodGet, Path: "/api/v1/admin/credentials", Access: Admin, Summary: "List integration credentials", handler: (*Server).credentialList},
		{Name: "credential_create", Method: http.MethodPost, Path: "/api/v1/admin/credentials", Access: Admin, Summary: "Create an API key or integration token (secret shown once)", handler: (*Server).credentialCreate},
		{Name: "credential_revoke", Method: http.MethodDelete, Path: "/api/v1/admin/credentials/:id", Access: Admin, Summary: "Revoke a credential", handler: (*Server).credentialRevoke},
		{Name: "farm_state", Method: http.MethodGet, Path: "/api/v1/farms/:id/state", Access: Public, Integration: true, Scope: "farms:state:read", Cached: true, Summary: "NDVI state of a farm", handler: (*Server).farmStateGet},
		{Name: "farm_state_put", Method: http.MethodPut, Path: "/api/v1/farms/:id/state", Access: Public, Integration: true, Scope: "farms:state:write", Summary: "Replace the NDVI state of a farm", handler: (*Server).farmStatePut},
		{Name: "observation_list", Method: http.MethodGet, Path: "/api/v1/observations", Access: Public, Integration: true, Scope: "observations:read", Cached: true, Summary: "Weather observations", handler: (*Server).observationList},
		{Name: "observation_create", Method: http.MethodPost, Path: "/api/v1/observations", Access: Public, Integration: true, Scope: "observations:write", Summary: "Submit observations", handler: (*Server).observationCreate},
		{Name: "openapi", Method: http.MethodGet, Path: "/api/v1/openapi.json", Access: Public, Summary: "OpenAPI 3.1 document", handler: (*Server).openapi},
		{Name: "static_js", Method: http.MethodGet, Path: "/js/*file", Access: User, Summary: "Admin UI scripts", handler: (*Server).static},
		{Name: "static_css", Method: http.MethodGet, Path: "/css/*file", Access: User, Summary: "Admin UI styles", handler: (*Server).static},
		{Name: "static_img", Method: http.MethodGet, Path: "/img/*file", Access: User, Summary: "Admin UI images", handler: (*Server).static},
		{Name: "static_l10n", Method: http.MethodGet, Path: "/l10n/*file", Access: User, Summary: "Admin UI translations", handler: (*Server).static},
	}
}
