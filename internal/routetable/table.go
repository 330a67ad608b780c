// Package routetable is weather_apis' one declarative table of API routes.
// Each row says, for one route: its name, method and path, the AppAPI access
// level, the integration scope, and for the routes backed by the DRF backend
// the upstream method and path, the id and query parameters it accepts, how
// it is cached, what its answer must be (the generic rules of
// internal/jsonshape: an object or a page) and what a write invalidates.
//
// The router (handlers), the check of appinfo/info.xml, the OpenAPI
// document, the cache policies, the flush list, occ and the admin UI's route
// names are all read from it: no route name or upstream path is spelled
// anywhere else. The upstream paths are the defaults of README.md
// "Upstream"; nothing here describes the members of an upstream answer.
package routetable

import (
	"net/http"
	"strings"

	"github.com/weather-apis/weather_apis/internal/jsonshape"
)

// Access is an AppAPI route access level (appinfo/info.xml <access_level>).
type Access string

// The AppAPI access levels.
const (
	Public Access = "PUBLIC"
	User   Access = "USER"
	Admin  Access = "ADMIN"
)

// Kind says who answers a route.
type Kind int

const (
	// Local routes are answered by weather_apis itself.
	Local Kind = iota
	// Read routes relay an upstream read through the cache.
	Read
	// Write routes relay an upstream write and invalidate what it changes.
	Write
)

// ParamType is what a query or path parameter must be before anything goes
// upstream.
type ParamType int

const (
	// Text is any string of at most MaxParamLen bytes.
	Text ParamType = iota
	// PositiveInt is a decimal integer 1..MaxID; it is sent in canonical
	// form (no sign, no leading zeros), so "007" and "7" are one request.
	PositiveInt
	// Timestamp is an ISO 8601 date or date-time (as DRF's DateTimeField
	// parses it), at most MaxParamLen bytes.
	Timestamp
)

// Limits of parameters.
const (
	MaxParamLen = 256
	MaxID       = 1<<53 - 1 // the largest integer a JSON client keeps exact
)

// Param is one query parameter a route passes upstream (and keys on).
type Param struct {
	Name string
	Type ParamType
}

// Scope of an invalidation target.
type Scope int

const (
	// Whole: every entry of the route (its generation is bumped).
	Whole Scope = iota
	// ByID: the entry of the written id.
	ByID
	// Negatives: the cached NOT_FOUND answers of the route (a create makes
	// an id exist that was cached as missing).
	Negatives
)

// Target is what a write invalidates once it has run.
type Target struct {
	Route string
	Scope Scope
}

// Upstream is the DRF request behind a Read or Write route.
type Upstream struct {
	Method string
	// Path with "{id}" where the route's id goes.
	Path string
	// ID is the type of the route's ":id"; PositiveInt for DRF's default
	// integer primary keys.
	ID ParamType
	// Query lists the parameters passed on; any other is a 400.
	Query []Param
}

// Route is one row of the table.
type Route struct {
	Name   string
	Method string
	// Path in gin syntax (":id", "*file").
	Path   string
	Access Access
	// Scope is the integration scope the route needs; "" = no integration
	// credential (AppAPI's own checks only).
	Scope   string
	Summary string
	Kind    Kind
	// Upstream is set for Read and Write routes.
	Upstream Upstream
	// Cached read routes send X-Cache, Cache-Status and Age.
	Cached bool
	// NegativeCache: an upstream 404 of this read route is cached.
	NegativeCache bool
	// Answer is what a 2xx upstream answer of a read route must be.
	Answer jsonshape.Rules
	// Invalidates lists what a write invalidates.
	Invalidates []Target
}

// Integration reports whether the route needs an integration credential.
func (r Route) Integration() bool { return r.Scope != "" }

// HasID reports whether the route's path carries an id.
func (r Route) HasID() bool { return strings.Contains(r.Path, ":id") }

// UpstreamPath is the upstream path for id.
func (r Route) UpstreamPath(id string) string { return strings.ReplaceAll(r.Upstream.Path, "{id}", id) }

