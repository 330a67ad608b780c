package resources

import (
	"net/http"
	"strings"

	"github.com/weather-apis/weather_apis/internal/shape"
)

// readSpec is a cached read route: which upstream path it reads, which query
// parameters it passes on (and keys on), and its shape check.
type readSpec struct {
	path     string // upstream path; "{id}" is replaced by Params.ID
	query    []string
	validate shape.Validator
}

// writeSpec is a write route and what it invalidates once it has run.
type writeSpec struct {
	method   string
	path     string
	validate shape.Validator // nil: no body expected (DELETE)
	// invalidate lists read routes to invalidate: "route" flushes the whole
	// route, "route/{id}" the one entry of that id.
	invalidate []string
}

// The contract's DRF paths (contract.md §5).
var reads = map[string]readSpec{
	"farm_schema":      {path: "/api/v1/admin/farms/schema", validate: shape.FarmSchema},
	"farm_list":        {path: "/api/v1/farms/", query: []string{"page", "search", "ordering"}, validate: shape.FarmList},
	"farm_detail":      {path: "/api/v1/farms/{id}/", validate: shape.Farm},
	"farm_state":       {path: "/api/v1/farms/{id}/state", validate: shape.FarmState},
	"observation_list": {path: "/api/v1/observations/", query: []string{"page", "farm", "since"}, validate: shape.ObservationList},
}

var writes = map[string]writeSpec{
	"farm_create":        {method: http.MethodPost, path: "/api/v1/farms/", validate: shape.Farm, invalidate: []string{"farm_list"}},
	"farm_update":        {method: http.MethodPut, path: "/api/v1/farms/{id}/", validate: shape.Farm, invalidate: []string{"farm_detail/{id}", "farm_list"}},
	"farm_delete":        {method: http.MethodDelete, path: "/api/v1/farms/{id}/", invalidate: []string{"farm_detail/{id}", "farm_state/{id}", "farm_list"}},
	"farm_state_put":     {method: http.MethodPut, path: "/api/v1/farms/{id}/state", validate: shape.FarmState, invalidate: []string{"farm_state/{id}"}},
	"observation_create": {method: http.MethodPost, path: "/api/v1/observations/", invalidate: []string{"observation_list"}},
}

// ReadRoutes lists the cached routes (for flush validation and reports).
func ReadRoutes() []string {
	out := make([]string, 0, len(reads))
	for _, r := range []string{"farm_schema", "farm_list", "farm_detail", "farm_state", "observation_list"} {
		if _, ok := reads[r]; ok {
			out = append(out, r)
		}
	}
	return out
}

func expand(path, id string) string { return strings.ReplaceAll(path, "{id}", id) }
