package appapisim

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestEmbeddedPage(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	page := "/index.php/apps/app_api/embedded/testapp/main"
	resp := e.do(t, "GET", page, "admin", nil, "")
	body := readBody(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("admin page = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`data-requesttoken="`, `window._oc_webroot = ''`, `modRewriteWorking":false`, `--color-primary: #00679e`,
		`<div id="content" class="app-app_api">`, `src="/index.php/apps/app_api/proxy/testapp/js/main.js?v=1.0.0" type="module"`,
		`<link rel="stylesheet" href="/index.php/apps/app_api/proxy/testapp/css/main.css?v=1.0.0">`,
		`/index.php/apps/app_api/proxy/testapp/img/app.svg`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	m := regexp.MustCompile(`id="initial-state-app_api-cfg" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("initial state input missing")
	}
	raw, _ := base64.StdEncoding.DecodeString(m[1])
	var text string
	if err := json.Unmarshal(raw, &text); err != nil || text != `{"a":1}` {
		t.Errorf("initial state decodes to %q (%v), want the JSON text", raw, err)
	}
	if resp := e.do(t, "GET", page, "alice", nil, ""); resp.StatusCode != 404 {
		t.Errorf("adminRequired page for alice = %d, want 404", resp.StatusCode)
	}
	if resp := e.do(t, "GET", page, "", nil, ""); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/login?redirect=") {
		t.Errorf("anonymous = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if body := readBody(t, e.do(t, "GET", page+"?theme=dark", "admin", nil, "")); !strings.Contains(body, `data-themes="dark"`) {
		t.Error("dark theme not applied")
	}
}

func TestLoginSession(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	resp := e.do(t, "GET", "/login?user=alice&redirect=/x", "", nil, "")
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/x" {
		t.Fatalf("login = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cookie := resp.Cookies()[0]
	r := e.do(t, "GET", proxyBase+"api/farms", "", map[string]string{"Cookie": cookie.Name + "=" + cookie.Value}, "")
	if r.StatusCode != 200 {
		t.Errorf("proxy with session = %d", r.StatusCode)
	}
	got, _ := e.exapp.last("/api/farms")
	raw, _ := base64.StdEncoding.DecodeString(got.Header.Get("AUTHORIZATION-APP-API"))
	if !strings.HasPrefix(string(raw), "alice:") {
		t.Errorf("session user not forwarded: %q", strings.SplitN(string(raw), ":", 2)[0])
	}
	if body := readBody(t, e.do(t, "GET", "/", "", nil, "")); !strings.Contains(body, "log in as admin") {
		t.Error("index page lacks login links")
	}
}
