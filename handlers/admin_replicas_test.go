package handlers_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/handlers"
	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/appapisim"
	"github.com/weather-apis/weather_apis/internal/exapp"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestAdminRemovalReachesEveryReplica: two replicas share Redis and ask
// the AppAPI simulator (Nextcloud) whether a user is an administrator. A
// user removed from the admin group is refused (403) on both within the
// TTL, and the replicas share Nextcloud's answers instead of asking once
// each.
func TestAdminRemovalReachesEveryReplica(t *testing.T) {
	const ttl = time.Second
	r := testenv.StartRedis(t)
	ctx := context.Background()

	// Replica A is the ExApp the simulator registers (heartbeat, init,
	// enable); B only shares its secret and Redis.
	simLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	secret := appapisim.GenerateSecret(64)
	var replicas [2]*httptest.Server
	for i := range replicas {
		rdb := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true})
		t.Cleanup(func() { rdb.Close() })
		c := appapi.Credentials{AppID: testAppID, AppVersion: testVersion, AAVersion: "32.0.0", Secret: secret}
		nc, err := nextcloud.New(nextcloud.Options{BaseURL: "http://" + simLn.Addr().String(), Creds: c, MaxRetries: 1, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		d := fakeDeps()
		d.Verifier = appapi.NewVerifier(testAppID, secret)
		d.Admins = nextcloud.NewAdmins(nc, nextcloud.AdminsOptions{Redis: rdb, KeyPrefix: testAppID, TTL: ttl})
		d.Lifecycle = exapp.New(exapp.Options{NC: nc, DisplayName: "weather_apis", AppVersion: testVersion})
		s, err := handlers.New(d)
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = httptest.NewServer(s.Handler())
		t.Cleanup(replicas[i].Close)
	}
	sim, err := appapisim.New(appapisim.Config{Listen: simLn.Addr().String(), InfoXML: "../appinfo/info.xml", AppSecret: secret,
		ExAppURL: replicas[0].URL, HeartbeatInterval: 20 * time.Millisecond, HeartbeatAttempts: 50, InitTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	go func() { _ = sim.Serve(sctx, simLn) }()
	t.Cleanup(cancel)
	if res := sim.Register(ctx, false); res.ExitCode != 0 {
		t.Fatalf("register: %+v", res)
	}

	ping := func(i int, user string) int {
		req, _ := http.NewRequest("GET", replicas[i].URL+"/api/v1/admin/ping", nil)
		appapi.Credentials{AppID: testAppID, AppVersion: testVersion, AAVersion: "32.0.0", Secret: secret}.Sign(req.Header, user)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	simc := &appapisim.Client{BaseURL: "http://" + simLn.Addr().String()}
	if err := simc.SetGroupMember(ctx, "alice", "admin", true); err != nil {
		t.Fatal(err)
	}
	_ = simc.ClearCalls(ctx)
	for i := range replicas {
		if got := ping(i, "alice"); got != 200 {
			t.Fatalf("replica %d: alice in admin = %d; want 200", i, got)
		}
	}
	if calls, _ := simc.Calls(ctx, "/cloud/users/alice/groups"); len(calls) != 1 || calls[0].User != "alice" {
		t.Errorf("Nextcloud was asked %d times (%+v); want once, as alice, shared by both replicas", len(calls), calls)
	}

	if err := simc.SetGroupMember(ctx, "alice", "admin", false); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	for i := range replicas {
		for ping(i, "alice") != 403 {
			if time.Since(removed) > ttl+2*time.Second {
				t.Fatalf("replica %d still lets alice in %v after her removal from admin (TTL %v)", i, time.Since(removed), ttl)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("both replicas refused alice %v after her removal (TTL %v)", time.Since(removed).Round(time.Millisecond), ttl)
	if got := ping(1, "admin"); got != 200 {
		t.Errorf("admin = %d; want 200", got)
	}
	if got := ping(0, "nobody"); got != 503 {
		// AppAPI refuses to act for a user Nextcloud does not know: fail closed.
		t.Errorf("unknown user = %d; want 503", got)
	}
}
