package jsonshape_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/jsonshape"
)

func TestRulesCheck(t *testing.T) {
	t.Parallel()
	object := jsonshape.Rules{Kind: jsonshape.Object}
	page := jsonshape.Rules{Kind: jsonshape.Page}
	schema := jsonshape.Rules{Kind: jsonshape.Object, RequireVersion: true}
	cases := []struct {
		name    string
		rules   jsonshape.Rules
		header  string
		body    string
		wantErr string // "" = accepted
	}{
		{"object", object, "", `{"farm_id":7,"ndvi":{"mean":0.4}}`, ""},
		{"object with any members", object, "", `{}`, ""},
		{"object gets a list", object, "", `[1,2]`, "a JSON list where an object was expected"},
		{"object gets a string", object, "", `"x"`, "a JSON string"},
		{"not JSON", object, "", `<html>`, "not JSON"},
		{"empty", object, "", ``, "not JSON"},
		{"DRF page", page, "", `{"count":2,"next":null,"previous":null,"results":[{"id":1},{"id":2}]}`, ""},
		{"cursor page without count", page, "", `{"next":"x","previous":null,"results":[]}`, ""},
		{"plain list page", page, "", `[{"a":1}]`, ""},
		{"page without results", page, "", `{"count":2,"items":[]}`, `without a "results" list`},
		{"page whose results is an object", page, "", `{"results":{}}`, `"results" is not a list`},
		{"page gets a number", page, "", `42`, "a JSON number"},
		{"schema declares an integer", schema, "", `{"schema_version":3,"properties":{}}`, ""},
		{"schema declares a string", schema, "", `{"schema_version":"2024-06","x":1}`, ""},
		{"schema 2.0 matches header 2", schema, "2", `{"schema_version":2.0}`, ""},
		{"schema string 2.0 matches header 2", schema, "2", `{"schema_version":"2.0"}`, ""},
		{"schema without version", schema, "1", `{"fields":[]}`, `without "schema_version"`},
		{"schema with null version", schema, "", `{"schema_version":null}`, "not a number or a non-empty string"},
		{"schema with empty version", schema, "", `{"schema_version":""}`, "not a number or a non-empty string"},
		{"schema with object version", schema, "", `{"schema_version":{"major":2}}`, "not a number or a non-empty string"},
		{"schema and header disagree", schema, "3", `{"schema_version":2}`, "header says 3"},
		{"object route: a record's own schema_version is its business", object, "3", `{"schema_version":2}`, ""},
		{"schema version nested is not declared", schema, "", `{"meta":{"schema_version":2}}`, `without "schema_version"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rules.Check(tc.header, []byte(tc.body))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Check(%q, %s) = %v; want accepted", tc.header, tc.body, err)
				}
				return
			}
			var e *envelope.Error
			if !errors.As(err, &e) || e.Code != envelope.CodeUpstreamBadResponse || e.Status != 502 {
				t.Fatalf("Check(%q, %s) = %v; want a 502 UPSTREAM_BAD_RESPONSE", tc.header, tc.body, err)
			}
			if !strings.Contains(e.Message, tc.wantErr) {
				t.Errorf("message %q does not contain %q", e.Message, tc.wantErr)
			}
		})
	}
}

func TestDeclared(t *testing.T) {
	t.Parallel()
	cases := []struct {
		header, body string
		want         string
		inBody, err  bool
	}{
		{"", `{"schema_version":2}`, "2", true, false},
		{"", `{"schema_version":2.0}`, "2", true, false},
		{"", `{"schema_version":2e0}`, "2", true, false},
		{"", `{"schema_version":"2.0"}`, "2", true, false},
		{"", `{"schema_version":" 2 "}`, "2", true, false},
		{"", `{"schema_version":2.5}`, "2.5", true, false},
		{"", `{"schema_version":"v3"}`, "v3", true, false},
		{"", `{"schema_version":"2024-06-01"}`, "2024-06-01", true, false},
		{"2.0", `{"count":1,"results":[]}`, "2", false, false},
		{" 7 ", `[1,2]`, "7", false, false},
		{"", `{"a":1}`, "", false, false},
		{"4", `{"schema_version":null}`, "4", false, true},
		{"4", `{"schema_version":3}`, "3", true, true},
		{"", `not json`, "", false, false},
	}
	for _, tc := range cases {
		got, inBody, err := jsonshape.Declared(tc.header, []byte(tc.body))
		if got != tc.want || inBody != tc.inBody || (err != nil) != tc.err {
			t.Errorf("Declared(%q, %s) = %q, %v, %v; want %q, %v, err=%v", tc.header, tc.body, got, inBody, err, tc.want, tc.inBody, tc.err)
		}
	}
}

func TestCanonicalAgreesForEveryForm(t *testing.T) {
	t.Parallel()
	// The number 2, the number 2.0 and the strings "2" and "2.0" are one version.
	forms := []string{"2", "2.0", "2.00", " 2", "02"}
	for _, f := range forms {
		if got := jsonshape.Canonical(f); got != "2" {
			t.Errorf("Canonical(%q) = %q; want 2", f, got)
		}
	}
	for _, f := range []string{"", "  "} {
		if got := jsonshape.Canonical(f); got != "" {
			t.Errorf("Canonical(%q) = %q; want empty", f, got)
		}
	}
}
