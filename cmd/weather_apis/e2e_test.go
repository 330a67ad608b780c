package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapisim"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

func decodeEnvelope(tb testing.TB, resp *http.Response) envelope.Wire {
	tb.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		tb.Fatalf("Content-Type = %q; body %q", ct, b)
	}
	var w envelope.Wire
	if err := json.Unmarshal(b, &w); err != nil {
		tb.Fatalf("not an envelope: %v: %q", err, b)
	}
	return w
}

// TestLifecycleEndToEnd walks what an admin does with a real Nextcloud:
// register → init → enable → proxied admin request → occ command → disable
// → unregister, with the real binary, the simulator, Redis and the DRF demo
// as separate processes.
func TestLifecycleEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{Unregistered: true})
	sim := &appapisim.Client{BaseURL: s.SimURL}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	res, err := sim.Lifecycle(ctx, "register", false, false)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("register = %+v, %v", res, err)
	}
	st, err := sim.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.App.Enabled || st.App.Status.Init != 100 || st.App.Status.Error != "" {
		t.Fatalf("after register: enabled=%v status=%+v", st.App.Enabled, st.App.Status)
	}
	if len(st.App.OccCommands) != 7 {
		t.Errorf("registered %d occ commands; want 7", len(st.App.OccCommands))
	}
	if len(st.App.TopMenus) != 1 || st.App.TopMenus[0].AdminRequired != 1 {
		t.Errorf("top menus = %+v; want one admin-only entry", st.App.TopMenus)
	}
	if len(st.App.Scripts) != 1 || len(st.App.Styles) != 1 || len(st.App.InitialStates) != 1 || len(st.App.SettingsForms) != 1 {
		t.Errorf("scripts=%d styles=%d states=%d forms=%d; want 1 each", len(st.App.Scripts), len(st.App.Styles), len(st.App.InitialStates), len(st.App.SettingsForms))
	}
	// Progress went up to 100 through the OCS status endpoint.
	calls, _ := sim.Calls(ctx, "ex-app/status")
	if len(calls) < 2 {
		t.Errorf("status calls = %d; want progress reports", len(calls))
	}

	// Proxied admin request: MISS or HIT (init warms the schema), then HIT.
	resp := s.Proxy(t, "GET", "/api/v1/admin/farms/schema", "admin", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("proxied schema = %d", resp.StatusCode)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q: AppAPI would make the answer browser-cacheable", resp.Header.Get("Cache-Control"))
	}
	w := decodeEnvelope(t, resp)
	if w.Error != nil || w.Version.Schema == nil || *w.Version.Schema != "1" {
		t.Errorf("schema envelope = %+v", w)
	}
	resp = s.Proxy(t, "GET", "/api/v1/admin/farms/schema", "admin", nil, map[string]string{"AA-REQUEST-ID": "spoofed"})
	if got := resp.Header.Get("X-Cache"); got != "HIT" {
		t.Errorf("second read X-Cache = %q; want HIT", got)
	}
	if w := decodeEnvelope(t, resp); w.Source != envelope.SourceCache || w.RequestID == "spoofed" {
		t.Errorf("second read source=%q request_id=%q", w.Source, w.RequestID)
	}
	// Access levels are AppAPI's: a normal user and anonymous get its 404.
	for _, user := range []string{"alice", ""} {
		resp := s.Proxy(t, "GET", "/api/v1/admin/farms/schema", user, nil, nil)
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("as %q: status %d; want AppAPI's 404", user, resp.StatusCode)
		}
	}
	// Integration routes fail closed without credentials.
	resp = s.Proxy(t, "GET", "/api/v1/farms/1/state", "", nil, nil)
	if w := decodeEnvelope(t, resp); resp.StatusCode != 401 || w.Error == nil || w.Error.Code != envelope.CodeUnauthenticated {
		t.Errorf("anonymous farm state = %d %+v; want 401 UNAUTHENTICATED", resp.StatusCode, w.Error)
	}

	// The admin UI bundle is served through the proxy to users, with a
	// JavaScript content type (the top-menu page loads it).
	resp = s.Proxy(t, "GET", "/js/weather_apis-main.js", "alice", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("UI script = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// occ, the way AppAPI runs it.
	out, err := sim.Occ(ctx, "weather_apis:doctor")
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("occ doctor = %+v, %v", out, err)
	}
	for _, want := range []string{"appapi_route", "redis", "upstream_token", "upstream", "cache", "Verdict: Every layer is healthy."} {
		if !strings.Contains(out.Stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out.Stdout)
		}
	}
	out, _ = sim.Occ(ctx, "weather_apis:cache:flush", "--route=nope")
	if out.ExitCode != 1 {
		t.Errorf("flush of an unknown route exit = %d; want 1", out.ExitCode)
	}
	out, _ = sim.Occ(ctx, "weather_apis:cache:flush", "--route=farm_schema")
	if out.ExitCode != 0 || !strings.Contains(out.Stdout, "Flushed: farm_schema") {
		t.Errorf("flush = %+v", out)
	}
	resp = s.Proxy(t, "GET", "/api/v1/admin/farms/schema", "admin", nil, nil)
	resp.Body.Close()
	if got := resp.Header.Get("X-Cache"); got != "MISS" {
		t.Errorf("after flush X-Cache = %q; want MISS", got)
	}

	// Disable removes every registration; the occ commands are gone.
	res, err = sim.Lifecycle(ctx, "disable", false, false)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("disable = %+v, %v", res, err)
	}
	st, _ = sim.State(ctx)
	if st.App.Enabled || len(st.App.OccCommands) != 0 || len(st.App.TopMenus) != 0 || len(st.App.Scripts) != 0 || len(st.App.SettingsForms) != 0 {
		t.Errorf("after disable: enabled=%v occ=%d menus=%d scripts=%d forms=%d", st.App.Enabled, len(st.App.OccCommands), len(st.App.TopMenus), len(st.App.Scripts), len(st.App.SettingsForms))
	}
	if out, _ := sim.Occ(ctx, "weather_apis:doctor"); out.ExitCode == 0 {
		t.Errorf("occ command still runs after disable")
	}
	resp = s.Proxy(t, "GET", "/api/v1/admin/ping", "admin", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("proxy to a disabled app = %d; want 404", resp.StatusCode)
	}
	res, err = sim.Lifecycle(ctx, "enable", false, false)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("re-enable = %+v, %v", res, err)
	}
	res, err = sim.Lifecycle(ctx, "unregister", false, false)
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("unregister = %+v, %v", res, err)
	}
	st, _ = sim.State(ctx)
	if st.App.Registered {
		t.Errorf("still registered after unregister")
	}
	// The ExApp is still healthy and exits cleanly on SIGTERM.
	if err := s.Apps[0].Signal(t, syscall.SIGTERM, 15*time.Second); err != nil {
		t.Errorf("exit after SIGTERM = %v; want 0", err)
	}
}

