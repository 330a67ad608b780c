package shape_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/shape"
)

type validatorCase struct {
	name        string
	body        string
	wantVersion string
	wantErr     string // substring of the message; "" means no error
}

func runCases(t *testing.T, v shape.Validator, cases []validatorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := v([]byte(tc.body))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("validate(%s) = %v; want no error", tc.body, err)
				}
				if got != tc.wantVersion {
					t.Errorf("validate(%s) version = %q; want %q", tc.body, got, tc.wantVersion)
				}
				return
			}
			var e *envelope.Error
			if !errors.As(err, &e) || e.Code != envelope.CodeUpstreamBadResponse {
				t.Fatalf("validate(%s) = %v; want UPSTREAM_BAD_RESPONSE", tc.body, err)
			}
			if !strings.Contains(e.Message, tc.wantErr) {
				t.Errorf("message = %q; want it to contain %q", e.Message, tc.wantErr)
			}
			if e.Status != 502 {
				t.Errorf("status = %d; want 502", e.Status)
			}
		})
	}
}

func TestFarmSchema(t *testing.T) {
	runCases(t, shape.FarmSchema, []validatorCase{
		{"v1 integer version", `{"schema_version":1,"title":"Farm","fields":[{"name":"name","type":"string"},{"name":"area_ha","type":"decimal"}]}`, "1", ""},
		{"v1 string version", `{"schema_version":"1","fields":[]}`, "1", ""},
		{"v2 sections", `{"schema_version":2,"sections":[{"id":"a","fields":[{"name":"name","type":"string"}]},{"id":"b","fields":[{"name":"location","type":"geo_point"}]}]}`, "2", ""},
		{"unknown field type is fine", `{"schema_version":1,"fields":[{"name":"x","type":"hologram"}]}`, "1", ""},
		{"not an object", `[1,2]`, "", "the body is not a JSON object"},
		{"html", `<html>oops</html>`, "", "the body is not a JSON object"},
		{"truncated json", `{"schema_version":1,"fields":[`, "", "not valid JSON"},
		{"no version", `{"fields":[]}`, "", `"schema_version" is missing`},
		{"bool version", `{"schema_version":true,"fields":[]}`, "", `"schema_version" must be`},
		{"v3 unsupported", `{"schema_version":3,"fields":[]}`, "", `schema_version "3" is not supported`},
		{"v1 with sections", `{"schema_version":1,"sections":[]}`, "", `schema_version 1 needs "fields"`},
		{"v1 with both", `{"schema_version":1,"fields":[],"sections":[]}`, "", `schema_version 1 needs "fields" and no "sections"`},
		{"v2 with fields (the origin bug)", `{"schema_version":2,"fields":[{"name":"a","type":"string"}]}`, "", `schema_version 2 needs "sections"`},
		{"v2 empty sections", `{"schema_version":2,"sections":[]}`, "", `"sections" is empty`},
		{"v1 fields not array", `{"schema_version":1,"fields":{}}`, "", `"fields" is not an array`},
		{"v1 field without type", `{"schema_version":1,"fields":[{"name":"a"}]}`, "", `"fields[0].type" is missing`},
		{"v1 field empty name", `{"schema_version":1,"fields":[{"name":"","type":"string"}]}`, "", `"fields[0].name" must be a non-empty string`},
		{"v1 field not object", `{"schema_version":1,"fields":["name"]}`, "", `"fields[0]" is not a JSON object`},
		{"v2 section without fields", `{"schema_version":2,"sections":[{"id":"a"}]}`, "", `"sections[0].fields" is missing`},
		{"v2 nested field bad type", `{"schema_version":2,"sections":[{"fields":[{"name":"a","type":7}]}]}`, "", `"sections[0].fields[0].type" must be a non-empty string`},
	})
}

func TestFarmList(t *testing.T) {
	runCases(t, shape.FarmList, []validatorCase{
		{"page", `{"count":2,"next":null,"previous":null,"results":[{"id":1,"name":"a"},{"id":"u-2"}]}`, "", ""},
		{"empty page", `{"count":0,"next":null,"previous":null,"results":[]}`, "", ""},
		{"next link", `{"count":30,"next":"http://x/?page=2","previous":null,"results":[]}`, "", ""},
		{"bare array", `[{"id":1}]`, "", "not a JSON object"},
		{"count missing", `{"results":[]}`, "", `"count" is missing`},
		{"count string", `{"count":"2","results":[]}`, "", `"count" must be an integer`},
		{"count float", `{"count":2.5,"results":[]}`, "", `"count" must be an integer`},
		{"next number", `{"count":1,"next":3,"results":[]}`, "", `"next" must be a string or null`},
		{"results missing", `{"count":1}`, "", `"results" is missing`},
		{"results object", `{"count":1,"results":{}}`, "", `"results" is not an array`},
		{"item without id", `{"count":1,"results":[{"name":"a"}]}`, "", `"results[0].id" is missing`},
		{"item id null", `{"count":1,"results":[{"id":null}]}`, "", `"results[0].id" must be a number or a non-empty string`},
	})
}

func TestFarm(t *testing.T) {
	runCases(t, shape.Farm, []validatorCase{
		{"farm", `{"id":3,"name":"North Ridge","owner":"A"}`, "", ""},
		{"no name", `{"id":3}`, "", `"name" is missing`},
		{"empty name", `{"id":3,"name":""}`, "", `"name" must be a non-empty string`},
		{"no id", `{"name":"x"}`, "", `"id" is missing`},
		{"detail error body", `{"detail":"Not found."}`, "", `"id" is missing`},
	})
}

func TestFarmState(t *testing.T) {
	runCases(t, shape.FarmState, []validatorCase{
		{"state", `{"farm":3,"ndvi":0.42,"observed_at":"2026-01-01T00:00:00Z","tiles":[]}`, "", ""},
		{"negative ndvi", `{"farm":3,"ndvi":-0.1}`, "", ""},
		{"ndvi string", `{"farm":3,"ndvi":"0.4"}`, "", `"ndvi" must be a number`},
		{"ndvi null", `{"farm":3,"ndvi":null}`, "", `"ndvi" must be a number`},
		{"no farm", `{"ndvi":0.4}`, "", `"farm" is missing`},
	})
}

func TestObservations(t *testing.T) {
	runCases(t, shape.ObservationList, []validatorCase{
		{"page", `{"count":1,"next":null,"previous":null,"results":[{"id":9,"farm":1,"temperature_c":3.5}]}`, "", ""},
		{"item not object", `{"count":1,"results":[9]}`, "", `"results[0]" is not a JSON object`},
	})
	runCases(t, shape.Observation, []validatorCase{
		{"one", `{"id":9}`, "", ""},
		{"no id", `{"farm":1}`, "", `"id" is missing`},
		{"empty", ``, "", "not a JSON object"},
	})
}
