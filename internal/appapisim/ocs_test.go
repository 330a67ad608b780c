package appapisim

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestOCSAuth(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	good := base64.StdEncoding.EncodeToString([]byte(":" + e.exapp.secret))
	tests := []struct {
		name, version, appID, auth, exVersion, path string
		wantHTTP, wantCode                          int
	}{
		{"ok v1", "v1", "testapp", good, "1.0.0", "api/v1/users", 200, 100},
		{"ok v2", "v2", "testapp", good, "1.0.0", "api/v1/users", 200, 200},
		{"wrong secret", "v1", "testapp", base64.StdEncoding.EncodeToString([]byte(":nope")), "1.0.0", "api/v1/users", 401, 997},
		{"unknown app", "v2", "other", good, "1.0.0", "api/v1/users", 401, 997},
		{"empty version", "v1", "testapp", good, "", "api/v1/users", 401, 997},
		{"no auth header", "v1", "testapp", "", "1.0.0", "api/v1/users", 401, 997},
		{"unknown user", "v1", "testapp", base64.StdEncoding.EncodeToString([]byte("bob:" + e.exapp.secret)), "1.0.0", "api/v1/users", 401, 997},
		{"v1 not found", "v1", "testapp", good, "1.0.0", "api/v1/ui/top-menu?name=nope", 200, 404},
		{"v2 not found", "v2", "testapp", good, "1.0.0", "api/v1/ui/top-menu?name=nope", 404, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sep := "?"
			if strings.Contains(tt.path, "?") {
				sep = "&"
			}
			resp := e.do(t, http.MethodGet, "/ocs/"+tt.version+".php/apps/app_api/"+tt.path+sep+"format=json", "", map[string]string{
				"EX-APP-ID": tt.appID, "EX-APP-VERSION": tt.exVersion, "AUTHORIZATION-APP-API": tt.auth, "OCS-APIRequest": "true",
			}, "")
			body := readBody(t, resp)
			if resp.StatusCode != tt.wantHTTP || !strings.Contains(body, `"statuscode":`+strconv.Itoa(tt.wantCode)) {
				t.Errorf("got %d %s, want %d statuscode %d", resp.StatusCode, body, tt.wantHTTP, tt.wantCode)
			}
		})
	}
	if got := e.sim.State().Bruteforce["appapi|127.0.0.1"]; got != 2 {
		t.Errorf("auth attempts registered = %d, want 2 (wrong secret, unknown app)", got)
	}
}

func TestOCSEnabledExemptions(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	e.sim.Disable(t.Context(), false)
	if code, out := e.exapp.ocs("GET", "ex-app/state", "", nil); code != 200 || out["ocs"].(map[string]any)["data"] != float64(0) {
		t.Errorf("state while disabled: %d %v", code, out)
	}
	if code, _ := e.exapp.ocs("GET", "api/v1/users", "", nil); code != 401 {
		t.Errorf("users while disabled: %d, want 401", code)
	}
	// status is exempt only while status.type is install/update.
	if code, _ := e.exapp.ocs("PUT", "ex-app/status", "", map[string]any{"progress": 10}); code != 401 {
		t.Errorf("status while disabled after install: %d, want 401", code)
	}
}

func TestOCSEndpoints(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	ocsData := func(out map[string]any) any { return out["ocs"].(map[string]any)["data"] }
	e.exapp.ocs("POST", "api/v1/ex-app/config", "", map[string]any{"configKey": "url", "configValue": "http://x", "sensitive": 1})
	_, out := e.exapp.ocs("POST", "api/v1/ex-app/config/get-values", "", map[string]any{"configKeys": []string{"url", "missing"}})
	vals, _ := ocsData(out).([]any)
	if len(vals) != 1 || vals[0].(map[string]any)["configvalue"] != "http://x" {
		t.Errorf("get-values = %v", out)
	}
	_, out = e.exapp.ocs("DELETE", "api/v1/ex-app/config", "", map[string]any{"configKeys": []string{"nope"}})
	if code := out["ocs"].(map[string]any)["meta"].(map[string]any)["statuscode"]; code != float64(404) {
		t.Errorf("delete nothing statuscode = %v", code)
	}
	e.exapp.ocs("POST", "api/v1/log", "", map[string]any{"level": 2, "message": "hello"})
	e.exapp.ocs("POST", "api/v1/ui/settings", "", map[string]any{"formScheme": map[string]any{"id": "f1", "section_type": "admin", "fields": []any{}}})
	e.exapp.ocs("POST", "api/v1/notification", "alice", map[string]any{"params": map[string]any{"object": "app_api", "object_id": "1", "subject_type": "app_api_ex_app", "subject_params": map[string]any{"rich_subject": "hi", "rich_subject_params": map[string]any{}}}})
	st := e.sim.State().App
	if len(st.Logs) != 1 || len(st.SettingsForms) != 1 || st.SettingsForms[0].Scheme["storage_type"] != "external" || len(st.Notifications) != 1 {
		t.Errorf("state = %+v", st)
	}
	calls := e.sim.calls.list("/api/v1/log")
	if len(calls) != 1 || calls[0].Body.(map[string]any)["message"] != "hello" || calls[0].AppID != "testapp" {
		t.Errorf("recorded calls = %+v", calls)
	}
	resp := e.do(t, "GET", "/ocs/v1.php/cloud/capabilities?format=json", "", nil, "")
	if body := readBody(t, resp); !strings.Contains(body, `"app_api":{"loglevel":0`) {
		t.Errorf("capabilities = %s", body)
	}
	if body := readBody(t, e.do(t, "GET", "/ocs/v2.php/cloud/capabilities", "", nil, "")); !strings.HasPrefix(body, "<?xml") {
		t.Errorf("OCS without format=json should be XML: %.80s", body)
	}
}
