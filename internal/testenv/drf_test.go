package testenv

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// get sends an authenticated GET and returns status, headers and body.
func get(t *testing.T, url, access string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func schemaShape(t *testing.T, body string) (version int, sections, fields bool) {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("schema is not a JSON object: %v", err)
	}
	if err := json.Unmarshal(doc["schema_version"], &version); err != nil {
		t.Fatalf("schema_version: %v", err)
	}
	_, sections = doc["sections"]
	_, fields = doc["fields"]
	return version, sections, fields
}

func TestDRF(t *testing.T) {
	d := SharedDRF(t, DRFOptions{})
	access, refresh := d.Token(t)
	if access == "" || refresh == "" {
		t.Fatalf("empty token pair")
	}
	schemaURL := d.URL() + "/api/v1/admin/farms/schema"

	resp, body, err := get(t, schemaURL, access)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("schema v1: %v %v", err, resp)
	}
	if v, sections, fields := schemaShape(t, body); v != 1 || sections || !fields {
		t.Errorf("v1 shape: version %d sections %v fields %v", v, sections, fields)
	}
	if len(body) < 5000 {
		t.Errorf("schema is %d bytes, want about 6 KB", len(body))
	}

	d.SetSchema(t, 2)
	resp, body, err = get(t, schemaURL, access)
	if err != nil || resp.Header.Get("X-Schema-Version") != "2" {
		t.Fatalf("schema v2: %v %v", err, resp)
	}
	if v, sections, fields := schemaShape(t, body); v != 2 || !sections || fields {
		t.Errorf("v2 shape: version %d sections %v fields %v", v, sections, fields)
	}

	d.SetFaults(t, Faults{FailRate: 1, HTMLErrors: true, Paths: "^/api/v1/farms/"})
	resp, body, err = get(t, d.URL()+"/api/v1/farms/", access)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "503 Service Temporarily Unavailable") {
		t.Errorf("html fault: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _, err := get(t, schemaURL, access); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("paths regexp should spare the schema: %v %v", err, resp)
	}
	d.ClearFaults(t)
	if resp, _, err := get(t, d.URL()+"/api/v1/farms/", access); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("after ClearFaults: %v %v", err, resp)
	}

	s := d.Stats(t)
	if s.TokenObtain != 1 || s.Requests["GET /api/v1/admin/farms/schema"] != 3 ||
		s.Requests["GET /api/v1/farms/"] != 2 || s.Faults["GET /api/v1/farms/"] != 1 || s.FaultsByKind["fail"] != 1 {
		t.Errorf("stats: %+v", s)
	}
	d.ResetStats(t)
	if s := d.Stats(t); s.RequestsTotal != 0 || s.TokenObtain != 0 {
		t.Errorf("stats after reset: %+v", s)
	}
}

func TestDRFFaultKinds(t *testing.T) {
	d := SharedDRF(t, DRFOptions{})
	access, _ := d.Token(t)
	url := d.URL() + "/api/v1/farms/1/"
	cases := []struct {
		name   string
		faults Faults
		status int    // 0: the connection must fail
		header string // "Name: value" the answer must carry
	}{
		{"json 502", Faults{FailRate: 1, FailStatus: 502}, 502, "Content-Type: application/json"},
		{"rate limit", Faults{RateLimit: true, RetryAfter: 3}, 429, "Retry-After: 3"},
		{"reset", Faults{ResetConnections: true}, 0, ""},
		{"max faults spent", Faults{FailRate: 1, MaxFaults: 1}, 200, "X-Schema-Version: 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d.SetFaults(t, tc.faults)
			if tc.faults.MaxFaults > 0 {
				_, _, _ = get(t, url, access) // spends the one fault
			}
			resp, _, err := get(t, url, access)
			if tc.status == 0 {
				if err == nil || !errors.Is(err, syscall.ECONNRESET) && !strings.Contains(err.Error(), "EOF") {
					t.Fatalf("want a reset connection, got %v %v", err, resp)
				}
				return
			}
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("want %d, got %v %v", tc.status, err, resp)
			}
			name, value, _ := strings.Cut(tc.header, ": ")
			if got := resp.Header.Get(name); !strings.HasPrefix(got, value) {
				t.Errorf("%s = %q, want %q", name, got, value)
			}
		})
	}
	d.ClearFaults(t)
	if resp, _, err := get(t, url, access); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("workers must survive resets: %v %v", err, resp)
	}
}

