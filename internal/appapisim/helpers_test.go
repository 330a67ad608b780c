package appapisim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const testInfoXML = `<?xml version="1.0"?>
<info>
  <id>testapp</id><name>Test App</name><version>1.0.0</version>
  <external-app>
    <routes>
      <route><url>^/api/admin/.*</url><verb>GET,POST,PUT,DELETE</verb><access_level>ADMIN</access_level>
        <bruteforce_protection>[401]</bruteforce_protection></route>
      <route><url>^\/?api\/public\/.*</url><verb>GET</verb><access_level>PUBLIC</access_level>
        <headers_to_exclude>["X-Secret"]</headers_to_exclude></route>
      <route><url>^/api/.*</url><verb>GET,POST,PUT,DELETE</verb><access_level>USER</access_level></route>
      <route><url>^/page\.html$</url><verb>GET</verb><access_level>USER</access_level></route>
      <route><url>^/js/.*</url><verb>GET</verb><access_level>USER</access_level></route>
    </routes>
    <environment-variables><variable><name>BACKEND_URL</name><default>http://127.0.0.1:9</default></variable></environment-variables>
  </external-app>
</info>`

// seen is one request the test ExApp received.
type seen struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// testExApp is a minimal ExApp: lifecycle endpoints, an init goroutine that
// reports progress through the simulator, and echo routes.
type testExApp struct {
	t       *testing.T
	id      string
	secret  string
	version string
	ncURL   string
	client  *http.Client

	mu     sync.Mutex
	events []string
	reqs   []seen
	// setupChecks answers GET /setup_checks when set.
	setupChecks http.HandlerFunc
}

func (e *testExApp) event(s string) {
	e.mu.Lock()
	e.events = append(e.events, s)
	e.mu.Unlock()
}

func (e *testExApp) Events() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.events...)
}

func (e *testExApp) last(path string) (seen, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.reqs) - 1; i >= 0; i-- {
		if e.reqs[i].Path == path {
			return e.reqs[i], true
		}
	}
	return seen{}, false
}

// ocs calls the simulator as the ExApp; user may be empty.
func (e *testExApp) ocs(method, path, user string, body any) (int, map[string]any) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, e.ncURL+"/ocs/v1.php/apps/app_api/"+path, rd)
	req.Header.Set("EX-APP-ID", e.id)
	req.Header.Set("EX-APP-VERSION", e.version)
	req.Header.Set("AA-VERSION", "32.0.0")
	req.Header.Set("AUTHORIZATION-APP-API", base64.StdEncoding.EncodeToString([]byte(user+":"+e.secret)))
	req.Header.Set("OCS-APIRequest", "true")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Errorf("ocs %s %s: %v", method, path, err)
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (e *testExApp) signed(r *http.Request) bool {
	raw, _ := base64.StdEncoding.DecodeString(r.Header.Get("AUTHORIZATION-APP-API"))
	_, secret, _ := strings.Cut(string(raw), ":")
	return r.Header.Get("EX-APP-ID") == e.id && r.Header.Get("EX-APP-VERSION") != "" && secret == e.secret
}

