// Package diagnostics tells each layer's truth (README.md "Diagnostics"):
// the AppAPI route, the ExApp, Redis, the shared DRF token, the upstream,
// its contract, the cache, and every cached read route exercised the way a
// client reads it. Doctor.Diagnose is the complete check behind
// GET /api/v1/admin/diagnostics and occ weather_apis:doctor; Layers answers
// one layer at a time, cheaply, for setup checks and notifications.
//
// Contract: the doctor never says "healthy" while a route a client calls
// fails, because it checks the client's path (resources.Service.Read), not
// the parts.
package diagnostics

import (
	"context"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/token"
)

// Layer states. The UI colours them; doctor names the first layer that is
// not ok.
const (
	StateOK       = "ok"
	StateStale    = "stale"    // serving older data than the upstream has, on purpose and labelled
	StateOutdated = "outdated" // holds data of an older schema/app version than the upstream's
	StateDegraded = "degraded" // works, but without its shared/normal mode
	StateDown     = "down"
)

// Layer is one row of the diagnostics table.
type Layer struct {
	Layer    string         `json:"layer"`
	State    string         `json:"state"`
	Summary  string         `json:"summary"`
	Evidence map[string]any `json:"evidence"`
	Advice   string         `json:"advice,omitempty"`
}

// Diagnosis is GET /api/v1/admin/diagnostics.
type Diagnosis struct {
	Healthy bool    `json:"healthy"`
	Verdict string  `json:"verdict"`
	Layers  []Layer `json:"layers"`
	Checked string  `json:"checked_at"`
}

// Cache is what the layers read of the cache (*cache.Cache).
type Cache interface {
	Stats(ctx context.Context) (cache.Stats, error)
	ObserveSchemaVersion(ctx context.Context, v string) error
	Shapes(ctx context.Context, routes []string) ([]cache.RouteShape, error)
	ProbeNow(ctx context.Context, o cache.ProbeOptions) []cache.ProbeRun
}

// Reads is the read path a client takes and the upstream re-read of the
// read routes (*resources.Service).
type Reads interface {
	Read(ctx context.Context, route string, p resources.Params) (resources.Answer, error)
	Refetch(ctx context.Context, route, request string) (cache.Fetched, error)
	Contract() resources.ContractStatus
	ProbeOptions() cache.ProbeOptions
}

// Tokens reports on the shared DRF token (*token.Source).
type Tokens interface {
	Status(ctx context.Context) token.Status
	Counters() token.Counters
}

// Breaker reports the shared circuit breaker (*breaker.Breaker).
type Breaker interface {
	Status(ctx context.Context) breaker.Status
}

// Credentials lists the integration credentials (*credentials.Store).
type Credentials interface {
	List(ctx context.Context) ([]credentials.View, error)
}

// Deps are the layers' dependencies, all required.
type Deps struct {
	AppID, AppVersion string
	Cache             Cache
	Reads             Reads
	Tokens            Tokens
	Breaker           Breaker
	Credentials       Credentials
	UpstreamURL       string
	Redis             redis.UniversalClient
	// RedisKind is "server", "cluster", "sentinel" or "embedded".
	RedisKind string
	Logger    *slog.Logger
}

// Layers checks the layers one at a time.
type Layers struct{ d Deps }

// NewLayers returns the layer checks over d.
func NewLayers(d Deps) *Layers { return &Layers{d: d} }

// Lifecycle says whether AppAPI enabled the app (*exapp.Lifecycle).
type Lifecycle interface{ Enabled() bool }

// Verifier says when a request last passed AppAPI's signature check
// (*appapi.Verifier).
type Verifier interface{ LastVerified() time.Time }

// DoctorOptions are what the complete diagnosis adds to the layers, all
// required.
type DoctorOptions struct {
	Lifecycle Lifecycle
	Verifier  Verifier
	// Started is when the process started (the exapp layer's uptime).
	Started time.Time
}

// Doctor runs the complete diagnosis.
type Doctor struct {
	ls *Layers
	o  DoctorOptions
}

// NewDoctor returns the complete diagnosis over ls.
func NewDoctor(ls *Layers, o DoctorOptions) *Doctor { return &Doctor{ls: ls, o: o} }