// Pagination parameters of DRF's pagination classes (PageNumberPagination,
// LimitOffsetPagination, CursorPagination): every page route takes them, so
// that a rewritten next/previous link can always be followed.
var pagination = []Param{{"page", PositiveInt}, {"page_size", PositiveInt}, {"limit", PositiveInt}, {"offset", Text}, {"cursor", Text}}

func withPagination(ps ...Param) []Param { return append(append([]Param(nil), pagination...), ps...) }

var (
	objectAnswer = jsonshape.Rules{Kind: jsonshape.Object}
	pageAnswer   = jsonshape.Rules{Kind: jsonshape.Page}
)

// table is the route table; Routes returns a copy.
var table = []Route{
	{Name: "ping", Method: http.MethodGet, Path: "/api/v1/admin/ping", Access: Admin, Summary: "Reachability of the ExApp through AppAPI"},
	{Name: "farm_schema", Method: http.MethodGet, Path: "/api/v1/admin/farms/schema", Access: Admin, Kind: Read, Cached: true,
		Summary:  "The farm form schema",
		Upstream: Upstream{Method: http.MethodGet, Path: "/api/v1/admin/farms/schema"},
		Answer:   jsonshape.Rules{Kind: jsonshape.Object, RequireVersion: true}},
	{Name: "farm_metadata", Method: http.MethodGet, Path: "/api/v1/admin/farms/metadata", Access: Admin, Kind: Read, Cached: true,
		Summary:  "DRF's OPTIONS metadata of the farm list (the serializer's write contract)",
		Upstream: Upstream{Method: http.MethodOptions, Path: "/api/v1/farms/"},
		Answer:   objectAnswer},
	{Name: "farm_list", Method: http.MethodGet, Path: "/api/v1/admin/farms", Access: Admin, Kind: Read, Cached: true,
		Summary:  "List farms",
		Upstream: Upstream{Method: http.MethodGet, Path: "/api/v1/farms/", Query: withPagination(Param{"search", Text}, Param{"ordering", Text})},
		Answer:   pageAnswer},
	{Name: "farm_create", Method: http.MethodPost, Path: "/api/v1/admin/farms", Access: Admin, Kind: Write,
		Summary:     "Create a farm",
		Upstream:    Upstream{Method: http.MethodPost, Path: "/api/v1/farms/"},
		Invalidates: []Target{{"farm_list", Whole}, {"farm_detail", Negatives}, {"farm_state", Negatives}}},
	{Name: "farm_detail", Method: http.MethodGet, Path: "/api/v1/admin/farms/:id", Access: Admin, Kind: Read, Cached: true, NegativeCache: true,
		Summary:  "Read a farm",
		Upstream: Upstream{Method: http.MethodGet, Path: "/api/v1/farms/{id}/", ID: PositiveInt},
		Answer:   objectAnswer},
	{Name: "farm_update", Method: http.MethodPut, Path: "/api/v1/admin/farms/:id", Access: Admin, Kind: Write,
		Summary:     "Update a farm",
		Upstream:    Upstream{Method: http.MethodPut, Path: "/api/v1/farms/{id}/", ID: PositiveInt},
		Invalidates: []Target{{"farm_detail", ByID}, {"farm_list", Whole}}},
	{Name: "farm_delete", Method: http.MethodDelete, Path: "/api/v1/admin/farms/:id", Access: Admin, Kind: Write,
		Summary:  "Delete a farm (DRF deletes its NDVI state and observations with it)",
		Upstream: Upstream{Method: http.MethodDelete, Path: "/api/v1/farms/{id}/", ID: PositiveInt},
		// DRF deletes in cascade (on_delete=CASCADE): the farm's state and
		// observations go with it.
		Invalidates: []Target{{"farm_detail", ByID}, {"farm_state", ByID}, {"farm_list", Whole}, {"observation_list", Whole}}},
	{Name: "cache_stats", Method: http.MethodGet, Path: "/api/v1/admin/cache", Access: Admin, Summary: "Cache statistics"},
	{Name: "cache_flush", Method: http.MethodDelete, Path: "/api/v1/admin/cache", Access: Admin, Summary: "Flush the cache (all, or ?route=NAME)"},
	{Name: "cache_verify", Method: http.MethodPost, Path: "/api/v1/admin/cache/verify", Access: Admin, Summary: "Compare cached entries with fresh upstream reads"},
	{Name: "diagnostics", Method: http.MethodGet, Path: "/api/v1/admin/diagnostics", Access: Admin, Summary: "One row per layer with state and evidence"},
	{Name: "credential_list", Method: http.MethodGet, Path: "/api/v1/admin/credentials", Access: Admin, Summary: "List integration credentials"},
	{Name: "credential_create", Method: http.MethodPost, Path: "/api/v1/admin/credentials", Access: Admin, Summary: "Create an API key or integration token (secret shown once)"},
	{Name: "credential_revoke", Method: http.MethodDelete, Path: "/api/v1/admin/credentials/:id", Access: Admin, Summary: "Revoke a credential"},
	{Name: "farm_state", Method: http.MethodGet, Path: "/api/v1/farms/:id/state", Access: Public, Scope: "farms:state:read", Kind: Read, Cached: true, NegativeCache: true,
		Summary:  "NDVI state of a farm",
		Upstream: Upstream{Method: http.MethodGet, Path: "/api/v1/farms/{id}/state", ID: PositiveInt},
		Answer:   objectAnswer},
	{Name: "farm_state_put", Method: http.MethodPut, Path: "/api/v1/farms/:id/state", Access: Public, Scope: "farms:state:write", Kind: Write,
		Summary:     "Replace the NDVI state of a farm",
		Upstream:    Upstream{Method: http.MethodPut, Path: "/api/v1/farms/{id}/state", ID: PositiveInt},
		Invalidates: []Target{{"farm_state", ByID}}},
	{Name: "observation_list", Method: http.MethodGet, Path: "/api/v1/observations", Access: Public, Scope: "observations:read", Kind: Read, Cached: true,
		Summary:  "Weather observations",
		Upstream: Upstream{Method: http.MethodGet, Path: "/api/v1/observations/", Query: withPagination(Param{"farm", PositiveInt}, Param{"since", Timestamp})},
		Answer:   pageAnswer},
	{Name: "observation_create", Method: http.MethodPost, Path: "/api/v1/observations", Access: Public, Scope: "observations:write", Kind: Write,
		Summary:     "Submit observations",
		Upstream:    Upstream{Method: http.MethodPost, Path: "/api/v1/observations/"},
		Invalidates: []Target{{"observation_list", Whole}}},
	{Name: "openapi", Method: http.MethodGet, Path: "/api/v1/openapi.json", Access: Public, Summary: "OpenAPI 3.1 document"},
	{Name: "static_js", Method: http.MethodGet, Path: "/js/*file", Access: User, Summary: "Admin UI scripts"},
	{Name: "static_css", Method: http.MethodGet, Path: "/css/*file", Access: User, Summary: "Admin UI styles"},
	{Name: "static_img", Method: http.MethodGet, Path: "/img/*file", Access: User, Summary: "Admin UI images"},
	{Name: "static_l10n", Method: http.MethodGet, Path: "/l10n/*file", Access: User, Summary: "Admin UI translations"},
}

// Routes returns the table in order (a copy).
func Routes() []Route {
	out := make([]Route, len(table))
	copy(out, table)
	return out
}

// byName indexes the table.
var byName = func() map[string]Route {
	m := make(map[string]Route, len(table))
	for _, r := range table {
		m[r.Name] = r
	}
	return m
}()

// Lookup returns the route called name.
func Lookup(name string) (Route, bool) {
	r, ok := byName[name]
	return r, ok
}

// CachedReads returns the names of the cached read routes in table order:
// the routes a flush may name.
func CachedReads() []string {
	var out []string
	for _, r := range table {
		if r.Kind == Read && r.Cached {
			out = append(out, r.Name)
		}
	}
	return out
}
