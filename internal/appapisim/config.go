// Package appapisim is a stand-in for Nextcloud + AppAPI, the side an ExApp
// talks to (nextcloud/app_api and nc_py_api as of AppAPI 32–35). It serves the PHP proxy, the HaRP /exapps/
// path, AppAPI's OCS endpoints, the lifecycle (register/enable/disable/
// unregister), occ command execution and a Nextcloud-looking top-menu page,
// plus a /sim/ control API for tests and humans. It is an independent
// implementation: it must not import weather_apis' own packages.
package appapisim

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"
)

// RouteMode selects which generation of the PHP proxy's route matching
// (nextcloud/app_api lib/Controller/ExAppProxyController.php) the simulator plays.
type RouteMode string

const (
	// RouteGen3 is AA ≥ v32.0.10/v33.0.4/34: start-anchored, case-insensitive,
	// tried on "/"+path then path, first path+verb match decides.
	RouteGen3 RouteMode = "gen3"
	// RouteGen1 is AA ≤ v31 and early 32/33: unanchored on the path without
	// leading slash, "/" is the delimiter, access failures fall through.
	RouteGen1 RouteMode = "gen1"
)

// Config is everything the simulator needs; the zero value of a field means
// its default (see DefaultConfig).
type Config struct {
	Listen      string // the "Nextcloud origin", e.g. 127.0.0.1:8080
	InfoXML     string // path of the ExApp's appinfo/info.xml
	AppSecret   string // APP_SECRET; generated like ISecureRandom when empty
	ExAppURL    string // base URL of the ExApp (manual/DSP daemons)
	ExAppSocket string // unix socket of the ExApp (HaRP FRP mode); wins over ExAppURL

	HeartbeatAttempts int           // AA: 600
	HeartbeatInterval time.Duration // AA: 1 s
	InitTimeout       time.Duration // AA init_timeout: 40 min
	EnableTimeout     time.Duration // PUT /enabled: 60 s
	InitCallTimeout   time.Duration // POST /init: 30 s (NC client default)

	RouteMode RouteMode
	StateFile string // optional JSON file the registration state is kept in
	AAVersion string // AA-VERSION sent on non-HaRP calls; HaRP always sends "32"
	LogLevel  int    // Nextcloud loglevel 0-4 (capability app_api.loglevel); not defaulted, DefaultConfig has 2

	// HarpSharedKey, when set, is sent on AA-originated calls (with
	// ex-app-host/ex-app-port) like AA does through HaRP. With ExAppSocket it
	// is generated when empty; set with ExAppURL instead, it means HaRP mode
	// over TCP: ExAppURL is then the loopback port a real frps opened for the
	// ExApp's frpc (HaRP's proxyBindAddr), and calls are signed as under HaRP.
	HarpSharedKey string

	// Bruteforce throttling of the PHP proxy (routes with
	// bruteforce_protection) and of failed ExApp→NC authentication: once an IP
	// has BruteforceThreshold attempts, each request is delayed by
	// BruteforceBaseDelay·2^(attempts-threshold), capped at BruteforceMaxDelay.
	BruteforceThreshold int
	BruteforceBaseDelay time.Duration
	BruteforceMaxDelay  time.Duration

	// HaRP bans an IP after HarpBanCount 403/404/protected-status failures
	// within HarpBanWindow (HP_BLACKLIST_COUNT=10, HP_BLACKLIST_WINDOW=300 s).
	// A negative count disables banning.
	HarpBanCount  int
	HarpBanWindow time.Duration

	// SetupCheckInterval is how often AppAPI's background job fetches
	// /setup_checks from an opted-in ExApp (ExAppSetupChecksRefreshJob:
	// 600 s); an admin opening the overview page also queues one refresh.
	SetupCheckInterval time.Duration
	// SetupCheckTimeout bounds one /setup_checks request
	// (ExAppSetupCheckRefreshService::PER_APP_TIMEOUT_SECONDS: 5 s).
	SetupCheckTimeout time.Duration

	Logger *slog.Logger
}

