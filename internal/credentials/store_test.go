package credentials_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// mustRedis starts a Redis (redis-server, or miniredis under -short) and
// returns a fresh client factory.
func mustRedis(t testing.TB) func() redis.UniversalClient {
	t.Helper()
	srv := testenv.StartRedis(t)
	return func() redis.UniversalClient {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
}

func mustStore(t testing.TB, rdb redis.UniversalClient, o credentials.Options) *credentials.Store {
	t.Helper()
	s := credentials.New(rdb, o)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustCreate(t testing.TB, s *credentials.Store, body string) credentials.View {
	t.Helper()
	v, err := createJSON(s, body)
	if err != nil {
		t.Fatalf("Create(%s): %v", body, err)
	}
	return v
}

// createJSON creates a credential from a request body, as the admin route
// does.
func createJSON(s *credentials.Store, body string) (credentials.View, error) {
	req, err := credentials.DecodeCreate([]byte(body))
	if err != nil {
		return credentials.View{}, err
	}
	req.CreatedBy = "admin"
	return s.Create(context.Background(), req)
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s := mustStore(t, mustRedis(t)(), credentials.Options{})
	cases := []struct {
		name       string
		body       string
		wantCode   envelope.Code
		wantFields []string
	}{
		{"not json", `nope`, envelope.CodeBadRequest, nil},
		{"array", `[]`, envelope.CodeBadRequest, nil},
		{"two objects", `{"name":"a"} {}`, envelope.CodeBadRequest, nil},
		{"empty object", `{}`, envelope.CodeValidationFailed, []string{"name", "type", "scopes"}},
		{"unknown field", `{"name":"a","type":"api_key","scopes":["observations:read"],"admin":true}`, envelope.CodeValidationFailed, []string{"admin"}},
		{"wrong json type", `{"name":"a","type":"api_key","scopes":"observations:read"}`, envelope.CodeValidationFailed, []string{"scopes"}},
		{"unknown type", `{"name":"a","type":"password","scopes":["observations:read"]}`, envelope.CodeValidationFailed, []string{"type"}},
		{"unknown scope", `{"name":"a","type":"api_key","scopes":["farms:delete"]}`, envelope.CodeValidationFailed, []string{"scopes"}},
		{"bad cidr", `{"name":"a","type":"api_key","scopes":["observations:read"],"allow_cidrs":["10.0.0.0/33"]}`, envelope.CodeValidationFailed, []string{"allow_cidrs"}},
		{"bad duration", `{"name":"a","type":"integration_token","scopes":["observations:read"],"expires_in":"30d"}`, envelope.CodeValidationFailed, []string{"expires_in"}},
		{"too long", `{"name":"a","type":"integration_token","scopes":["observations:read"],"expires_in":"100000h"}`, envelope.CodeValidationFailed, []string{"expires_in"}},
		{"control char in name", `{"name":"a\u0007","type":"api_key","scopes":["observations:read"]}`, envelope.CodeValidationFailed, []string{"name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := createJSON(s, tc.body)
			var e *envelope.Error
			if !errors.As(err, &e) || e.Code != tc.wantCode {
				t.Fatalf("Create(%s) error = %v; want %s", tc.body, err, tc.wantCode)
			}
			if tc.wantFields == nil {
				return
			}
			details, _ := e.Details.(map[string][]string)
			for _, f := range tc.wantFields {
				if len(details[f]) == 0 {
					t.Errorf("Create(%s) details = %v; want an error for %q", tc.body, details, f)
				}
			}
		})
	}
}

func TestCreateListRevoke(t *testing.T) {
	t.Parallel()
	s := mustStore(t, mustRedis(t)(), credentials.Options{})
	ctx := context.Background()
	key := mustCreate(t, s, `{"name":"ndvi","type":"api_key","scopes":["farms:state:read","farms:state:read"],"allow_cidrs":["10.1.2.3","192.168.0.0/16"]}`)
	tok := mustCreate(t, s, `{"name":"station","type":"integration_token","scopes":["observations:write"]}`)
	if key.Secret == "" || key.ExpiresAt != nil || !reflect.DeepEqual(key.Scopes, []string{"farms:state:read"}) ||
		!reflect.DeepEqual(key.AllowCIDRs, []string{"10.1.2.3/32", "192.168.0.0/16"}) {
		t.Errorf("api key view = %+v; want secret, no expiry, deduplicated scopes, normalised CIDRs", key)
	}
	if tok.ExpiresAt == nil || tok.ExpiresAt.Sub(tok.CreatedAt) != 720*time.Hour {
		t.Errorf("integration token expires_at = %v; want created_at + 720h", tok.ExpiresAt)
	}
	if _, err := s.Verify(ctx, key.Secret); err != nil {
		t.Fatalf("Verify(new api key) = %v", err)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(list)
	var views []map[string]any
	_ = json.Unmarshal(b, &views)
	if len(views) != 2 {
		t.Fatalf("List = %s; want 2 credentials", b)
	}
	for _, v := range views {
		if _, ok := v["secret"]; ok {
			t.Errorf("List shows a secret: %s", b)
		}
		if _, ok := v["last_used_at"]; !ok {
			t.Errorf("List lacks last_used_at: %s", b)
		}
	}
	for _, v := range views { // by id: both were created in the same millisecond, so List's order may be either
		if v["id"] == key.ID && v["last_used_at"] == nil {
			t.Errorf("last_used_at of the used key is null: %s", b)
		}
	}
	rv, err := s.Revoke(ctx, key.ID)
	if err != nil || rv.Status != "revoked" || rv.RevokedAt == nil {
		t.Fatalf("Revoke = %+v, %v; want a revoked view", rv, err)
	}
	again, err := s.Revoke(ctx, key.ID)
	if err != nil || !again.RevokedAt.Equal(*rv.RevokedAt) {
		t.Errorf("second Revoke = %+v, %v; want the first revocation time", again, err)
	}
	if _, err := s.Verify(ctx, key.Secret); !errors.Is(err, credentials.ErrRevoked) {
		t.Errorf("Verify(revoked) = %v; want ErrRevoked", err)
	}
	for _, id := range []string{"nope", "AAAAAAAAAAAA"} {
		if _, err := s.Revoke(ctx, id); envelope.CodeOf(err) != envelope.CodeNotFound {
			t.Errorf("Revoke(%q) = %v; want NOT_FOUND", id, err)
		}
	}
}

func TestVerifyExpiry(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := func() time.Time { return now }
	s := mustStore(t, mustRedis(t)(), credentials.Options{Now: func() time.Time { return clock() }, CacheTTL: -1})
	tok := mustCreate(t, s, `{"name":"short","type":"integration_token","scopes":["observations:read"],"expires_in":"1m"}`)
	if _, err := s.Verify(context.Background(), tok.Secret); err != nil {
		t.Fatalf("Verify before expiry = %v", err)
	}
	later := now.Add(time.Minute)
	clock = func() time.Time { return later }
	if _, err := s.Verify(context.Background(), tok.Secret); !errors.Is(err, credentials.ErrExpired) {
		t.Errorf("Verify at expiry = %v; want ErrExpired", err)
	}
}

// TestRevocationSeenByAnotherStore: a second process (own client, own
// cache, warmed before the revocation) refuses the credential within 1 s.
func TestRevocationSeenByAnotherStore(t *testing.T) {
	newClient := mustRedis(t)
	a := mustStore(t, newClient(), credentials.Options{})
	b := mustStore(t, newClient(), credentials.Options{})
	ctx := context.Background()
	tok := mustCreate(t, a, `{"name":"x","type":"api_key","scopes":["observations:read"]}`)
	if _, err := b.Verify(ctx, tok.Secret); err != nil { // warms b's cache
		t.Fatalf("b.Verify = %v", err)
	}
	if _, err := a.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	revokedAt := time.Now()
	deadline := revokedAt.Add(time.Second)
	for {
		_, err := b.Verify(ctx, tok.Secret)
		if errors.Is(err, credentials.ErrRevoked) {
			t.Logf("revocation seen by the second store after %v", time.Since(revokedAt))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("second store still accepts the credential 1 s after revocation (last error %v)", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestVerifyFailsClosedWhenRedisIsDown(t *testing.T) {
	testenv.NeedsProcesses(t, "kills redis-server")
	srv := testenv.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	s := mustStore(t, rdb, credentials.Options{CacheTTL: -1})
	tok := mustCreate(t, s, `{"name":"x","type":"api_key","scopes":["observations:read"]}`)
	srv.Stop(t)
	if _, err := s.Verify(context.Background(), tok.Secret); !errors.Is(err, credentials.ErrUnavailable) {
		t.Errorf("Verify with Redis down = %v; want ErrUnavailable", err)
	}
}

func TestLimiterSharedAcrossProcesses(t *testing.T) {
	t.Parallel()
	newClient := mustRedis(t)
	now := time.Now()
	a := credentials.NewLimiter(newClient(), credentials.LimiterOptions{Max: 3, Window: time.Minute, Now: func() time.Time { return now }})
	b := credentials.NewLimiter(newClient(), credentials.LimiterOptions{Max: 3, Window: time.Minute, Now: func() time.Time { return now }})
	ctx := context.Background()
	for i := range 3 {
		if w, err := b.Blocked(ctx, "10.0.0.9"); err != nil || w != 0 {
			t.Fatalf("before failure %d: Blocked = %v, %v; want 0", i, w, err)
		}
		if _, err := a.Fail(ctx, "10.0.0.9"); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Second) // past b's local "not blocked" memory
	if w, err := b.Blocked(ctx, "10.0.0.9"); err != nil || w <= 0 || w > time.Minute {
		t.Errorf("Blocked after 3 failures on another process = %v, %v; want (0, 1m]", w, err)
	}
	if w, _ := b.Blocked(ctx, "10.0.0.10"); w != 0 {
		t.Errorf("another address is blocked for %v", w)
	}
}
