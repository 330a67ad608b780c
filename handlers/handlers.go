// Package handlers is weather_apis' HTTP surface and the only package that
// knows gin: the router built from the route table in routes.go, AppAPI's
// lifecycle endpoints, the occ command endpoint, and the envelope on every
// API answer. Handlers are thin: they parse input, call a dependency
// declared here as a small interface with typed results, and render through
// internal/envelope; an error brings its own status and headers. The
// machinery below the router (request ids, deadlines, the guard that
// answers for a handler that overruns) is internal/request's.
package handlers

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/exapp"
	"github.com/weather-apis/weather_apis/internal/request"
)

// Lifecycle runs the ExApp's side of AppAPI's lifecycle.
type Lifecycle interface {
	// StartInit begins /init work in the background and returns at once.
	// Progress and errors are reported to Nextcloud, not returned.
	StartInit(requestID string)
	// SetEnabled registers (true) or removes (false) everything the ExApp
	// contributes to Nextcloud. The error text is shown to the admin.
	SetEnabled(ctx context.Context, enabled bool) error
}

// OccRunner executes occ commands forwarded by AppAPI.
type OccRunner interface {
	// RunOcc runs command (the handler path after /occ/, e.g. "cache/stats")
	// and returns the text for the console. A non-nil error makes AppAPI
	// report a failed command (exit 1); its message is safe to show.
	RunOcc(ctx context.Context, command string, in OccInput) (string, error)
}

// OccInput is AppAPI's execute-handler body.
type OccInput = exapp.OccInput

// Deps are the Server's dependencies; every one is required (New says which
// are missing).
type Deps struct {
	AppID      string
	AppVersion string
	Verifier   *appapi.Verifier
	Logger     *slog.Logger

	// RequestTimeout bounds an API request; MaxBodyBytes its body.
	RequestTimeout time.Duration
	MaxBodyBytes   int64

	Lifecycle Lifecycle
	Occ       OccRunner
	Resources Resources
	CacheAdm  CacheAdmin
	Diag      Diagnostician
	Creds     Credentials
	Integr    IntegrationAuth
	// Admins confirms that the user of an admin route or occ action is a
	// Nextcloud administrator.
	Admins AdminChecker
	// SetupChecks answers AppAPI's GET /setup_checks.
	SetupChecks SetupChecker
	// OpenAPI is the pre-rendered OpenAPI document.
	OpenAPI []byte
	// Static is the built admin UI (js/, css/, img/, l10n/ at its root).
	Static fs.FS
	// Metrics records answered requests and refused authentications.
	Metrics RequestObserver
}

// RequestObserver records answered requests and refused authentications.
type RequestObserver interface {
	ObserveRequest(route, method string, status int, source string, d time.Duration)
	ObserveAuthFailure(reason string)
}

// Server is the http.Handler of weather_apis.
type Server struct {
	d      Deps
	log    *slog.Logger
	routes []Route
	// fixedRoutes are the AppAPI endpoints outside the route table (only
	// Method and Path set), for Allow.
	fixedRoutes []Route
	handler     http.Handler
}

// New builds the Server. It fails, naming them, when required dependencies
// are missing.
func New(d Deps) (*Server, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	s := &Server{d: d, log: d.Logger, routes: Routes()}
	engine, err := s.buildEngine()
	if err != nil {
		return nil, err
	}
	s.handler = request.NewGuard(engine, request.Options{AppVersion: d.AppVersion, Logger: d.Logger,
		Timeout: s.timeoutFor, Done: s.done})
	return s, nil
}

// check names every missing dependency.
func (d Deps) check() error {
	var missing []string
	for name, ok := range map[string]bool{
		"AppID": d.AppID != "", "AppVersion": d.AppVersion != "", "Verifier": d.Verifier != nil, "Logger": d.Logger != nil,
		"RequestTimeout": d.RequestTimeout > 0, "MaxBodyBytes": d.MaxBodyBytes > 0, "Lifecycle": d.Lifecycle != nil,
		"Occ": d.Occ != nil, "Resources": d.Resources != nil, "CacheAdm": d.CacheAdm != nil, "Diag": d.Diag != nil,
		"Creds": d.Creds != nil, "Integr": d.Integr != nil, "Admins": d.Admins != nil, "SetupChecks": d.SetupChecks != nil,
		"OpenAPI": len(d.OpenAPI) > 0, "Static": d.Static != nil, "Metrics": d.Metrics != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("handlers: missing dependencies: %s", strings.Join(missing, ", "))
	}
	return nil
}

// Handler returns the complete handler: the request guard
// (internal/request) around the router.
func (s *Server) Handler() http.Handler { return s.handler }

// releaseMode turns off gin's debug output (route dumps, warnings) once:
// gin's mode is process-wide.
var releaseMode sync.Once

func (s *Server) buildEngine() (*gin.Engine, error) {
	releaseMode.Do(func() { gin.SetMode(gin.ReleaseMode) })
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.ContextWithFallback = true
	e.Use(s.prologue)
	e.NoRoute(s.notFound)
	e.NoMethod(s.methodNotAllowed)

	e.GET("/heartbeat", s.heartbeat)
	signed := e.Group("/", s.requireAppAPI("", false))
	signed.POST("/init", s.init)
	signed.PUT("/enabled", s.enabled)
	signed.POST("/occ/*command", s.occ)
	signed.GET("/setup_checks", s.setupChecks)
	e.HEAD("/heartbeat", s.heartbeat)
	s.fixedRoutes = []Route{{Method: http.MethodGet, Path: "/heartbeat"}, {Method: http.MethodPost, Path: "/init"},
		{Method: http.MethodPut, Path: "/enabled"}, {Method: http.MethodPost, Path: "/occ/*command"},
		{Method: http.MethodGet, Path: "/setup_checks"}}

	local := s.local()
	for _, r := range s.routes {
		h, err := s.handlerFor(r, local)
		if err != nil {
			return nil, err
		}
		chain := []gin.HandlerFunc{s.requireAppAPI(r.Name, r.Access == Admin)}
		if r.Integration() {
			chain = append(chain, s.requireIntegration(r))
		}
		chain = append(chain, h)
		e.Handle(r.Method, r.Path, chain...)
		if r.Method == http.MethodGet {
			e.Handle(http.MethodHead, r.Path, chain...)
		}
	}
	return e, nil
}
