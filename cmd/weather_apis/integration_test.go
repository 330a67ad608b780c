package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/appapisim"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/openapi"
)

// TestIntegrationCredentialsThroughAppAPI: an admin creates an API key in
// Nextcloud (admin API), an integration uses it through AppAPI's proxy with
// X-API-Key, scopes are enforced, revocation is immediate, and every
// exchange agrees with the served OpenAPI document.
func TestIntegrationCredentialsThroughAppAPI(t *testing.T) {
	s := newStack(t, stackOptions{Unregistered: true})
	sim := &appapisim.Client{BaseURL: s.SimURL}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if res, err := sim.Lifecycle(ctx, "register", false, false); err != nil || res.ExitCode != 0 {
		t.Fatalf("register = %+v, %v", res, err)
	}

	// The OpenAPI document is served raw and is valid OpenAPI 3.1.
	resp := s.Proxy(t, "GET", "/api/v1/openapi.json", "", nil, nil)
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi.json = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if _, err := openapi.Load(doc); err != nil {
		t.Fatalf("served OpenAPI document is invalid: %v", err)
	}
	val, err := openapi.NewValidator(doc)
	if err != nil {
		t.Fatal(err)
	}
	// call sends one request through the proxy and checks the exchange
	// against the document.
	call := func(method, path, user, body string, hdr map[string]string) (int, envelope.Wire, http.Header) {
		t.Helper()
		var rb io.Reader
		if body != "" {
			rb = strings.NewReader(body)
			if hdr == nil {
				hdr = map[string]string{}
			}
			hdr["Content-Type"] = "application/json"
		}
		resp := s.Proxy(t, method, path, user, rb, hdr)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		req, _ := http.NewRequest(method, "http://x/index.php/apps/app_api/proxy/weather_apis"+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		if err := val.Check(req, []byte(body), resp.StatusCode, resp.Header, raw); err != nil {
			t.Errorf("%s %s does not match the OpenAPI document: %v", method, path, err)
		}
		var w envelope.Wire
		if err := json.Unmarshal(raw, &w); err != nil {
			t.Fatalf("%s %s: not an envelope: %q", method, path, raw)
		}
		return resp.StatusCode, w, resp.Header
	}

	status, w, _ := call("POST", "/api/v1/admin/credentials", "admin", `{"name":"ndvi","type":"api_key","scopes":["farms:state:read"]}`, nil)
	if status != 201 {
		t.Fatalf("create credential = %d %+v", status, w.Error)
	}
	var created struct {
		ID, Secret string
	}
	_ = json.Unmarshal(w.Data, &created)
	if !strings.HasPrefix(created.Secret, "wak_") {
		t.Fatalf("secret %q does not have the API key prefix", created.Secret)
	}
	key := map[string]string{"X-API-Key": created.Secret}
	// A typo: the last (checksum) character changed to one it is not.
	typo := created.Secret[:len(created.Secret)-1] + "x"
	if typo == created.Secret {
		typo = created.Secret[:len(created.Secret)-1] + "y"
	}

	cases := []struct {
		name       string
		method     string
		path       string
		hdr        map[string]string
		body       string
		wantStatus int
		wantCode   envelope.Code
	}{
		{"valid key, right scope", "GET", "/api/v1/farms/1/state", key, "", 200, ""},
		{"valid key, wrong scope", "GET", "/api/v1/observations", key, "", 403, envelope.CodeForbidden},
		{"valid key, write scope missing", "PUT", "/api/v1/farms/1/state", key, `{"farm":1,"ndvi":0.5,"observed_at":"2026-11-01T00:00:00Z","source":"t","tiles":[]}`, 403, envelope.CodeForbidden},
		{"no credential", "GET", "/api/v1/farms/1/state", nil, "", 401, envelope.CodeUnauthenticated},
		{"typo in the key (checksum)", "GET", "/api/v1/farms/1/state", map[string]string{"X-API-Key": typo}, "", 401, envelope.CodeUnauthenticated},
	}
	for _, tc := range cases {
		status, w, h := call(tc.method, tc.path, "", tc.body, tc.hdr)
		if status != tc.wantStatus {
			t.Errorf("%s: status %d; want %d (%+v)", tc.name, status, tc.wantStatus, w.Error)
			continue
		}
		if tc.wantCode != "" && (w.Error == nil || w.Error.Code != tc.wantCode) {
			t.Errorf("%s: error %+v; want %s", tc.name, w.Error, tc.wantCode)
		}
		if status == 401 && h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
	}

	// occ lists it without the secret and revokes it; the next use is refused.
	out, err := sim.Occ(ctx, "weather_apis:credentials:list")
	if err != nil || out.ExitCode != 0 || !strings.Contains(out.Stdout, created.ID) || strings.Contains(out.Stdout, created.Secret) {
		t.Fatalf("credentials:list = %+v, %v", out, err)
	}
	out, err = sim.Occ(ctx, "weather_apis:credentials:revoke", created.ID)
	if err != nil || out.ExitCode != 0 {
		t.Fatalf("credentials:revoke = %+v, %v", out, err)
	}
	if status, w, _ := call("GET", "/api/v1/farms/1/state", "", "", key); status != 401 || w.Error == nil || w.Error.Code != envelope.CodeUnauthenticated {
		t.Errorf("revoked key = %d %+v; want 401", status, w.Error)
	}
	out, _ = sim.Occ(ctx, "weather_apis:credentials:create", "--name=station", "--type=integration_token", "--scopes=observations:read,observations:write", "--expires=24h")
	if out.ExitCode != 0 || !strings.Contains(out.Stdout, "wit_") {
		t.Errorf("credentials:create = %+v", out)
	}
	out, _ = sim.Occ(ctx, "weather_apis:credentials:create", "--name=bad", "--scopes=farms:everything")
	if out.ExitCode != 1 {
		t.Errorf("create with an unknown scope exit = %d; want 1", out.ExitCode)
	}
}

// TestRevocationReachesOtherReplicas: a credential revoked on one process
// is refused by another process within a second.
func TestRevocationReachesOtherReplicas(t *testing.T) {
	s := newStack(t, stackOptions{Replicas: 2})
	resp := s.Direct(t, 0, "POST", "/api/v1/admin/credentials", "admin",
		strings.NewReader(`{"name":"ndvi","type":"integration_token","scopes":["farms:state:read"],"expires_in":"1h"}`))
	var w envelope.Wire
	_ = json.NewDecoder(resp.Body).Decode(&w)
	resp.Body.Close()
	var c struct{ ID, Secret string }
	_ = json.Unmarshal(w.Data, &c)
	if resp.StatusCode != 201 || !strings.HasPrefix(c.Secret, "wit_") {
		t.Fatalf("create = %d %+v", resp.StatusCode, w.Error)
	}
	get := func(replica int) int {
		req, _ := http.NewRequest("GET", s.AppURL(replica)+"/api/v1/farms/1/state", nil)
		appapi.Credentials{AppID: "weather_apis", AppVersion: "1.0.0", AAVersion: "32.0.0", Secret: s.Secret}.Sign(req.Header, "")
		req.Header.Set("X-API-Key", c.Secret)
		req.Header.Set("X-Origin-IP", "10.9.8.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := get(1); st != 200 {
		t.Fatalf("token on the other replica = %d; want 200", st)
	}
	resp = s.Direct(t, 0, "DELETE", "/api/v1/admin/credentials/"+c.ID, "admin", nil)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke = %d", resp.StatusCode)
	}
	revoked := time.Now()
	for get(1) != 401 {
		if time.Since(revoked) > time.Second {
			t.Fatalf("replica 1 still accepts the token %v after revocation on replica 0", time.Since(revoked))
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("replica 1 refused the revoked token %v after revocation", time.Since(revoked))
}