func (e *testExApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.reqs = append(e.reqs, seen{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
	e.mu.Unlock()
	if r.URL.Path != "/heartbeat" && !e.signed(r) {
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/heartbeat":
		e.event("heartbeat")
		fmt.Fprint(w, `{"status":"ok"}`)
	case r.URL.Path == "/init":
		e.event("init")
		go func() {
			e.ocs(http.MethodPut, "ex-app/status", "", map[string]any{"progress": 50})
			e.event("status100:start")
			code, _ := e.ocs(http.MethodPut, "ex-app/status", "", map[string]any{"progress": 100})
			e.event(fmt.Sprintf("status100:done:%d", code))
		}()
		fmt.Fprint(w, `{}`)
	case r.URL.Path == "/enabled":
		en := r.URL.Query().Get("enabled")
		e.event("enabled=" + en)
		e.onEnabled(en == "1")
		fmt.Fprint(w, `{"error":""}`)
	case r.URL.Path == "/setup_checks" && e.setupHandler() != nil:
		e.setupHandler()(w, r)
	case strings.HasPrefix(r.URL.Path, "/occ/"):
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "ran %s with %s", r.URL.Path, body)
	default:
		e.echo(w, r, body)
	}
}

// onEnabled (un)registers UI and occ entries, like an nc_py_api app.
func (e *testExApp) onEnabled(on bool) {
	if !on {
		e.ocs(http.MethodDelete, "api/v1/occ_command?name=testapp:echo", "", nil)
		e.ocs(http.MethodDelete, "api/v1/ui/top-menu?name=main", "", nil)
		return
	}
	e.ocs(http.MethodPost, "api/v1/occ_command", "", map[string]any{
		"name": "testapp:echo", "description": "echo", "execute_handler": "/occ/echo",
		"arguments": []any{map[string]any{"name": "id", "mode": "optional", "description": "", "default": "none"}},
		"options": []any{map[string]any{"name": "route", "shortcut": "r", "mode": "required", "description": "", "default": nil},
			map[string]any{"name": "dry-run", "shortcut": nil, "mode": "none", "description": ""}},
	})
	e.ocs(http.MethodPost, "api/v1/ui/top-menu", "", map[string]any{"name": "main", "displayName": "Test App", "icon": "img/app.svg", "adminRequired": 1})
	e.ocs(http.MethodPost, "api/v1/ui/script", "", map[string]any{"type": "top_menu", "name": "main", "path": "js/main"})
	e.ocs(http.MethodPost, "api/v1/ui/style", "", map[string]any{"type": "top_menu", "name": "main", "path": "css/main"})
	e.ocs(http.MethodPost, "api/v1/ui/initial-state", "", map[string]any{"type": "top_menu", "name": "main", "key": "cfg", "value": map[string]any{"a": 1}})
}

// echo answers with what it received; the path picks response headers.
func (e *testExApp) echo(w http.ResponseWriter, r *http.Request, body []byte) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/json"):
		w.Header().Set("Content-Type", "application/json")
	case strings.HasSuffix(r.URL.Path, "/jsonutf8"):
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	case strings.HasSuffix(r.URL.Path, "/cached"):
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Cache-Control", "no-store")
	case strings.HasSuffix(r.URL.Path, ".html"):
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><script src="a.js"></script><script>x()</script></html>`)
		return
	}
	w.Header().Set("EX-APP-ID", "leak")
	w.Header().Set("AA-VERSION", "leak")
	w.Header().Set("X-Custom", "kept")
	if strings.HasSuffix(r.URL.Path, "/unauthorized") {
		w.WriteHeader(http.StatusUnauthorized)
	}
	_, _ = w.Write(body)
}

// env is a running simulator + test ExApp pair.
type env struct {
	sim    *Server
	simURL string
	exapp  *testExApp
	client *http.Client
}

// startEnv starts both over loopback TCP, or the ExApp on a unix socket.
func startEnv(t *testing.T, mode RouteMode, socket bool) *env {
	t.Helper()
	return startEnvWith(t, mode, socket, nil)
}

// startEnvWith is startEnv with tune applied to the simulator's Config.
func startEnvWith(t *testing.T, mode RouteMode, socket bool, tune func(*Config)) *env {
	t.Helper()
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var exLn net.Listener
	cfg := Config{RouteMode: mode, HeartbeatAttempts: 20, HeartbeatInterval: 20 * time.Millisecond,
		InitTimeout: 10 * time.Second, BruteforceThreshold: 2, BruteforceBaseDelay: time.Millisecond,
		BruteforceMaxDelay: 5 * time.Millisecond, HarpBanCount: -1, AppSecret: GenerateSecret(128)}
	if socket {
		cfg.ExAppSocket = filepath.Join(t.TempDir(), "exapp.sock")
		exLn, err = net.Listen("unix", cfg.ExAppSocket)
	} else {
		exLn, err = net.Listen("tcp", "127.0.0.1:0")
		cfg.ExAppURL = "http://" + exLn.Addr().String()
	}
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(&cfg)
	}
	info, err := ParseAppInfo([]byte(testInfoXML))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = simLn.Addr().String()
	sim, err := NewWithInfo(cfg, info)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ex := &testExApp{t: t, id: "testapp", secret: cfg.AppSecret, version: "1.0.0", ncURL: "http://" + cfg.Listen, client: hc}
	ctx, cancel := context.WithCancel(context.Background())
	exSrv := &http.Server{Handler: ex}
	done := make(chan struct{}, 2)
	go func() { _ = exSrv.Serve(exLn); done <- struct{}{} }()
	go func() { _ = sim.Serve(ctx, simLn); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		_ = exSrv.Close()
		<-done
		<-done
	})
	return &env{sim: sim, simURL: "http://" + cfg.Listen, exapp: ex, client: hc}
}

// register runs the lifecycle and fails the test unless it succeeded.
func (e *env) register(t *testing.T) {
	t.Helper()
	res := e.sim.Register(context.Background(), false)
	if res.ExitCode != 0 {
		t.Fatalf("register: exit %d: %s", res.ExitCode, res.Output)
	}
}

// get sends a request to the simulator as user ("" = anonymous).
func (e *env) do(t *testing.T, method, path, user string, hdr map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.simURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, user)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func (e *testExApp) setupHandler() http.HandlerFunc {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.setupChecks
}

func (e *testExApp) setSetupHandler(h http.HandlerFunc) {
	e.mu.Lock()
	e.setupChecks = h
	e.mu.Unlock()
}