func TestDRFRestartKeepsDatabase(t *testing.T) {
	d := StartDRF(t, DRFOptions{Workers: 1})
	d.SetSchema(t, 2)
	d.SetLayout(t, Layout{FarmState: "ndvi-object"})
	d.SetFaults(t, Faults{FailRate: 1})
	d.SetTransforms(t, Transforms{Version: drfRef("99")})
	d.Stop(t)
	d.Start(t)
	access, _ := d.Token(t) // faults were cleared by the restart, or this fails
	resp, _, err := get(t, d.URL()+"/api/v1/admin/farms/schema", access)
	if err != nil || resp.Header.Get("X-Schema-Version") != "2" { // and transforms too, or this is 99
		t.Fatalf("schema version after restart: %v %v", err, resp)
	}
	if l := d.Layout(t); l.Schema != "v2" || l.FarmState != "ndvi-object" {
		t.Errorf("layout after restart: %+v", l)
	}
}

func drfRef[T any](v T) *T { return &v }

// getJSON sends an authenticated GET and decodes the JSON object answered.
func getJSON(t *testing.T, url, access string) (*http.Response, map[string]any) {
	t.Helper()
	resp, body, err := get(t, url, access)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %v %v %s", url, err, resp, body)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("GET %s: not a JSON object: %v", url, err)
	}
	return resp, doc
}

func TestDRFLayoutsAndTransforms(t *testing.T) {
	d := SharedDRF(t, DRFOptions{}) // two workers (the default)
	access, _ := d.Token(t)
	want := LayoutState{Schema: "v1", FarmState: "flat", Observation: "plain", VersionHeader: true, DeclaredVersion: "1"}
	if got := d.Layout(t); got != want {
		t.Fatalf("default layout %+v, want %+v", got, want)
	}

	got := d.SetLayout(t, Layout{Schema: "v3-jsonschema", FarmState: "ndvi-object", SchemaVersion: drfRef("2025-06")})
	if got.Schema != "v3-jsonschema" || got.FarmState != "ndvi-object" || got.Observation != "plain" ||
		got.SchemaVersion == nil || *got.SchemaVersion != "2025-06" || got.DeclaredVersion != "2025-06" {
		t.Fatalf("SetLayout answered %+v", got)
	}
	for i := 0; i < 4; i++ { // both workers see the same layout
		resp, doc := getJSON(t, d.URL()+"/api/v1/admin/farms/schema", access)
		if resp.Header.Get("X-Schema-Version") != "2025-06" || doc["schema_version"] != "2025-06" ||
			doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
			t.Fatalf("v3-jsonschema: header %q, schema_version %v, $schema %v",
				resp.Header.Get("X-Schema-Version"), doc["schema_version"], doc["$schema"])
		}
		_, state := getJSON(t, d.URL()+"/api/v1/farms/1/state", access)
		if ndvi, ok := state["ndvi"].(map[string]any); !ok || ndvi["mean"] == nil || state["farm_id"] != 1.0 {
			t.Fatalf("ndvi-object state: %v", state)
		}
	}

	got = d.SetLayout(t, Layout{SchemaVersion: drfRef(""), VersionHeader: drfRef(false)})
	if got.SchemaVersion != nil || got.DeclaredVersion != "3" || got.VersionHeader {
		t.Fatalf("clearing the override: %+v", got)
	}
	if resp, _ := getJSON(t, d.URL()+"/api/v1/farms/", access); resp.Header.Get("X-Schema-Version") != "" {
		t.Errorf("version_header false still sends %q", resp.Header.Get("X-Schema-Version"))
	}

	d.SetTransforms(t, Transforms{
		Rules: []TransformRule{{Route: `^GET /api/v1/farms/\{id\}/state$`, Ops: []TransformOp{
			{Op: "rename", Path: "ndvi", To: "ndvi_summary"},
			{Op: "retype", Path: "tiles[].z", Type: "string"},
			{Op: "add", Path: "extra", Value: map[string]any{"a": 1}},
			{Op: "remove", Path: "no.such.member"},
		}}},
		Version:       drfRef("42"),
		VersionHeader: drfRef(true),
	})
	resp, state := getJSON(t, d.URL()+"/api/v1/farms/1/state", access)
	tiles, _ := state["tiles"].([]any)
	if _, ok := state["ndvi_summary"].(map[string]any); !ok || state["ndvi"] != nil || len(tiles) == 0 ||
		resp.Header.Get("X-Schema-Version") != "42" {
		t.Fatalf("transformed state: %v, header %q", state, resp.Header.Get("X-Schema-Version"))
	}
	if z, ok := tiles[0].(map[string]any)["z"].(string); !ok || z == "" {
		t.Errorf("retyped tile z: %v", tiles[0])
	}
	if extra, _ := state["extra"].(map[string]any); extra["a"] != 1.0 {
		t.Errorf("added member: %v", state["extra"])
	}
	if _, doc := getJSON(t, d.URL()+"/api/v1/admin/farms/schema", access); doc["schema_version"] != 42.0 {
		t.Errorf("transforms' version in the schema body: %v", doc["schema_version"])
	}
	if l := d.Layout(t); l.DeclaredVersion != "42" {
		t.Errorf("declared version under transforms: %+v", l)
	}
	d.ClearTransforms(t)
	if _, state := getJSON(t, d.URL()+"/api/v1/farms/1/state", access); state["ndvi"] == nil || state["extra"] != nil {
		t.Errorf("after ClearTransforms: %v", state)
	}
}

