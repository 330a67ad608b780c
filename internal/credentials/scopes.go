package credentials

import "slices"

// Scope is one permission an integration credential can carry.
type Scope struct {
	Name        string
	Description string
}

// scopeTable is the one scope table: credential creation validates against
// it, integration.Authenticator enforces it and the OpenAPI generator renders
// it. A write scope never implies the read scope (least privilege: grant both
// when both are needed).
var scopeTable = [...]Scope{
	{"farms:state:read", "Read the NDVI state of farms."},
	{"farms:state:write", "Replace the NDVI state of farms."},
	{"observations:read", "Read weather observations."},
	{"observations:write", "Submit weather observations."},
}

// Scopes returns a copy of the scope table, in a stable order.
func Scopes() []Scope { return slices.Clone(scopeTable[:]) }

// KnownScope reports whether name is in the scope table.
func KnownScope(name string) bool {
	for _, s := range scopeTable {
		if s.Name == name {
			return true
		}
	}
	return false
}
