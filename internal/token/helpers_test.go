package token_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/testenv"
	"github.com/weather-apis/weather_apis/internal/token"
)

// simpleJWT imitates djangorestframework-simplejwt's obtain/refresh views with
// real HS256 tokens, ROTATE_REFRESH_TOKENS and the blacklist app, plus one
// protected API route.
type simpleJWT struct {
	*httptest.Server
	key         []byte
	accessLife  time.Duration
	refreshLife time.Duration
	rotate      bool
	delay       time.Duration // slows the token views to widen races

	mu        sync.Mutex
	obtains   int
	refreshes int
	refused   int
	blacklist map[string]bool
	revoked   map[string]bool // access tokens the API answers 401 to
}

func newSimpleJWT(t *testing.T, accessLife time.Duration) *simpleJWT {
	t.Helper()
	s := &simpleJWT{key: []byte("test-signing-key"), accessLife: accessLife, refreshLife: time.Hour,
		rotate: true, delay: 50 * time.Millisecond, blacklist: map[string]bool{}, revoked: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/token/", s.obtain)
	mux.HandleFunc("POST /api/v1/auth/token/refresh/", s.refresh)
	mux.HandleFunc("GET /api/v1/farms/", s.api)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func (s *simpleJWT) mint(typ string, life time.Duration) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	now := time.Now()
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"token_type": typ, "exp": now.Add(life).Unix(), "iat": now.Unix(), "jti": hex.EncodeToString(b[:]), "user_id": 1,
	}).SignedString(s.key)
	return tok
}

func (s *simpleJWT) verify(tok, typ string) bool {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	return err == nil && claims["token_type"] == typ
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *simpleJWT) obtain(w http.ResponseWriter, r *http.Request) {
	time.Sleep(s.delay)
	var in struct{ Username, Password string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	if in.Username != "svc" || in.Password != "pw" {
		writeJSON(w, 401, map[string]string{"detail": "No active account found with the given credentials"})
		return
	}
	s.mu.Lock()
	s.obtains++
	s.mu.Unlock()
	writeJSON(w, 200, map[string]string{"access": s.mint("access", s.accessLife), "refresh": s.mint("refresh", s.refreshLife)})
}

func (s *simpleJWT) refresh(w http.ResponseWriter, r *http.Request) {
	time.Sleep(s.delay)
	var in struct{ Refresh string }
	_ = json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.verify(in.Refresh, "refresh") || s.blacklist[in.Refresh] {
		s.refused++
		writeJSON(w, 401, map[string]string{"detail": "Token is blacklisted", "code": "token_not_valid"})
		return
	}
	s.refreshes++
	out := map[string]string{"access": s.mint("access", s.accessLife)}
	if s.rotate {
		s.blacklist[in.Refresh] = true
		out["refresh"] = s.mint("refresh", s.refreshLife)
	}
	writeJSON(w, 200, out)
}

func (s *simpleJWT) api(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	revoked := s.revoked[tok]
	s.mu.Unlock()
	if revoked || !s.verify(tok, "access") {
		writeJSON(w, 401, map[string]string{"detail": "Given token not valid for any token type", "code": "token_not_valid"})
		return
	}
	writeJSON(w, 200, map[string]any{"count": 0, "next": nil, "previous": nil, "results": []any{}})
}

func (s *simpleJWT) counts() (obtains, refreshes, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.obtains, s.refreshes, s.refused
}

// newRedisClient is one "process"'s go-redis client.
func newRedisClient(t *testing.T, r *testenv.Redis) redis.UniversalClient {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: r.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newSource(t *testing.T, rdb redis.UniversalClient, drf *simpleJWT, mod func(*token.Options)) *token.Source {
	t.Helper()
	o := token.Options{
		Redis: rdb, KeyPrefix: "weather_apis", BaseURL: drf.URL, Username: "svc", Password: "pw",
		RefreshAhead: 500 * time.Millisecond, LockLease: time.Second, WaitTimeout: 5 * time.Second,
		RedisTimeout: 200 * time.Millisecond, RedisRetry: 100 * time.Millisecond,
	}
	if mod != nil {
		mod(&o)
	}
	s, err := token.New(o)
	if err != nil {
		t.Fatalf("token.New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// burst runs goroutines×calls Token calls on every source concurrently and
// returns the distinct tokens seen.
func burst(t *testing.T, sources []*token.Source, goroutines, calls int) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for _, src := range sources {
		for range goroutines {
			wg.Go(func() {
				for range calls {
					tok, err := src.Token(ctx)
					if err != nil {
						t.Errorf("Token: %v", err)
						return
					}
					mu.Lock()
					seen[tok]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return seen
}

// stored returns the access token in Redis ("" when none).
func stored(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	v, err := rdb.HGet(context.Background(), "{weather_apis:token}", "access").Result()
	if err != nil && err != redis.Nil {
		t.Fatalf("HGET: %v", err)
	}
	return v
}

// waitUntil sleeps until t (bounded to 10 s).
func waitUntil(tb testing.TB, at time.Time) {
	d := time.Until(at)
	if d > 10*time.Second {
		tb.Fatalf("refusing to wait %v", d)
	}
	if d > 0 {
		time.Sleep(d)
	}
}

func expOf(t *testing.T, tok string) time.Time {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		t.Fatalf("parse: %v", err)
	}
	exp, _ := claims.GetExpirationTime()
	return exp.Time
}
