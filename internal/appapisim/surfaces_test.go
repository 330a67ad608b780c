package appapisim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func ocsMeta(out map[string]any) (float64, any) {
	o, _ := out["ocs"].(map[string]any)
	m, _ := o["meta"].(map[string]any)
	code, _ := m["statuscode"].(float64)
	return code, o["data"]
}

// cloud calls a non-AppAPI OCS path (the provisioning API) as the ExApp
// acting for user.
func (e *testExApp) cloud(path, user string) (int, map[string]any) {
	return e.ocsAt("/ocs/v1.php/"+path, user)
}

func (e *testExApp) ocsAt(full, user string) (int, map[string]any) {
	req, _ := http.NewRequest(http.MethodGet, e.ncURL+full, nil)
	req.Header.Set("EX-APP-ID", e.id)
	req.Header.Set("EX-APP-VERSION", e.version)
	req.Header.Set("AUTHORIZATION-APP-API", appAPIAuth(user, e.secret))
	req.Header.Set("OCS-APIRequest", "true")
	req.Header.Set("Accept", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", full, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestGroupMembershipAndProvisioningAPI: membership changes through the
// control endpoints are what the provisioning API, the proxy's access
// levels and the pages see, with Nextcloud's permission rules.
func TestGroupMembershipAndProvisioningAPI(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	groupsOf := func(path, as string) (float64, []any) {
		_, out := e.exapp.cloud(path, as)
		code, data := ocsMeta(out)
		d, _ := data.(map[string]any)
		g, _ := d["groups"].([]any)
		if g == nil {
			g, _ = d["users"].([]any)
		}
		return code, g
	}
	if code, g := groupsOf("cloud/users/alice/groups", "alice"); code != 100 || fmt.Sprint(g) != "[users]" {
		t.Errorf("alice's own groups = %v %v", code, g)
	}
	if code, _ := groupsOf("cloud/users/admin/groups", "alice"); code != 998 {
		t.Errorf("alice looking up admin's groups: statuscode %v; want 998 (RESPOND_NOT_FOUND)", code)
	}
	if code, g := groupsOf("cloud/users/alice/groups", "admin"); code != 100 || len(g) != 1 {
		t.Errorf("admin looking up alice = %v %v", code, g)
	}
	if code, _ := groupsOf("cloud/groups/admin/users", "alice"); code != 403 {
		t.Errorf("alice listing the admin group: %v; want 403", code)
	}
	if code, g := groupsOf("cloud/groups/admin/users", "admin"); code != 100 || fmt.Sprint(g) != "[admin]" {
		t.Errorf("admin group = %v %v", code, g)
	}
	if code, _ := e.exapp.cloud("cloud/users/alice/groups", "ghost"); code != 401 {
		t.Errorf("acting for an unknown user = HTTP %d; want 401 (AppAPI refuses)", code)
	}
	if got := readBody(t, e.do(t, "GET", "/index.php/apps/app_api/proxy/testapp/api/admin/x", "alice", nil, "")); !strings.Contains(got, "Page not found") {
		t.Errorf("alice on an ADMIN route before: %.80s", got)
	}

	c := &Client{BaseURL: e.simURL}
	if err := c.SetGroupMember(context.Background(), "alice", "admin", true); err != nil {
		t.Fatal(err)
	}
	if code, g := groupsOf("cloud/groups/admin/users", "alice"); code != 100 || fmt.Sprint(g) != "[admin alice]" {
		t.Errorf("admin group after adding alice = %v %v", code, g)
	}
	if resp := e.do(t, "GET", "/index.php/apps/app_api/proxy/testapp/api/admin/x", "alice", nil, ""); resp.StatusCode != 200 {
		t.Errorf("alice on an ADMIN route once an admin = %d", resp.StatusCode)
	}
	if err := c.SetGroupMember(context.Background(), "alice", "admin", false); err != nil {
		t.Fatal(err)
	}
	if code, g := groupsOf("cloud/users/alice/groups", "alice"); code != 100 || fmt.Sprint(g) != "[users]" {
		t.Errorf("alice's groups after removal = %v %v", code, g)
	}
	if err := c.SetGroupMember(context.Background(), "ghost", "admin", true); err == nil {
		t.Errorf("adding an unknown user succeeded")
	}
}

func TestNotificationsAreCheckedRecordedAndShown(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	good := map[string]any{"params": map[string]any{"object": "weather_apis_layer", "object_id": "redis-failing-1", "subject_type": "app_api_ex_app",
		"subject_params": map[string]any{"rich_subject": "Redis is {what}", "rich_subject_params": map[string]any{"what": map[string]any{"type": "highlight", "id": "x", "name": "down"}},
			"rich_message": "Check it.", "rich_message_params": map[string]any{}, "link": "http://nc/x"}}}
	if code, out := e.exapp.ocs("POST", "api/v1/notification", "admin", good); code != 200 {
		t.Fatalf("notification = %d %v", code, out)
	}
	for name, body := range map[string]map[string]any{
		"no subject_params":  {"params": map[string]any{"object": "o", "object_id": "1", "subject_type": "s"}},
		"object_id too long": {"params": map[string]any{"object": "o", "object_id": strings.Repeat("x", 65), "subject_type": "s", "subject_params": map[string]any{}}},
		"empty object":       {"params": map[string]any{"object": "", "object_id": "1", "subject_type": "s", "subject_params": map[string]any{}}},
	} {
		if code, _ := e.exapp.ocs("POST", "api/v1/notification", "admin", body); code != 500 {
			t.Errorf("%s: HTTP %d; want 500 (INotification throws)", name, code)
		}
	}
	if code, _ := e.exapp.ocs("POST", "api/v1/notification", "", good); code != 500 {
		t.Errorf("without a recipient: %d; want 500", code)
	}
	ns, err := (&Client{BaseURL: e.simURL}).Notifications(context.Background(), "admin")
	if err != nil || len(ns) != 1 || ns[0].Subject != "Redis is down" || ns[0].Message != "Check it." || ns[0].Link != "http://nc/x" || !ns[0].Shown {
		t.Fatalf("notifications = %+v, %v", ns, err)
	}
	if page := readBody(t, e.do(t, "GET", "/", "admin", nil, "")); !strings.Contains(page, "Redis is down") {
		t.Errorf("home page does not show the notification")
	}
	if page := readBody(t, e.do(t, "GET", "/", "alice", nil, "")); strings.Contains(page, "Redis is down") {
		t.Errorf("alice sees admin's notification")
	}
}

func TestSetupChecksNeedAppAPI35(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false) // AppAPI 32
	e.register(t)
	_, out := e.exapp.ocs("POST", "api/v1/setup_check", "", nil)
	if code, _ := ocsMeta(out); code != 998 {
		t.Errorf("setup_check on AppAPI 32: statuscode %v; want 998 (no such route)", code)
	}
}

// answer writes a /setup_checks answer the way a conforming ExApp does.
func answer(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write([]byte(body))
	}
}

