package cache

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

func TestCacheStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		r    Result
		want string
	}{
		{"hit", Result{XCache: XCacheHit, TTL: 42*time.Second + 300*time.Millisecond}, "weather_apis; hit; ttl=42"},
		{"negative hit", Result{XCache: XCacheHit, TTL: 3 * time.Second, Detail: DetailNegative}, "weather_apis; hit; ttl=3; detail=negative"},
		{"collapsed hit", Result{XCache: XCacheHit, TTL: time.Minute, Collapsed: true}, "weather_apis; hit; ttl=60; collapsed"},
		{"miss stored", Result{XCache: XCacheMiss, FwdStatus: 200, Stored: true}, "weather_apis; fwd=uri-miss; fwd-status=200; stored"},
		{"miss error", Result{XCache: XCacheMiss, FwdStatus: 502}, "weather_apis; fwd=uri-miss; fwd-status=502"},
		{"miss after invalid entry", Result{XCache: XCacheMiss, FwdStatus: 200, Stored: true, Detail: DetailInvalid}, "weather_apis; fwd=uri-miss; fwd-status=200; stored; detail=invalid-entry"},
		{"collapsed miss", Result{XCache: XCacheMiss, FwdStatus: 200, Stored: true, Collapsed: true}, "weather_apis; fwd=uri-miss; fwd-status=200; stored; collapsed"},
		{"stale swr", Result{XCache: XCacheStale, TTL: -5 * time.Second, Detail: DetailSWR}, "weather_apis; fwd=stale; ttl=-5; detail=stale-while-revalidate"},
		{"stale sie", Result{XCache: XCacheStale, TTL: -90 * time.Second, FwdStatus: 504, Detail: DetailStaleIfError}, "weather_apis; fwd=stale; fwd-status=504; ttl=-90; detail=stale-if-error"},
		{"bypass", Result{XCache: XCacheBypass, Detail: DetailRedisDown}, "weather_apis; fwd=bypass; detail=redis-down"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.CacheStatus(); got != tc.want {
				t.Errorf("CacheStatus() = %q; want %q", got, tc.want)
			}
		})
	}
}

func TestNewRequestKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		path  string
		query url.Values
		want  string
	}{
		{"bare path", "/api/v1/farms/", nil, "/api/v1/farms/"},
		{"leading slash added", "api/v1/farms/", nil, "/api/v1/farms/"},
		{"sorted by name", "/o/", url.Values{"since": {"2026-01-01"}, "farm": {"3"}}, "/o/?farm=3&since=2026-01-01"},
		{"value order kept", "/o/", url.Values{"ordering": {"b", "a"}}, "/o/?ordering=b&ordering=a"},
		{"secrets dropped", "/o/", url.Values{"farm": {"1"}, "api_key": {"s3cr3t"}, "X-Api-Key": {"s3cr3t"}, "token": {"s3cr3t"}}, "/o/?farm=1"},
		{"only secrets", "/o/", url.Values{"access_token": {"s3cr3t"}}, "/o/"},
		{"escaped", "/o/", url.Values{"q": {"a b&c"}}, "/o/?q=a+b%26c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := NewRequestKey(tc.path, tc.query)
			if k.String() != tc.want {
				t.Errorf("String() = %q; want %q", k.String(), tc.want)
			}
			if strings.Contains(k.String(), "s3cr3t") || len(k.Hash()) != 32 {
				t.Errorf("key %q / hash %q leaks a secret or has the wrong size", k.String(), k.Hash())
			}
		})
	}
	if NewRequestKey("/o/", url.Values{"a": {"1"}, "b": {"2"}}).Hash() != NewRequestKey("/o/", url.Values{"b": {"2"}, "a": {"1"}}).Hash() {
		t.Error("query order changes the hash")
	}
	if NewRequestKey("/o/", url.Values{"token": {"x"}}).Hash() != NewRequestKey("/o/", nil).Hash() {
		t.Error("a secret parameter changes the hash")
	}
}

func TestPolicyNorm(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		p       Policy
		wantErr bool
		check   func(Policy) bool
	}{
		{"route required", Policy{TTL: time.Second}, true, nil},
		{"route charset", Policy{Route: "farm list", TTL: time.Second}, true, nil},
		{"ttl required", Policy{Route: "farm"}, true, nil},
		{"defaults", Policy{Route: "farm", TTL: time.Minute}, false, func(p Policy) bool {
			return p.Jitter == 6*time.Second && p.LockTTL == 10*time.Second && p.WaitMax == 3*time.Second && p.MaxStale == 0
		}},
		{"max stale caps windows", Policy{Route: "farm", TTL: time.Minute, SWR: time.Hour, StaleIfError: 2 * time.Hour, MaxStale: 30 * time.Minute}, false, func(p Policy) bool {
			return p.SWR == 30*time.Minute && p.StaleIfError == 30*time.Minute
		}},
		{"max stale defaults to the larger window", Policy{Route: "farm", TTL: time.Minute, SWR: time.Minute, StaleIfError: time.Hour}, false, func(p Policy) bool {
			return p.MaxStale == time.Hour
		}},
		{"entry life capped at 24h", Policy{Route: "farm", TTL: time.Hour, StaleIfError: 48 * time.Hour}, false, func(p Policy) bool {
			return p.TTL+p.MaxStale == maxEntryLife && p.StaleIfError == 23*time.Hour
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.p.norm()
			if (err != nil) != tc.wantErr {
				t.Fatalf("norm() error = %v; want error %v", err, tc.wantErr)
			}
			if tc.check != nil && !tc.check(p) {
				t.Errorf("norm() = %+v", p)
			}
		})
	}
}

func TestNewRequiresOptions(t *testing.T) {
	t.Parallel()
	r := testenv.StartRedis(t)
	cases := []Options{{}, {Redis: mustClient(t, r)}, {Redis: mustClient(t, r), AppID: "a"}}
	for _, o := range cases {
		if c, err := New(context.Background(), o); err == nil {
			_ = c.Close()
			t.Errorf("New(%+v) = nil error; want one", o)
		}
	}
}