func TestDRFOpenAPI(t *testing.T) {
	d := SharedDRF(t, DRFOptions{})
	if out, err := exec.Command(drfPython, "-c", "import uritemplate").CombinedOutput(); err != nil {
		Unavailable(t, "python3-uritemplate missing (apt-get install python3-uritemplate): %v: %s", err, out)
	}
	access, _ := d.Token(t)
	if resp, _, err := get(t, d.URL()+"/api/v1/schema/", "not-a-token"); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("OpenAPI without a valid token: %v %v", err, resp)
	}
	stateProps := func() map[string]any {
		t.Helper()
		resp, doc := getJSON(t, d.URL()+"/api/v1/schema/", access)
		if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") ||
			!strings.HasSuffix(resp.Header.Get("Content-Type"), "json") {
			t.Fatalf("not an OpenAPI 3 JSON document: openapi %v, Content-Type %q", doc["openapi"], resp.Header.Get("Content-Type"))
		}
		paths, _ := doc["paths"].(map[string]any)
		for _, p := range []string{"/api/v1/farms/", "/api/v1/farms/{id}/", "/api/v1/farms/{id}/state", "/api/v1/observations/"} {
			if paths[p] == nil {
				t.Errorf("OpenAPI paths lack %s", p)
			}
		}
		components, _ := doc["components"].(map[string]any)
		schemas, _ := components["schemas"].(map[string]any)
		state, _ := schemas["NdviState"].(map[string]any)
		props, _ := state["properties"].(map[string]any)
		return props
	}
	if props := stateProps(); props["farm"] == nil || props["farm_id"] != nil {
		t.Errorf("flat NdviState: %v", props)
	}
	d.SetLayout(t, Layout{FarmState: "ndvi-object"})
	if props := stateProps(); props["farm_id"] == nil || props["farm"] != nil {
		t.Errorf("ndvi-object NdviState: %v", props)
	}
}
