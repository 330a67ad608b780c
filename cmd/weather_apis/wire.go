package main

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/handlers"
	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/breaker"
	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/cacheadmin"
	"github.com/weather-apis/weather_apis/internal/coalesce"
	"github.com/weather-apis/weather_apis/internal/config"
	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/exapp"
	"github.com/weather-apis/weather_apis/internal/integration"
	"github.com/weather-apis/weather_apis/internal/metrics"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
	"github.com/weather-apis/weather_apis/internal/notify"
	"github.com/weather-apis/weather_apis/internal/occ"
	"github.com/weather-apis/weather_apis/internal/openapi"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/routetable"
	"github.com/weather-apis/weather_apis/internal/setupcheck"
	"github.com/weather-apis/weather_apis/internal/token"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

// Main owns every long-lived dependency of the server.
type Main struct {
	cfg     *config.Config
	stderr  io.Writer
	closers []func()
	// metrics are always recorded; served only when
	// WEATHER_APIS_METRICS_ADDR is set.
	metrics *metrics.Metrics
	started time.Time
}

// NewMain returns a Main for cfg; Run starts it and Close releases it.
func NewMain(cfg *config.Config, stderr io.Writer) *Main {
	return &Main{cfg: cfg, stderr: stderr, started: time.Now()}
}

// Close releases everything Run opened, in reverse order.
func (m *Main) Close() {
	for i := len(m.closers) - 1; i >= 0; i-- {
		m.closers[i]()
	}
	m.closers = nil
}

func (m *Main) onClose(f func()) { m.closers = append(m.closers, f) }

func (m *Main) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: m.cfg.Log.Level}
	if m.cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(m.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(m.stderr, opts))
}

