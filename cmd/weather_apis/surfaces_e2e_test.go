package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapisim"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

// TestSetupChecksAndAdminEndToEnd: with an AppAPI that has setup checks
// (Nextcloud 35), enabling opts in, AppAPI's background job gets one check
// per layer within its rules, disabling opts out; and a user removed from
// Nextcloud's admin group is refused by the real binary within the 30 s
// admin-check TTL.
func TestSetupChecksAndAdminEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{Unregistered: true, SimArgs: []string{"-aa-version", "35.0.0"}})
	sim := &appapisim.Client{BaseURL: s.SimURL}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if res, err := sim.Lifecycle(ctx, "register", false, false); err != nil || res.ExitCode != 0 {
		t.Fatalf("register = %+v, %v", res, err)
	}
	st, err := sim.SetupChecks(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if !st.OptedIn || len(st.Violations) != 0 || st.Took > 1000 {
		t.Fatalf("setup checks = %+v; want opted in, no rule broken, answered within 1 s", st)
	}
	ids := []string{}
	for _, c := range st.Reported {
		t.Logf("setup check %s: %s: %s", c.ID, c.Status, c.Text)
		ids = append(ids, c.ID)
		if c.Status != "success" && !strings.HasPrefix(c.LinkURL, s.SimURL+"/index.php/apps/app_api/embedded/weather_apis/weather_apis#diagnostics") {
			t.Errorf("check %s (%s) links to %q", c.ID, c.Status, c.LinkURL)
		}
	}
	if strings.Join(ids, ",") != "redis,upstream_token,upstream,contract,cache,credentials,configuration" {
		t.Errorf("checks = %v", ids)
	}
	for _, c := range st.Reported[:6] {
		if c.Status != "success" && c.Status != "info" {
			t.Errorf("on a healthy stack %s = %s: %s", c.ID, c.Status, c.Text)
		}
	}

	// Admin membership comes from Nextcloud, not from the signature.
	if err := sim.SetGroupMember(ctx, "alice", "admin", true); err != nil {
		t.Fatal(err)
	}
	resp := s.Direct(t, 0, "GET", "/api/v1/admin/ping", "alice", nil)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("alice as an admin = %d", resp.StatusCode)
	}
	if err := sim.SetGroupMember(ctx, "alice", "admin", false); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	for {
		resp := s.Direct(t, 0, "GET", "/api/v1/admin/ping", "alice", nil)
		w := decodeEnvelope(t, resp)
		if resp.StatusCode == 403 && w.Error != nil && w.Error.Code == envelope.CodeForbidden {
			break
		}
		if resp.StatusCode != 200 || time.Since(removed) > 31*time.Second {
			t.Fatalf("alice %v after her removal from admin = %d %+v; want 200 then 403 within 30 s", time.Since(removed), resp.StatusCode, w.Error)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("refused %v after the removal", time.Since(removed).Round(time.Second))

	if res, err := sim.Lifecycle(ctx, "disable", false, false); err != nil || res.ExitCode != 0 {
		t.Fatalf("disable = %+v, %v", res, err)
	}
	if st, _ := sim.SetupChecks(ctx, false); st.OptedIn {
		t.Errorf("still opted in after disable")
	}
}