func TestSetupChecksFollowAppAPIRules(t *testing.T) {
	e := startEnvWith(t, RouteGen3, false, func(c *Config) { c.AAVersion = "35.0.0"; c.SetupCheckTimeout = 300 * time.Millisecond })
	e.register(t)
	ctx := context.Background()
	if st := e.sim.RefreshSetupChecks(ctx); st.OptedIn || st.Refreshes != 0 {
		t.Fatalf("not opted in yet: %+v", st)
	}
	if code, _ := e.exapp.ocs("POST", "api/v1/setup_check", "", nil); code != 200 {
		t.Fatalf("opt in = %d", code)
	}
	e.exapp.setSetupHandler(answer(`{"redis":{"status":"error","text":"Redis is down.","link_url":"http://nc/x#d","link_label":"Open"},` +
		`"upstream":{"status":"success","text":"ok"},"cache":{"status":"info","text":"fyi"},` +
		`"drift":{"status":"warning","text":"Shape changed.","link_url":"/relative"},"odd":{"status":"warn","text":"?"},"bad":[1]}`))
	st := e.sim.RefreshSetupChecks(ctx)
	if len(st.Issues) != 2 || st.Issues[0].Severity != "error" || st.Issues[0].LinkURL != "http://nc/x#d" ||
		st.Issues[1].Severity != "warning" || st.Issues[1].LinkURL != "" || st.Issues[0].AppName != "Test App" {
		t.Errorf("issues = %+v", st.Issues)
	}
	if len(st.Reported) != 5 || st.Reported[0].ID != "redis" || st.Reported[4].ID != "odd" {
		t.Errorf("reported (in order) = %+v", st.Reported)
	}
	if v := strings.Join(st.Violations, "\n"); !strings.Contains(v, `"/relative"`) || !strings.Contains(v, `"warn"`) || !strings.Contains(v, `"bad"`) {
		t.Errorf("violations = %v", st.Violations)
	}
	page := readBody(t, e.do(t, "GET", "/index.php/settings/admin/overview", "admin", nil, ""))
	for _, want := range []string{"Security &amp; setup warnings", "External Apps (Errors)", "Test App: Redis is down.", `href="http://nc/x#d"`, "External Apps (Warnings)", "Shape changed."} {
		if !strings.Contains(page, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if resp := e.do(t, "GET", "/index.php/settings/admin/overview", "alice", nil, ""); resp.StatusCode != 403 {
		t.Errorf("overview as alice = %d; want 403", resp.StatusCode)
	}

	notResponding := map[string]http.HandlerFunc{
		"no Content-Length (chunked)": func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"a":`))
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte(`{"status":"success","text":"x"}}`))
		},
		"too large": answer(`{"a":{"status":"success","text":"` + strings.Repeat("x", setupCheckMaxBytes) + `"}}`),
		"too slow": func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(500 * time.Millisecond)
			answer(`{}`)(w, r)
		},
		"5xx":      func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
		"not JSON": answer(`"ok"`),
	}
	for name, h := range notResponding {
		e.exapp.setSetupHandler(h)
		st := e.sim.RefreshSetupChecks(ctx)
		if len(st.Issues) != 1 || st.Issues[0].Text != "not responding" || st.Issues[0].Severity != "warning" || len(st.Violations) != 1 {
			t.Errorf("%s: %+v", name, st)
		}
	}

	// Disabled: dropped; opted out: forgotten.
	e.exapp.setSetupHandler(answer(`{"a":{"status":"error","text":"x"}}`))
	if res := e.sim.Disable(ctx, false); res.ExitCode != 0 {
		t.Fatalf("disable: %+v", res)
	}
	if st := e.sim.RefreshSetupChecks(ctx); len(st.Issues) != 0 {
		t.Errorf("a disabled app's issues are shown: %+v", st.Issues)
	}
	if res := e.sim.Enable(ctx, false); res.ExitCode != 0 {
		t.Fatalf("enable: %+v", res)
	}
	if st := e.sim.RefreshSetupChecks(ctx); len(st.Issues) != 1 {
		t.Errorf("re-enabled: %+v", st)
	}
	e.exapp.ocs("DELETE", "api/v1/setup_check", "", nil)
	if st := (e.sim.setupState()); st.OptedIn || len(st.Issues) != 0 {
		t.Errorf("after opt-out: %+v", st)
	}
}

// TestSeedRegistersWithoutLifecycle: a seeded app authenticates at once,
// no lifecycle call reaches it, and register still runs in full.
func TestSeedRegistersWithoutLifecycle(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	c := &Client{BaseURL: e.simURL}
	if code, _ := e.exapp.cloud("cloud/users/admin/groups", "admin"); code != 401 {
		t.Fatalf("before seeding = %d; want 401", code)
	}
	if err := c.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code, out := e.exapp.cloud("cloud/users/admin/groups", "admin"); code != 200 {
		t.Errorf("seeded = %d %v", code, out)
	}
	if len(e.exapp.Events()) != 0 {
		t.Errorf("seeding called the ExApp: %v", e.exapp.Events())
	}
	e.register(t)
	if ev := strings.Join(e.exapp.Events(), ","); !strings.Contains(ev, "init") || !strings.Contains(ev, "enabled=1") {
		t.Errorf("register after seed: events %s", ev)
	}
	if res := e.sim.Register(context.Background(), false); res.ExitCode != 3 {
		t.Errorf("register twice = %d; want 3 (already registered)", res.ExitCode)
	}
}
