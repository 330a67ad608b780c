package openapi

import (
	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

func obj(required []string, props map[string]any) map[string]any {
	return map[string]any{"type": "object", "required": required, "properties": props}
}

func str() map[string]any { return map[string]any{"type": "string"} }

func nullable(t string) map[string]any { return map[string]any{"type": []string{t, "null"}} }

// components returns schemas, responses and security schemes. Scope names
// and descriptions come from credentials.Scopes(), the enforced table.
func components() map[string]any {
	scopes := map[string]string{}
	var names []string
	for _, s := range credentials.Scopes() {
		scopes[s.Name] = s.Description
		names = append(names, s.Name)
	}
	var codeNames []string
	for _, c := range envelope.Codes() {
		codeNames = append(codeNames, string(c))
	}
	errSchema := obj([]string{"code", "message", "status", "retryable"}, map[string]any{
		"code":      map[string]any{"type": "string", "enum": codeNames},
		"message":   str(),
		"status":    map[string]any{"type": "integer", "minimum": 400, "maximum": 599},
		"retryable": map[string]any{"type": "boolean"},
		"details":   map[string]any{"description": "Client-safe detail: DRF field errors, or {reason, scope, retry_after} for integration rejections"},
	})
	envSchema := obj([]string{"data", "error", "source", "version", "request_id"}, map[string]any{
		"data":   map[string]any{"description": "The answer; null on error"},
		"error":  map[string]any{"anyOf": []any{ref("schemas/Error"), map[string]any{"type": "null"}}},
		"source": map[string]any{"type": "string", "enum": []string{"upstream", "cache", "stale", "local"}},
		"version": obj([]string{"app", "schema", "envelope"}, map[string]any{
			"app": str(), "schema": nullable("string"), "envelope": map[string]any{"type": "integer", "const": envelope.FormatVersion},
		}),
		"request_id": str(),
	})
	errEnv := map[string]any{"allOf": []any{ref("schemas/Envelope"),
		obj([]string{"error"}, map[string]any{"data": map[string]any{"type": "null"}, "error": ref("schemas/Error")})}}
	credential := obj([]string{"id", "name", "type", "scopes", "allow_cidrs", "created_at", "expires_at"}, map[string]any{
		"id": str(), "name": str(), "type": map[string]any{"type": "string", "enum": []string{"api_key", "integration_token"}},
		"scopes":      map[string]any{"type": "array", "items": map[string]any{"type": "string", "enum": names}},
		"allow_cidrs": map[string]any{"type": "array", "items": str()},
		"created_at":  map[string]any{"type": "string", "format": "date-time"}, "created_by": str(),
		"expires_at": nullable("string"), "last_used_at": nullable("string"), "revoked_at": nullable("string"),
		"status": map[string]any{"type": "string", "enum": []string{"active", "expired", "revoked"}},
		"hint":   str(), "secret": map[string]any{"type": "string", "description": "Only in the answer to create; never shown again"},
	})
	create := obj([]string{"name", "type", "scopes"}, map[string]any{
		"name": map[string]any{"type": "string", "minLength": 1, "maxLength": 100},
		"type": map[string]any{"type": "string", "enum": []string{"api_key", "integration_token"}},
		"scopes": map[string]any{"type": "array", "minItems": 1,
			"items": map[string]any{"type": "string", "enum": names}},
		"allow_cidrs": map[string]any{"type": "array", "items": str()},
		"expires_in":  map[string]any{"type": "string", "description": `Go duration, e.g. "720h"; integration tokens default to 720h`},
	})
	create["additionalProperties"] = false
	jsonHeader := map[string]any{"schema": ref("schemas/ErrorEnvelope")}
	return map[string]any{
		"schemas": map[string]any{
			"AnyJSON": map[string]any{"type": []string{"object", "array"}}, "Error": errSchema, "Envelope": envSchema,
			"ErrorEnvelope": errEnv, "Credential": credential, "CredentialCreate": create,
		},
		"responses": map[string]any{
			"Error": map[string]any{"description": "An error envelope",
				"content": map[string]any{"application/json": jsonHeader}},
			"Unauthenticated": map[string]any{"description": "Missing, malformed, unknown, expired or revoked credential",
				"headers": map[string]any{"WWW-Authenticate": map[string]any{"schema": str()}},
				"content": map[string]any{"application/json": jsonHeader}},
			"RateLimited": map[string]any{"description": "Too many failed authentications from this address",
				"headers": map[string]any{"Retry-After": map[string]any{"schema": str()}},
				"content": map[string]any{"application/json": jsonHeader}},
		},
		"securitySchemes": map[string]any{
			SchemeAPIKey: map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key",
				"description": "API key (wak_…) or integration token (wit_…). Scopes: " + scopeList(scopes, names)},
			SchemeBearer: map[string]any{"type": "http", "scheme": "bearer",
				"description": "Integration token (wit_…) or DRF SimpleJWT access token. Scopes: " + scopeList(scopes, names)},
			SchemeNextcloud: map[string]any{"type": "http", "scheme": "basic",
				"description": "A Nextcloud login (app password); AppAPI checks it and the access level"},
		},
	}
}

func scopeList(desc map[string]string, names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += "; "
		}
		out += "`" + n + "` " + desc[n]
	}
	return out
}
