package setupcheck

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"github.com/weather-apis/weather_apis/internal/config"
)

// Finding is one configuration problem: a status and a sentence saying
// what to do.
type Finding struct {
	Status string
	Text   string
}

// ConfigFindings returns what in cfg an admin should change. Start-up
// already refused every invalid value (internal/config); these are valid
// settings that weaken security or hide problems. Redis's own mode is the
// redis check's business.
func ConfigFindings(cfg *config.Config) []Finding {
	var out []Finding
	add := func(status, format string, args ...any) {
		out = append(out, Finding{status, fmt.Sprintf(format, args...)})
	}
	if u, err := url.Parse(cfg.Upstream.URL); err == nil && u.Scheme == "http" && !internal(u.Hostname()) {
		add(Warning, "WEATHER_APIS_UPSTREAM_URL uses plain http to %s: the DRF service password and tokens cross the network unencrypted; use https.", u.Hostname())
	}
	if cfg.Upstream.Password == "" {
		add(Error, "WEATHER_APIS_UPSTREAM_PASSWORD is empty: weather_apis cannot obtain a DRF token; set it (or the admin settings field).")
	}
	if cfg.Upstream.ContractMode == "enforce" && cfg.Upstream.OpenAPIPath == "" && cfg.Upstream.OpenAPIFile == "" {
		add(Warning, "WEATHER_APIS_UPSTREAM_CONTRACT_MODE=enforce has no contract to enforce: set WEATHER_APIS_UPSTREAM_OPENAPI_PATH or WEATHER_APIS_UPSTREAM_OPENAPI_FILE.")
	}
	if cfg.Cache.ProbeInterval == 0 {
		add(Warning, "WEATHER_APIS_CACHE_PROBE_INTERVAL is 0: backend changes no request brings are never noticed; set it to e.g. 1m.")
	}
	if host, _, err := net.SplitHostPort(cfg.Metrics.Addr); err == nil && !loopback(host) && !private(host) {
		add(Warning, "WEATHER_APIS_METRICS_ADDR (%s) serves unauthenticated metrics on a public or every interface; bind it to loopback or a private network.", cfg.Metrics.Addr)
	}
	if cfg.JWT.SigningKey == "" && cfg.JWT.PublicKey == nil {
		add(Info, "No WEATHER_APIS_JWT_SIGNING_KEY or WEATHER_APIS_JWT_PUBLIC_KEY: integrations cannot use DRF JWTs (API keys and integration tokens work).")
	}
	return out
}

// internal reports a host on this machine or a private network: a
// loopback or private address, or a single-label name (a container or
// Kubernetes service such as "drf").
func internal(host string) bool {
	if _, err := netip.ParseAddr(host); err != nil {
		return host != "" && !strings.Contains(host, ".")
	}
	return loopback(host) || private(host)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// private reports a private-network address (an empty host or an
// unspecified address listens everywhere: not private).
func private(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && (a.IsPrivate() || a.IsLinkLocalUnicast())
}
