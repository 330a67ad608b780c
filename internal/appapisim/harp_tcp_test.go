package appapisim

import (
	"net/url"
	"testing"
)

// TestHarpOverTCP: a HaRP shared key with an ExApp URL (no socket) signs
// every AA-originated call as under HaRP, with ex-app-port the URL's port,
// which is how a test points the simulator at the port a real frps opened
// for the ExApp's frpc. Without the key, the same URL is a manual daemon.
func TestHarpOverTCP(t *testing.T) {
	t.Parallel()
	e := startEnvWith(t, RouteGen3, false, func(c *Config) { c.HarpSharedKey = "tcp-harp-key" })
	e.register(t)
	u, err := url.Parse(e.sim.cfg.ExAppURL)
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := e.exapp.last("/heartbeat")
	if !e.exapp.signed(toRequest(hb)) || hb.Header.Get("AA-VERSION") != "32" ||
		hb.Header.Get("harp-shared-key") != "tcp-harp-key" || hb.Header.Get("ex-app-port") != u.Port() {
		t.Errorf("HaRP-over-TCP heartbeat headers = %v", hb.Header)
	}
	if resp := e.do(t, "GET", proxyBase+"api/farms", "alice", nil, ""); resp.StatusCode != 200 {
		t.Errorf("PHP proxy, HaRP over TCP = %d", resp.StatusCode)
	}
	if got, _ := e.exapp.last("/api/farms"); got.Header.Get("AA-VERSION") != "32" || got.Header.Get("harp-shared-key") != "tcp-harp-key" {
		t.Errorf("proxied headers, HaRP over TCP = %v", got.Header)
	}
	if tr := e.sim.ExAppEnv()["HP_EXAPP_SOCK"]; tr != "" {
		t.Errorf("HP_EXAPP_SOCK = %q without a socket", tr)
	}

	plainEnv := startEnv(t, RouteGen3, false)
	plainEnv.register(t)
	hb, _ = plainEnv.exapp.last("/heartbeat")
	if hb.Header.Get("harp-shared-key") != "" || hb.Header.Get("AUTHORIZATION-APP-API") != "" {
		t.Errorf("manual-daemon heartbeat carries HaRP or AA headers: %v", hb.Header)
	}
}