// DefaultConfig returns AppAPI's own limits and the demo defaults.
func DefaultConfig() Config {
	return Config{
		Listen:              "127.0.0.1:8080",
		InfoXML:             "appinfo/info.xml",
		ExAppURL:            "http://127.0.0.1:23000",
		HeartbeatAttempts:   600,
		HeartbeatInterval:   time.Second,
		InitTimeout:         40 * time.Minute,
		EnableTimeout:       60 * time.Second,
		InitCallTimeout:     30 * time.Second,
		RouteMode:           RouteGen3,
		AAVersion:           "32.0.0",
		LogLevel:            2,
		BruteforceThreshold: 5,
		BruteforceBaseDelay: 100 * time.Millisecond,
		BruteforceMaxDelay:  2 * time.Second,
		HarpBanCount:        10,
		HarpBanWindow:       300 * time.Second,
		SetupCheckInterval:  600 * time.Second,
		SetupCheckTimeout:   5 * time.Second,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Listen == "" {
		c.Listen = d.Listen
	}
	if c.InfoXML == "" {
		c.InfoXML = d.InfoXML
	}
	if c.ExAppURL == "" && c.ExAppSocket == "" {
		c.ExAppURL = d.ExAppURL
	}
	if c.HeartbeatAttempts <= 0 {
		c.HeartbeatAttempts = d.HeartbeatAttempts
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = d.HeartbeatInterval
	}
	if c.InitTimeout <= 0 {
		c.InitTimeout = d.InitTimeout
	}
	if c.EnableTimeout <= 0 {
		c.EnableTimeout = d.EnableTimeout
	}
	if c.InitCallTimeout <= 0 {
		c.InitCallTimeout = d.InitCallTimeout
	}
	if c.RouteMode == "" {
		c.RouteMode = d.RouteMode
	}
	if c.AAVersion == "" {
		c.AAVersion = d.AAVersion
	}
	if c.BruteforceThreshold <= 0 {
		c.BruteforceThreshold = d.BruteforceThreshold
	}
	if c.BruteforceBaseDelay <= 0 {
		c.BruteforceBaseDelay = d.BruteforceBaseDelay
	}
	if c.BruteforceMaxDelay <= 0 {
		c.BruteforceMaxDelay = d.BruteforceMaxDelay
	}
	if c.HarpBanCount == 0 {
		c.HarpBanCount = d.HarpBanCount
	}
	if c.HarpBanWindow <= 0 {
		c.HarpBanWindow = d.HarpBanWindow
	}
	if c.SetupCheckInterval <= 0 {
		c.SetupCheckInterval = d.SetupCheckInterval
	}
	if c.SetupCheckTimeout <= 0 {
		c.SetupCheckTimeout = d.SetupCheckTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validate reports every problem at once.
func (c Config) validate() error {
	var errs []error
	if c.RouteMode != RouteGen3 && c.RouteMode != RouteGen1 {
		errs = append(errs, fmt.Errorf("route mode %q: want gen3 or gen1", c.RouteMode))
	}
	if c.ExAppSocket == "" && !strings.HasPrefix(c.ExAppURL, "http://") && !strings.HasPrefix(c.ExAppURL, "https://") {
		errs = append(errs, fmt.Errorf("exapp url %q: want http(s)://host:port", c.ExAppURL))
	}
	if c.AppSecret != "" && strings.ContainsAny(c.AppSecret, ":\r\n") {
		errs = append(errs, errors.New("app secret must not contain ':' or line breaks"))
	}
	return errors.Join(errs...)
}

// secretChars is ISecureRandom's default charset (CHAR_ALPHANUMERIC + "+/").
const secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// GenerateSecret returns n characters from A–Z a–z 0–9 + /, like
// ISecureRandom::generate(n) does for APP_SECRET (n = 128 in AppAPI).
func GenerateSecret(n int) string {
	return randomString(n, secretChars)
}

// randomString draws n characters uniformly from chars using crypto/rand.
func randomString(n int, chars string) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(chars)))
	for i := range b {
		v, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		b[i] = chars[v.Int64()]
	}
	return string(b)
}

// newRequestID returns a Nextcloud-style request id (20 alphanumerics).
func newRequestID() string {
	return randomString(20, secretChars[:62])
}
