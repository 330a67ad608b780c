package openapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/openapi"
)

// routes mirrors handlers.Routes() in shape (the lead's wiring test checks
// the real table).
func routes() []openapi.Route {
	return []openapi.Route{
		{Name: "farm_list", Method: "GET", Path: "/api/v1/admin/farms", Access: "ADMIN", Cached: true, Summary: "List farms"},
		{Name: "farm_detail", Method: "GET", Path: "/api/v1/admin/farms/:id", Access: "ADMIN", Cached: true, Summary: "Read a farm"},
		{Name: "credential_create", Method: "POST", Path: "/api/v1/admin/credentials", Access: "ADMIN", Summary: "Create"},
		{Name: "farm_state", Method: "GET", Path: "/api/v1/farms/:id/state", Access: "PUBLIC", Integration: true, Scope: "farms:state:read", Cached: true, Summary: "NDVI state"},
		{Name: "observation_create", Method: "POST", Path: "/api/v1/observations", Access: "PUBLIC", Integration: true, Scope: "observations:write", Summary: "Submit"},
		{Name: "openapi", Method: "GET", Path: "/api/v1/openapi.json", Access: "PUBLIC", Summary: "OpenAPI"},
		{Name: "static_js", Method: "GET", Path: "/js/*file", Access: "USER", Summary: "UI"},
	}
}

func mustBuild(t *testing.T) []byte {
	t.Helper()
	doc, err := openapi.Build(openapi.Info{Title: "weather_apis", Version: "1.0.0"}, routes())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	doc := mustBuild(t)
	d, err := openapi.Load(doc)
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if d.OpenAPI != "3.1.0" || !d.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q; want 3.1.0", d.OpenAPI)
	}
	op := d.Paths.Find("/api/v1/farms/{id}/state").Get
	if op == nil || op.Security == nil || len(*op.Security) != 2 || (*op.Security)[0][openapi.SchemeAPIKey][0] != "farms:state:read" {
		t.Errorf("farm_state security = %v; want ApiKeyAuth and BearerAuth with farms:state:read", op.Security)
	}
	if d.Paths.Find("/js/{file}") != nil {
		t.Error("UI asset route is in the document")
	}
	if _, err := openapi.Build(openapi.Info{}, []openapi.Route{{Name: "x", Method: "GET", Path: "/x", Integration: true, Scope: "nope"}}); err == nil {
		t.Error("Build accepted an unknown scope")
	}
}

func TestValidatorChecksExchanges(t *testing.T) {
	t.Parallel()
	v, err := openapi.NewValidator(mustBuild(t))
	if err != nil {
		t.Fatal(err)
	}
	ok := string(envelope.Envelope{Data: json.RawMessage(`{"ndvi":0.5}`), Source: envelope.SourceCache, Version: envelope.Version{App: "1"}, RequestID: "r"}.AppendJSON(nil))
	unauth := string(envelope.Envelope{Error: envelope.New(envelope.CodeUnauthenticated, "no"), Source: envelope.SourceLocal, RequestID: "r"}.AppendJSON(nil))
	cases := []struct {
		name     string
		method   string
		path     string
		reqBody  string
		status   int
		respBody string
		wantErr  string
	}{
		{"cached read through AppAPI", "GET", "/index.php/apps/app_api/proxy/weather_apis/api/v1/farms/3/state", "", 200, ok, ""},
		{"401 envelope", "GET", "/api/v1/farms/3/state", "", 401, unauth, ""},
		{"credential create", "POST", "/api/v1/admin/credentials", `{"name":"n","type":"api_key","scopes":["observations:read"]}`, 201, ok, ""},
		{"credential create with unknown scope", "POST", "/api/v1/admin/credentials", `{"name":"n","type":"api_key","scopes":["x"]}`, 201, ok, "request"},
		{"not an envelope", "GET", "/api/v1/farms/3/state", "", 200, `{"ndvi":0.5}`, "response"},
		{"undocumented route", "GET", "/api/v1/nope", "", 200, ok, "not in the OpenAPI document"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.reqBody))
			if tc.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			h := http.Header{"Content-Type": {"application/json"}}
			err := v.Check(req, []byte(tc.reqBody), tc.status, h, []byte(tc.respBody))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Check = %v; want error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestTransportReportsViolations(t *testing.T) {
	t.Parallel()
	v, err := openapi.NewValidator(mustBuild(t))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"not":"an envelope"}`))
	}))
	defer srv.Close()
	var got []error
	c := &http.Client{Transport: v.Transport(nil, func(err error) { got = append(got, err) })}
	resp, err := c.Get(srv.URL + "/api/v1/admin/farms")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if len(got) != 1 {
		t.Errorf("violations = %v; want 1", got)
	}
}
