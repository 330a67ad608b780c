package nextcloud_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

type seenReq struct {
	method, path, query, user string
	body                      map[string]any
}

// recorder answers OCS with data for every path and records requests.
func recorder(t *testing.T, data map[string]any, statuscode map[string]int) (*httptest.Server, func() []seenReq) {
	var mu sync.Mutex
	var seen []seenReq
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := appapi.NewVerifier("weather_apis", "sekret").Verify(r.Header)
		if err != nil {
			t.Errorf("%s %s not signed: %v", r.Method, r.URL.Path, err)
		}
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		mu.Lock()
		seen = append(seen, seenReq{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, id.UserID, body})
		mu.Unlock()
		sc := 100
		if c, ok := statuscode[r.Method+" "+r.URL.Path]; ok {
			sc = c
		}
		ocs(w, 200, sc, data[r.URL.Path])
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seenReq { mu.Lock(); defer mu.Unlock(); return append([]seenReq(nil), seen...) }
}

func TestNextcloudSurfaceCalls(t *testing.T) {
	t.Parallel()
	srv, seen := recorder(t, map[string]any{
		"/ocs/v1.php/cloud/users/jane doe/groups":                     map[string]any{"groups": []string{"admin"}},
		"/ocs/v1.php/cloud/groups/admin/users":                        map[string]any{"users": []string{"root", "jane doe"}},
		"/ocs/v1.php/apps/app_api/api/v1/users":                       []string{"root", "jane doe", "bob"},
		"/ocs/v1.php/apps/app_api/api/v1/info/nextcloud_url/absolute": map[string]any{"absolute_url": "https://cloud.example/index.php/x"},
		"/ocs/v1.php/apps/app_api/ex-app/state":                       1,
	}, map[string]int{"DELETE /ocs/v1.php/apps/app_api/api/v1/setup_check": 998})
	c := newClient(t, srv.URL)
	ctx := context.Background()
	if g, err := c.UserGroups(ctx, "jane doe"); err != nil || len(g) != 1 || g[0] != "admin" {
		t.Errorf("UserGroups = %v, %v", g, err)
	}
	if u, err := c.GroupMembers(ctx, "root", "admin"); err != nil || len(u) != 2 {
		t.Errorf("GroupMembers = %v, %v", u, err)
	}
	if u, err := c.Users(ctx); err != nil || len(u) != 3 {
		t.Errorf("Users = %v, %v", u, err)
	}
	if u, err := c.AbsoluteURL(ctx, "index.php/x"); err != nil || u != "https://cloud.example/index.php/x" {
		t.Errorf("AbsoluteURL = %q, %v", u, err)
	}
	if on, err := c.ExAppEnabled(ctx); err != nil || !on {
		t.Errorf("ExAppEnabled = %v, %v", on, err)
	}
	if err := c.Notify(ctx, "root", nextcloud.Notification{ObjectType: "weather_apis_layer", ObjectID: "redis-failing-1", Subject: "Redis is unreachable", Message: "m", Link: "https://l"}); err != nil {
		t.Errorf("Notify: %v", err)
	}
	if err := c.RegisterSetupChecks(ctx); err != nil {
		t.Errorf("RegisterSetupChecks: %v", err)
	}
	if err := c.UnregisterSetupChecks(ctx); err != nil {
		t.Errorf("UnregisterSetupChecks on an AppAPI without them (998) = %v; want nil", err)
	}
	got := seen()
	want := []struct{ method, path, user string }{
		{"GET", "/ocs/v1.php/cloud/users/jane%20doe/groups", "jane doe"},
		{"GET", "/ocs/v1.php/cloud/groups/admin/users", "root"},
		{"GET", "/ocs/v1.php/apps/app_api/api/v1/users", ""},
		{"GET", "/ocs/v1.php/apps/app_api/api/v1/info/nextcloud_url/absolute", ""},
		{"GET", "/ocs/v1.php/apps/app_api/ex-app/state", ""},
		{"POST", "/ocs/v1.php/apps/app_api/api/v1/notification", "root"},
		{"POST", "/ocs/v1.php/apps/app_api/api/v1/setup_check", ""},
		{"DELETE", "/ocs/v1.php/apps/app_api/api/v1/setup_check", ""},
	}
	if len(got) != len(want) {
		t.Fatalf("requests = %+v", got)
	}
	for i, w := range want {
		if got[i].method != w.method || got[i].path != w.path || got[i].user != w.user {
			t.Errorf("request %d = %s %s as %q; want %s %s as %q", i, got[i].method, got[i].path, got[i].user, w.method, w.path, w.user)
		}
	}
	// The body nc_py_api's notifications.create sends.
	p, _ := got[5].body["params"].(map[string]any)
	sp, _ := p["subject_params"].(map[string]any)
	if p["object"] != "weather_apis_layer" || p["object_id"] != "redis-failing-1" || p["subject_type"] != "app_api_ex_app" ||
		sp["rich_subject"] != "Redis is unreachable" || sp["rich_message"] != "m" || sp["link"] != "https://l" {
		t.Errorf("notification body = %v", got[5].body)
	}
	if _, ok := sp["rich_subject_params"].(map[string]any); !ok {
		t.Errorf("rich_subject_params must be an object: %v", sp)
	}
}
