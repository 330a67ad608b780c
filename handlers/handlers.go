// Package handlers is weather_apis' HTTP surface: the gin router built from
// the route table in routes.go, AppAPI lifecycle endpoints, occ command
// handlers, and the envelope on every API answer. Handlers are thin: they
// parse input, call a dependency declared here as a small interface, and
// render through internal/envelope.
package handlers

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/exapp"
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

// Deps are the Server's dependencies. Zero-valued optional ones make their
// routes answer a truthful error envelope instead of panicking.
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
	// Nextcloud administrator; nil refuses them all (fail closed).
	Admins AdminChecker
	// SetupChecks answers AppAPI's GET /setup_checks; nil answers {}.
	SetupChecks SetupChecker
	// OpenAPI is the pre-rendered OpenAPI document (nil: 404 envelope).
	OpenAPI []byte
	// Static is the built admin UI (js/, css/, img/, l10n/ at its root).
	Static fs.FS
	// Metrics records answered requests and refused authentications; nil
	// records nothing.
	Metrics RequestObserver
}

// RequestObserver records answered requests and refused authentications.
type RequestObserver interface {
	ObserveRequest(route, method string, status int, source string, d time.Duration)
	ObserveAuthFailure(reason string)
}

type nopObserver struct{}

func (nopObserver) ObserveRequest(string, string, int, string, time.Duration) {}
func (nopObserver) ObserveAuthFailure(string)                                 {}

// Server is the http.Handler of weather_apis.
type Server struct {
	d      Deps
	log    *slog.Logger
	engine *gin.Engine
	routes []Route
	// lastSigned is the Unix nanosecond time of the last request that passed
	// AppAPI verification (diagnostics evidence).
	lastSigned atomic.Int64
	ids        *idGen
	watch      *watchdog
	// fixedRoutes are the AppAPI endpoints outside the route table (only
	// Method and Path set), for Allow.
	fixedRoutes []Route
}

// LastSigned returns when a request last passed AppAPI verification (zero
// if none has).
func (s *Server) LastSigned() time.Time {
	if n := s.lastSigned.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// New builds the Server. It fails when a required dependency is missing.
func New(d Deps) (*Server, error) {
	if d.Verifier == nil {
		return nil, errors.New("handlers: Verifier is required")
	}
	if d.AppID == "" || d.AppVersion == "" {
		return nil, errors.New("handlers: AppID and AppVersion are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.RequestTimeout <= 0 {
		d.RequestTimeout = 30 * time.Second
	}
	if d.Metrics == nil {
		d.Metrics = nopObserver{}
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	s := &Server{d: d, log: d.Logger, routes: Routes(), ids: newIDGen()}
	s.watch = newWatchdog(func(g *guardWriter) { g.expire(s) })
	engine, err := s.buildEngine()
	if err != nil {
		return nil, err
	}
	s.engine = engine
	return s, nil
}

// Handler returns the complete handler: the timeout guard around the router.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

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