// Run wires the server, listens, and serves until ctx ends; then it shuts
// down gracefully (in-flight requests get up to 10 s).
func (m *Main) Run(ctx context.Context) error {
	cfg := m.cfg
	local := m.logger()
	creds := appapi.Credentials{AppID: cfg.App.ID, AppVersion: cfg.App.Version, AAVersion: cfg.AppAPI.Version, Secret: cfg.App.Secret}
	nc, err := nextcloud.New(nextcloud.Options{BaseURL: cfg.Nextcloud.URL, Creds: creds, Logger: local})
	if err != nil {
		return err
	}
	ncLog := nextcloud.NewLogHandler(local.Handler(), nc, slog.LevelWarn)
	m.onClose(ncLog.Close)
	log := slog.New(ncLog).With("app", cfg.App.ID)

	applyNextcloudSettings(ctx, cfg, creds, log)
	rdb, redisKind, closeRedis, err := openRedis(cfg, log)
	if err != nil {
		return err
	}
	m.onClose(closeRedis)

	d, err := m.wireServices(ctx, log, rdb, redisKind, nc)
	if err != nil {
		return err
	}
	srv, err := handlers.New(d)
	if err != nil {
		return err
	}
	handed, err := activated()
	if err != nil {
		return err
	}
	ln, ok := handed[socketAPI]
	if !ok {
		if ln, err = listen(cfg); err != nil {
			return err
		}
	}
	ln = coalesce.Listener{Listener: ln} // one writev per response instead of two (internal/coalesce)
	hs := &http.Server{
		Handler:           srv.Handler(),
		ConnContext:       coalesce.ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(local.Handler(), slog.LevelDebug),
	}
	log.Info("weather_apis serving", "addr", ln.Addr().String(), "version", cfg.App.Version, "redis", redisKind,
		"upstream", cfg.Upstream.URL, "harp", cfg.Harp.Enabled())
	if mln, ok := handed[socketMetrics]; ok || cfg.Metrics.Addr != "" {
		if !ok {
			var lc net.ListenConfig
			if mln, err = lc.Listen(ctx, "tcp", cfg.Metrics.Addr); err != nil {
				return fmt.Errorf("cannot listen for metrics on %s: %w", cfg.Metrics.Addr, err)
			}
		}
		go func() {
			if err := m.metrics.ServeListener(ctx, mln); err != nil {
				log.Error("metrics listener stopped", "err", err.Error())
			}
		}()
		log.Info("metrics served", "addr", mln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server stopped: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	if _, handedOver := handed[socketAPI]; !handedOver && ln.Addr().Network() == "unix" {
		_ = os.Remove(cfg.Harp.ExAppSock) // ours; a handed-over socket's file is its supervisor's
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("cannot shut down cleanly: %w", err)
	}
	return nil
}

// wireServices builds the token source, breaker, upstream client, cache and
// lifecycle, and returns the handlers' dependencies.
func (m *Main) wireServices(ctx context.Context, log *slog.Logger, rdb redis.UniversalClient, redisKind string, nc *nextcloud.Client) (handlers.Deps, error) {
	cfg := m.cfg
	tokens, err := token.New(token.Options{
		Redis: rdb, KeyPrefix: cfg.App.ID, BaseURL: cfg.Upstream.URL,
		Username: cfg.Upstream.Username, Password: cfg.Upstream.Password, Logger: log,
	})
	if err != nil {
		return handlers.Deps{}, fmt.Errorf("cannot set up the DRF token source: %w", err)
	}
	m.onClose(func() { _ = tokens.Close() })
	var up *upstream.Client // set below; the breaker's Confirm runs only after start-up
	brk, err := breaker.New(breaker.Options{Redis: rdb, KeyPrefix: cfg.App.ID, Logger: log,
		MaxCooldown: cfg.Upstream.BreakerMaxCooldown, Confirm: confirmUpstream(&up)})
	if err != nil {
		return handlers.Deps{}, fmt.Errorf("cannot set up the circuit breaker: %w", err)
	}
	counters := &upstream.Counters{}
	up, err = upstream.New(upstream.Options{
		BaseURL: cfg.Upstream.URL, AttemptTimeout: cfg.Upstream.Timeout, RetryWaitMin: cfg.Upstream.RetryWaitMin,
		RetryWaitMax: cfg.Upstream.RetryWaitMax, RetryAfterCap: cfg.Upstream.RetryAfterCap, MaxRetries: cmp.Or(cfg.Upstream.MaxRetries, -1), // upstream treats 0 as its default; 0 here means none
		Tokens: tokens, Breaker: brk, Logger: log, Counters: counters, UserAgent: "weather_apis/" + cfg.App.Version,
	})
	if err != nil {
		return handlers.Deps{}, fmt.Errorf("cannot set up the upstream client: %w", err)
	}
	c, err := cache.New(ctx, cache.Options{Redis: rdb, AppID: cfg.App.ID, AppVersion: cfg.App.Version, Logger: log, L1TTL: cfg.Cache.L1TTL})
	if err != nil {
		return handlers.Deps{}, fmt.Errorf("cannot set up the cache: %w", err)
	}
	m.onClose(func() { _ = c.Close() })
	mt := metrics.New(metrics.Options{AppVersion: cfg.App.Version, Cache: c, Upstream: counters, Tokens: tokens, Breaker: brk, Logger: log})
	m.metrics = mt
	res := resources.New(mt.InstrumentUpstream(up), c, resources.Options{
		Policy: resources.Policy{TTL: cfg.Cache.TTL, SWR: cfg.Cache.SWR, StaleIfError: cfg.Cache.StaleIfError,
			MaxStale: cfg.Cache.MaxStale, NegativeTTL: cfg.Cache.NegativeTTL},
		UpstreamURL: cfg.Upstream.URL,
		Contract:    resources.ContractOptions{Path: cfg.Upstream.OpenAPIPath, File: cfg.Upstream.OpenAPIFile, Mode: cfg.Upstream.ContractMode},
		WriteSettle: cfg.Upstream.WriteSettle,
		Logger:      log,
	})
	pctx, cancelProbe := context.WithCancel(context.WithoutCancel(ctx))
	m.onClose(cancelProbe)
	go func() {
		// The published contract is read once at start; the probe re-reads
		// it every round.
		if err := res.RefreshContract(pctx); err != nil {
			log.Warn("cannot read the upstream's published contract; answers are checked by the generic rules only until it can be", "err", err.Error())
		}
		c.RunProbe(pctx, cfg.Cache.ProbeInterval, res.ProbeOptions())
	}()
	store := credentials.New(rdb, credentials.Options{Prefix: cfg.App.ID, Logger: log})
	m.onClose(func() { _ = store.Close() })
	// Diagnostics, then the Nextcloud surfaces that read its layers
	// (README.md "Nextcloud surfaces"): admin checks, setup checks,
	// notifications; then the lifecycle that registers them.
	layers := diagnostics.NewLayers(diagnostics.Deps{AppID: cfg.App.ID, AppVersion: cfg.App.Version, Cache: c, Reads: res,
		Tokens: tokens, Breaker: brk, Credentials: store, UpstreamURL: cfg.Upstream.URL, Redis: rdb, RedisKind: redisKind, Logger: log})
	admins := nextcloud.NewAdmins(nc, nextcloud.AdminsOptions{Redis: rdb, KeyPrefix: cfg.App.ID, Logger: log})
	observations := notify.NewObservations()
	checks := setupcheck.New(setupcheck.Options{Layers: layers, NC: nc, AppID: cfg.App.ID, Menu: exapp.MenuName,
		NextcloudURL: cfg.Nextcloud.URL, Config: setupcheck.ConfigFindings(cfg), Observed: observations.Observed, Logger: log})
	notifier := notify.New(notify.Options{Layers: layers, Admins: admins, NC: nc, Redis: rdb, KeyPrefix: cfg.App.ID,
		AppName: cfg.App.DisplayName, Link: checks.Link, Observations: observations, Interval: cfg.Nextcloud.NotifyInterval, Logger: log})
	lc := exapp.New(exapp.Options{
		NC: nc, DisplayName: cfg.App.DisplayName, AppVersion: cfg.App.Version,
		Steps:         initSteps(rdb, tokens, res),
		Contributions: []exapp.Contribution{checks},
		Logger:        log,
	})
	m.onClose(lc.Wait)
	integr, err := integration.New(integration.Options{
		Credentials: store, Limiter: credentials.NewLimiter(rdb, credentials.LimiterOptions{Prefix: cfg.App.ID}),
		HMACKey: []byte(cfg.JWT.SigningKey), PublicKey: cfg.JWT.PublicKey,
		DefaultScopes: cfg.JWT.DefaultScopes, Leeway: cfg.JWT.Leeway,
		AllowCIDRs: cfg.Server.AllowCIDRs, TrustedProxies: cfg.Server.TrustedProxies,
		// AppAPI's PHP proxy replaces X-Origin-IP; HaRP forwards client
		// headers untouched, so there it could be spoofed.
		TrustOriginIP: !cfg.Harp.Enabled(),
		Logger:        log,
	})
	if err != nil {
		return handlers.Deps{}, fmt.Errorf("cannot set up integration authentication: %w", err)
	}
	doc, err := openAPI(cfg.App.Version)
	if err != nil {
		return handlers.Deps{}, err
	}
	verifier := appapi.NewVerifier(cfg.App.ID, cfg.App.Secret)
	doctor := diagnostics.NewDoctor(layers, diagnostics.DoctorOptions{Lifecycle: lc, Verifier: verifier, Started: m.started})
	cacheAdm := cacheadmin.New(cacheadmin.Deps{Cache: c, Reads: res, Tokens: tokens, UpstreamCounters: counters, Logger: log})
	go notifier.Run(pctx)
	return handlers.Deps{
		AppID: cfg.App.ID, AppVersion: cfg.App.Version,
		Verifier:       verifier,
		Logger:         log,
		RequestTimeout: cfg.Server.RequestTimeout,
		MaxBodyBytes:   cfg.Server.MaxBodyBytes,
		Lifecycle:      lc,
		Occ:            occ.New(cacheAdm, doctor, store),
		Resources:      res,
		CacheAdm:       cacheAdm,
		Diag:           doctor,
		Creds:          store,
		Integr:         integr,
		OpenAPI:        doc,
		Static:         staticFS(),
		Metrics:        mt,
		Admins:         admins,
		SetupChecks:    checks,
	}, nil
}

// openAPI renders the OpenAPI document from the same route table the
// router is built from.
func openAPI(version string) ([]byte, error) {
	var rs []openapi.Route
	for _, r := range handlers.Routes() {
		rs = append(rs, openapi.Route{Name: r.Name, Method: r.Method, Path: r.Path, Access: string(r.Access),
			Integration: r.Integration(), Scope: r.Scope, Cached: r.Cached, Summary: r.Summary})
	}
	doc, err := openapi.Build(openapi.Info{Title: "weather_apis", Version: version,
		Description: "Farms, NDVI farm state and weather observations through Nextcloud AppAPI. Every answer is an envelope."}, rs)
	if err != nil {
		return nil, fmt.Errorf("cannot build the OpenAPI document: %w", err)
	}
	return doc, nil
}

// staticFS is the admin UI: the built bundle js/dist (`make js`), else
// js/public (only the app icon until the bundle is built), under the working
// directory, /app (the container image) or next to the binary. With none of
// them, every static file is a 404 envelope.
func staticFS() fs.FS {
	var dirs []string
	for _, root := range []string{".", "/app", filepath.Join(filepath.Dir(os.Args[0]), "..")} {
		dirs = append(dirs, filepath.Join(root, "js/dist"), filepath.Join(root, "js/public"))
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return os.DirFS(dir)
		}
	}
	return embed.FS{} // empty
}

// confirmUpstream is the breaker's Confirm (internal/breaker): a known-good
// request straight to DRF, never through the cache, so that failures one
// caller provokes (an id that crashes DRF) cannot open the breaker for
// everyone. Only an answer that shows DRF itself failing (no answer, a
// timeout, a 5xx) confirms; a 4xx means DRF is answering.
func confirmUpstream(up **upstream.Client) func(context.Context) error {
	schema, _ := routetable.Lookup("farm_schema")
	return func(ctx context.Context) error {
		if *up == nil {
			return nil
		}
		// With retries, like any read: a flaky upstream that answers a
		// retried known-good request is not opened on (measured: with one
		// attempt, 10 minutes of chaos kept the circuit open for a third of
		// all reads).
		_, err := (*up).Do(ctx, upstream.Request{Method: http.MethodGet, Path: schema.Upstream.Path, RequestID: "breaker-confirm"})
		if err != nil && envelope.StatusFor(envelope.From(err)) >= 500 {
			return err
		}
		return nil
	}
}
