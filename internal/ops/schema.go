package ops

import (
	"encoding/json"
	"strconv"
)

// schemaFromBody reads schema_version from a schema body ("" if absent).
func schemaFromBody(b []byte) string {
	var v struct {
		SchemaVersion json.RawMessage `json:"schema_version"`
	}
	if json.Unmarshal(b, &v) != nil || len(v.SchemaVersion) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(v.SchemaVersion, &s) == nil {
		return s
	}
	var n float64
	if json.Unmarshal(v.SchemaVersion, &n) == nil {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return ""
}
