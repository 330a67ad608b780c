package appapisim

import (
	"slices"
	"strings"
	"testing"
)

func TestRegisterOrder(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	ev := e.exapp.Events()
	want := []string{"heartbeat", "init", "status100:start", "heartbeat", "enabled=1", "status100:done:200"}
	if !slices.Equal(ev, want) {
		t.Fatalf("events = %v, want %v", ev, want)
	}
	st := e.sim.State().App
	if !st.Enabled || st.Status.Init != 100 || st.Status.Type != "" || st.Status.Error != "" {
		t.Errorf("state after register = %+v", st.Status)
	}
	if len(st.OccCommands) != 1 || len(st.TopMenus) != 1 || len(st.Scripts) != 1 {
		t.Errorf("registrations missing: %+v", st)
	}
	init, _ := e.exapp.last("/init")
	if init.Method != "POST" || init.Body != "" || init.Header.Get("AA-REQUEST-ID") != "CLI" {
		t.Errorf("init call = %+v", init)
	}
	hb, _ := e.exapp.last("/heartbeat")
	if hb.Header.Get("AUTHORIZATION-APP-API") != "" {
		t.Error("TCP heartbeat must be unsigned")
	}
	if res := e.sim.Register(t.Context(), false); res.ExitCode != 3 {
		t.Errorf("second register exit = %d, want 3", res.ExitCode)
	}
}

func TestDisableEnableUnregister(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.register(t)
	res := e.sim.Disable(t.Context(), false)
	if res.ExitCode != 0 || res.Enabled {
		t.Fatalf("disable: %+v", res)
	}
	// The ExApp's unregister calls during /enabled?enabled=0 must have passed.
	if n := len(e.sim.State().App.OccCommands); n != 0 {
		t.Errorf("occ commands after disable = %d, want 0", n)
	}
	if res := e.sim.Disable(t.Context(), false); !strings.Contains(res.Output, "already disabled") {
		t.Errorf("second disable: %q", res.Output)
	}
	if res := e.sim.Enable(t.Context(), false); res.ExitCode != 0 || !res.Enabled {
		t.Fatalf("enable: %+v", res)
	}
	if n := len(e.sim.State().App.OccCommands); n != 1 {
		t.Errorf("occ commands after enable = %d, want 1", n)
	}
	e.exapp.ocs("POST", "api/v1/ex-app/config", "", map[string]any{"configKey": "k", "configValue": "v"})
	if res := e.sim.Unregister(t.Context(), false); res.ExitCode != 0 {
		t.Fatalf("unregister: %+v", res)
	}
	st := e.sim.State().App
	if st.Registered || len(st.TopMenus) != 0 || st.AppConfig["k"].Value != "v" {
		t.Errorf("after unregister: %+v", st)
	}
	if res := e.sim.Unregister(t.Context(), false); res.ExitCode != 1 {
		t.Errorf("unregister unknown: exit %d", res.ExitCode)
	}
}

func TestRegisterHeartbeatFails(t *testing.T) {
	t.Parallel()
	e := startEnv(t, RouteGen3, false)
	e.sim.exapp.base.Host = "127.0.0.1:1"
	res := e.sim.Register(t.Context(), false)
	if res.ExitCode != 1 || res.Status.Error != "Heartbeat check failed" {
		t.Errorf("register = %+v", res)
	}
}
