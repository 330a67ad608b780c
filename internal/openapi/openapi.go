// Package openapi generates weather_apis' OpenAPI 3.1 document from the
// route table (the same table that builds the router and is checked against
// appinfo/info.xml) and the credentials scope table, and validates
// request/response pairs against it in tests.
package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/weather-apis/weather_apis/internal/credentials"
)

// Route describes one API route (converted from handlers.Route).
type Route struct {
	Name        string // operationId
	Method      string
	Path        string // gin syntax: ":id" parameters; "*file" routes are skipped
	Access      string // PUBLIC, USER or ADMIN (AppAPI access level)
	Integration bool   // needs an integration credential with Scope
	Scope       string
	Cached      bool // sends X-Cache, Cache-Status and Age
	Summary     string
}

// Info is the document's info object.
type Info struct {
	Title       string
	Version     string
	Description string
}

// Security scheme names.
const (
	SchemeAPIKey    = "ApiKeyAuth"
	SchemeBearer    = "BearerAuth"
	SchemeNextcloud = "NextcloudAuth"
)

// Build returns the OpenAPI 3.1 JSON document. It fails for a route with an
// unknown scope or an integration route without one.
func Build(info Info, routes []Route) ([]byte, error) {
	paths := map[string]map[string]any{}
	for _, r := range routes {
		if strings.Contains(r.Path, "*") {
			continue // UI assets, not API
		}
		if r.Integration && !credentials.KnownScope(r.Scope) {
			return nil, fmt.Errorf("cannot build OpenAPI: route %s has unknown scope %q", r.Name, r.Scope)
		}
		path, params := convertPath(r.Path)
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(r.Method)] = operation(r, params)
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": info.Title, "version": info.Version, "description": info.Description +
			"\n\nIntegration routes accept `X-API-Key: <api key or integration token>` (recommended: Nextcloud " +
			"inspects `Authorization` itself) or `Authorization: Bearer <integration token or DRF access token>`."},
		"servers": []any{
			map[string]any{"url": "/index.php/apps/app_api/proxy/weather_apis", "description": "Through AppAPI's proxy"},
			map[string]any{"url": "/exapps/weather_apis", "description": "Through HaRP"},
		},
		"paths":      paths,
		"components": components(),
	}
	return json.MarshalIndent(doc, "", "  ")
}

// convertPath turns "/a/:id/b" into "/a/{id}/b" and lists the parameters.
func convertPath(p string) (string, []string) {
	segs := strings.Split(p, "/")
	var params []string
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			params = append(params, s[1:])
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/"), params
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/" + name} }

func operation(r Route, params []string) map[string]any {
	op := map[string]any{"operationId": r.Name, "summary": r.Summary, "tags": []string{tag(r)}}
	var ps []any
	for _, p := range params {
		ps = append(ps, map[string]any{"name": p, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	if len(ps) > 0 {
		op["parameters"] = ps
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		body := ref("schemas/AnyJSON")
		if r.Name == "credential_create" {
			body = ref("schemas/CredentialCreate")
		}
		if r.Name != "cache_verify" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": body}}}
		}
	}
	ok := map[string]any{"description": "Success (an envelope)", "headers": headers(r, false),
		"content": map[string]any{"application/json": map[string]any{"schema": ref("schemas/Envelope")}}}
	if r.Name == "openapi" {
		ok = map[string]any{"description": "This document (not an envelope)",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
	}
	resp := map[string]any{"2XX": ok, "default": ref("responses/Error")}
	for _, code := range errorStatuses(r) {
		resp[fmt.Sprint(code)] = ref("responses/Error")
	}
	if r.Integration {
		resp["401"] = ref("responses/Unauthenticated")
		resp["429"] = ref("responses/RateLimited")
	}
	op["responses"] = resp
	switch {
	case r.Integration:
		op["security"] = []any{map[string]any{SchemeAPIKey: []string{r.Scope}}, map[string]any{SchemeBearer: []string{r.Scope}}}
		op["x-required-scope"] = r.Scope
	case r.Access == "PUBLIC":
		op["security"] = []any{}
	default:
		op["security"] = []any{map[string]any{SchemeNextcloud: []string{}}}
		if r.Access == "ADMIN" {
			op["description"] = "Nextcloud administrators only."
		}
	}
	return op
}

func tag(r Route) string {
	switch {
	case r.Integration:
		return "integration"
	case r.Access == "ADMIN":
		return "admin"
	}
	return "meta"
}

func errorStatuses(r Route) []int {
	out := []int{400, 401, 404, 500, 502, 503, 504}
	if r.Integration {
		out = append(out, 403)
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		out = append(out, 413, 422)
	}
	return out
}

// headers are the response headers every envelope answer carries.
func headers(r Route, _ bool) map[string]any {
	h := map[string]any{
		"X-Request-Id":  map[string]any{"schema": map[string]any{"type": "string"}, "description": "AppAPI's AA-REQUEST-ID or a generated id"},
		"Cache-Control": map[string]any{"schema": map[string]any{"type": "string"}},
	}
	if r.Cached {
		h["X-Cache"] = map[string]any{"schema": map[string]any{"type": "string", "enum": []string{"HIT", "MISS", "STALE", "BYPASS"}}}
		h["Cache-Status"] = map[string]any{"schema": map[string]any{"type": "string"}, "description": "RFC 9211"}
		h["Age"] = map[string]any{"schema": map[string]any{"type": "string"}}
	}
	return h
}
