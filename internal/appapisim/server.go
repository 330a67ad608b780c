package appapisim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Server is the simulated Nextcloud + AppAPI.
type Server struct {
	cfg      Config
	info     *AppInfo
	accounts *accounts
	st       *store
	calls    *callLog
	throttle *throttle
	bans     *harpBans
	routes   *routeMatcher
	exapp    *exAppClient
	setup    setupRefresher
	log      *slog.Logger
	mux      *http.ServeMux
}

// New loads info.xml and builds a Server; it does not listen.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	info, err := LoadAppInfo(cfg.InfoXML)
	if err != nil {
		return nil, err
	}
	return NewWithInfo(cfg, info)
}

// NewWithInfo builds a Server for an already parsed AppInfo.
func NewWithInfo(cfg Config, info *AppInfo) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.AppSecret == "" {
		cfg.AppSecret = GenerateSecret(128)
	}
	if cfg.ExAppSocket != "" && cfg.HarpSharedKey == "" {
		cfg.HarpSharedKey = GenerateSecret(32)
	}
	st, err := newStore(cfg.StateFile)
	if err != nil {
		return nil, err
	}
	ex, err := newExAppClient(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, info: info, accounts: newAccounts(), st: st, calls: &callLog{},
		throttle: newThrottle(cfg.BruteforceThreshold, cfg.BruteforceBaseDelay, cfg.BruteforceMaxDelay),
		bans:     newHarpBans(cfg.HarpBanCount, cfg.HarpBanWindow),
		routes:   newRouteMatcher(), exapp: ex, log: cfg.Logger, mux: http.NewServeMux(),
	}
	s.registerRoutes()
	return s, nil
}

// Secret returns APP_SECRET (to hand to the ExApp process).
func (s *Server) Secret() string { return s.cfg.AppSecret }

// Info returns the parsed info.xml.
func (s *Server) Info() *AppInfo { return s.info }

// Handler returns the simulator's HTTP handler. The proxy paths are matched
// on the raw path before ServeMux, which would clean ".." away.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.EscapedPath()
		switch {
		case strings.HasPrefix(p, "/index.php/apps/app_api/proxy/"), strings.HasPrefix(p, "/apps/app_api/proxy/"),
			p == "/index.php/apps/app_api/proxy", p == "/apps/app_api/proxy":
			s.handlePHPProxy(w, r)
		case strings.HasPrefix(p, "/exapps/"):
			s.handleHarp(w, r)
		case strings.HasPrefix(p, "/ocs/v1.php/"), strings.HasPrefix(p, "/ocs/v2.php/"):
			s.handleOCS(w, r)
		default:
			s.mux.ServeHTTP(w, r)
		}
	})
}

// ListenAndServe serves on cfg.Listen until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", s.cfg.Listen, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go s.runSetupChecks(ctx)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) registerRoutes() {
	m := s.mux
	m.HandleFunc("GET /{$}", s.handleIndex)
	m.HandleFunc("GET /login", s.handleLogin)
	m.HandleFunc("GET /logout", s.handleLogout)
	m.HandleFunc("GET /index.php/apps/app_api/embedded/{appid}/{name}", s.handleEmbedded)
	m.HandleFunc("GET /apps/app_api/embedded/{appid}/{name}", s.handleEmbedded)
	m.HandleFunc("GET /sim/app", s.handleSimApp)
	m.HandleFunc("GET /sim/state", s.handleSimState)
	m.HandleFunc("GET /sim/calls", s.handleSimCalls)
	m.HandleFunc("DELETE /sim/calls", s.handleSimCallsClear)
	m.HandleFunc("POST /sim/register", s.handleSimLifecycle(s.Register))
	m.HandleFunc("POST /sim/enable", s.handleSimLifecycle(s.Enable))
	m.HandleFunc("POST /sim/disable", s.handleSimLifecycle(s.Disable))
	m.HandleFunc("POST /sim/unregister", s.handleSimLifecycle(s.Unregister))
	m.HandleFunc("POST /sim/occ", s.handleSimOcc)
	m.HandleFunc("POST /sim/seed", s.handleSimSeed)
	m.HandleFunc("GET /sim/groups", s.handleSimGroups)
	m.HandleFunc("PUT /sim/groups/{group}/users/{user}", s.handleSimMember(true))
	m.HandleFunc("DELETE /sim/groups/{group}/users/{user}", s.handleSimMember(false))
	m.HandleFunc("GET /sim/notifications", s.handleSimNotifications)
	m.HandleFunc("GET /sim/setup-checks", s.handleSimSetupChecks(false))
	m.HandleFunc("POST /sim/setup-checks/refresh", s.handleSimSetupChecks(true))
	m.HandleFunc("GET /index.php/settings/admin/overview", s.handleOverview)
	m.HandleFunc("GET /settings/admin/overview", s.handleOverview)
}

// signer returns the header signer for the current app.
func (s *Server) signer() signer {
	return signer{appID: s.info.ID, secret: s.cfg.AppSecret, aaVersion: s.cfg.AAVersion,
		harp: s.exapp.harp, harpKey: s.cfg.HarpSharedKey, port: s.exapp.port}
}

// version is the ExApp version stored in the simulated DB.
func (s *Server) version() string {
	v := s.info.Version
	s.st.view(func(a *AppState) {
		if a.Version != "" {
			v = a.Version
		}
	})
	return v
}

// clientIP is the peer address (no proxy headers are trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
