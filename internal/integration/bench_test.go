package integration_test

import (
	"testing"

	"github.com/weather-apis/weather_apis/internal/integration"
)

// BenchmarkAuthenticateAPIKey: a valid API key on the hot path (look-up
// cache warm, failure limiter and global allowlist on, AppAPI X-Origin-IP).
// Redis is read at most once per second per credential.
func BenchmarkAuthenticateAPIKey(b *testing.B) {
	f := newFixture(b)
	a, err := integration.New(integration.Options{
		Credentials: f.store, Limiter: f.limiter, TrustOriginIP: true,
		AllowCIDRs: mustPrefixes("10.0.0.0/8"), HMACKey: []byte(demoKey),
	})
	if err != nil {
		b.Fatal(err)
	}
	v := f.create(b, f.store, `{"name":"bench","type":"api_key","scopes":["observations:read"],"allow_cidrs":["10.1.0.0/16"]}`)
	r := request("10.1.2.3", "X-API-Key", v.Secret)
	if err := a.Authenticate(r, "observations:read"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := a.Authenticate(r, "observations:read"); err != nil {
			b.Fatal(err)
		}
	}
}
