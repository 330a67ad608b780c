// Package exapp is weather_apis' side of the AppAPI lifecycle: the /init
// work with progress reports, and what the app registers in Nextcloud on
// enable and removes on disable (occ commands, top-menu entry with its
// script, style and initial state, the admin settings form).
package exapp

import (
	"strings"

	"github.com/weather-apis/weather_apis/internal/nextcloud"
	"github.com/weather-apis/weather_apis/internal/routetable"
)

// Names registered in Nextcloud.
const (
	MenuName     = "weather_apis"
	MenuScript   = "js/weather_apis-main" // AppAPI appends ".js"
	MenuStyle    = "css/weather_apis-main"
	MenuIcon     = "img/app.svg"
	SettingsForm = "weather_apis_admin"
	StateKey     = "app"
)

// OccCommands are the occ commands weather_apis registers (README.md
// "Registering with a real Nextcloud"), each forwarded by AppAPI to
// POST /occ/<handler>; the route names come from the route table.
func OccCommands() []nextcloud.OccCommand {
	return []nextcloud.OccCommand{
		{Name: "weather_apis:cache:stats", Description: "Show cache statistics (hits, misses, stale, bypass, validation failures, upstream calls, token obtains)", ExecuteHandler: "/occ/cache/stats"},
		{Name: "weather_apis:cache:flush", Description: "Flush the cache (O(1) generation bump), all routes or one", ExecuteHandler: "/occ/cache/flush",
			Options: []nextcloud.OccOption{{Name: "route", Mode: "required", Description: "only this route: " + strings.Join(routetable.CachedReads(), ", ")}},
			Usages:  []string{"--route=" + routetable.CachedReads()[0]}},
		{Name: "weather_apis:cache:verify", Description: "Compare every cached entry with a fresh upstream read and report drift", ExecuteHandler: "/occ/cache/verify"},
		{Name: "weather_apis:doctor", Description: "Check every layer (AppAPI route, ExApp, Redis, upstream token, upstream, contract, cache, every cached route as a client reads it) and say which one is wrong", ExecuteHandler: "/occ/doctor"},
		{Name: "weather_apis:credentials:create", Description: "Create an API key or integration token (the secret is printed once)", ExecuteHandler: "/occ/credentials/create",
			Options: []nextcloud.OccOption{
				{Name: "name", Mode: "required", Description: "credential name"},
				{Name: "type", Mode: "required", Description: "api_key or integration_token", Default: "api_key"},
				{Name: "scopes", Mode: "required", Description: "comma-separated scopes"},
				{Name: "allow-cidr", Mode: "required", Description: "comma-separated CIDRs allowed to use it"},
				{Name: "expires", Mode: "required", Description: "lifetime, e.g. 720h"},
			},
			Usages: []string{"--name=ndvi --type=integration_token --scopes=farms:state:read,farms:state:write --expires=720h"}},
		{Name: "weather_apis:credentials:list", Description: "List API keys and integration tokens (never their secrets)", ExecuteHandler: "/occ/credentials/list"},
		{Name: "weather_apis:credentials:revoke", Description: "Revoke a credential at once on every replica", ExecuteHandler: "/occ/credentials/revoke",
			Arguments: []nextcloud.OccArgument{{Name: "id", Mode: "required", Description: "credential id"}}},
	}
}

// SettingsFormScheme is the admin declarative settings form. AppAPI stores
// the values as app config under the field ids.
func SettingsFormScheme() map[string]any {
	return map[string]any{
		"id":           SettingsForm,
		"priority":     10,
		"section_type": "admin",
		"section_id":   "declarative_settings",
		"title":        "Weather APIs",
		"description":  "Where weather_apis reads farms, NDVI state and observations. Values set here are used when the ExApp's environment leaves them at their defaults.",
		"fields": []map[string]any{
			{"id": "upstream_url", "title": "DRF backend URL", "type": "url", "default": "", "placeholder": "http://drf:8000", "description": "Base URL of the Django REST Framework backend"},
			{"id": "upstream_username", "title": "DRF service account", "type": "text", "default": "", "placeholder": "weather_svc"},
			{"id": "upstream_password", "title": "DRF service account password", "type": "password", "default": "", "sensitive": true},
		},
	}
}

// OccInput is AppAPI's execute-handler body for an occ command:
// {"occ":{"arguments":{…}|null,"options":{…}|null}}.
type OccInput struct {
	Arguments map[string]any `json:"arguments"`
	Options   map[string]any `json:"options"`
}