// TestHaRPSocketMode: with HP_SHARED_KEY the app listens on HP_EXAPP_SOCK
// only; the simulator reaches it there like HaRP through frpc, and SIGTERM
// removes the socket.
func TestHaRPSocketMode(t *testing.T) {
	s := newStack(t, stackOptions{Socket: true, Unregistered: true})
	sim := &appapisim.Client{BaseURL: s.SimURL}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if res, err := sim.Lifecycle(ctx, "register", false, false); err != nil || res.ExitCode != 0 {
		t.Fatalf("register over the socket = %+v, %v", res, err)
	}
	if resp, err := http.Get(s.AppURL(0) + "/heartbeat"); err == nil {
		resp.Body.Close()
		t.Errorf("app also answers on TCP in socket mode")
	}
	resp := s.Proxy(t, "GET", "/api/v1/admin/ping", "admin", nil, nil)
	if w := decodeEnvelope(t, resp); resp.StatusCode != 200 || w.Error != nil {
		t.Errorf("proxied ping over the socket = %d %+v", resp.StatusCode, w.Error)
	}
	var sock string
	for _, e := range s.Apps[0].cmd.Env {
		if v, ok := strings.CutPrefix(e, "HP_EXAPP_SOCK="); ok {
			sock = v
		}
	}
	if err := s.Apps[0].Signal(t, syscall.SIGTERM, 15*time.Second); err != nil {
		t.Errorf("exit after SIGTERM = %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("socket %s left behind after shutdown (stat err %v)", sock, err)
	}
}

// TestStartupRejectsBadConfig: every problem is listed at once and the
// secret is never echoed.
func TestStartupRejectsBadConfig(t *testing.T) {
	p := startProc(t, []string{"APP_SECRET=super-secret-value", "APP_PORT=99999", "NEXTCLOUD_URL=ftp://x",
		"WEATHER_APIS_UPSTREM_URL=http://typo", "WEATHER_APIS_CACHE_TTL=soon"}, "weather_apis")
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("bad config did not stop start-up")
	}
	out := p.Output()
	if p.err == nil {
		t.Fatalf("exit 0 with bad config:\n%s", out)
	}
	for _, want := range []string{"APP_PORT", "NEXTCLOUD_URL", "WEATHER_APIS_UPSTREM_URL", "WEATHER_APIS_CACHE_TTL"} {
		if !strings.Contains(out, want) {
			t.Errorf("error output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "super-secret-value") {
		t.Errorf("secret echoed:\n%s", out)
	}
}

// TestMetricsListener: Prometheus metrics are on their own listener, never
// on the AppAPI-facing port. The binary binds WEATHER_APIS_METRICS_ADDR
// itself here (port 0: the kernel picks one, the log says which).
func TestMetricsListener(t *testing.T) {
	s := newStack(t, stackOptions{ExtraEnv: []string{"WEATHER_APIS_METRICS_ADDR=127.0.0.1:0"}})
	port := loggedMetricsPort(t, s.Apps[0])
	resp := s.Direct(t, 0, "GET", "/api/v1/admin/ping", "admin", nil)
	resp.Body.Close()
	resp = s.Direct(t, 0, "GET", "/api/v1/admin/farms", "", nil) // refused: no user
	resp.Body.Close()
	waitHTTP(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/metrics")
	r, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{`weather_apis_requests_total{method="GET",route="ping",source="local",status="200"} 1`,
		`weather_apis_auth_failures_total{reason="no_user"} 1`, "weather_apis_breaker_state", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	resp = s.Direct(t, 0, "GET", "/metrics", "admin", nil)
	if w := decodeEnvelope(t, resp); resp.StatusCode != 404 || w.Error == nil {
		t.Errorf("/metrics on the AppAPI port = %d; want a 404 envelope", resp.StatusCode)
	}
}

// loggedMetricsPort waits (at most 10 s) for p's "metrics served" log line
// and returns the port it names.
func loggedMetricsPort(t *testing.T, p *proc) int {
	t.Helper()
	re := regexp.MustCompile(`msg="metrics served" [^\n]*?addr=127\.0\.0\.1:(\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(p.Output()); m != nil {
			port, _ := strconv.Atoi(m[1])
			return port
		}
		if time.Now().After(deadline) {
			t.Fatalf("no \"metrics served\" line in the log:\n%s", tail(p.Output(), 2000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
