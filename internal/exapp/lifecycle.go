package exapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

// Nextcloud is the part of the OCS client the lifecycle uses.
type Nextcloud interface {
	SetInitProgress(ctx context.Context, progress int, errMsg string) error
	RegisterOccCommand(ctx context.Context, cmd nextcloud.OccCommand) error
	UnregisterOccCommand(ctx context.Context, name string) error
	RegisterTopMenu(ctx context.Context, m nextcloud.TopMenu) error
	UnregisterTopMenu(ctx context.Context, name string) error
	RegisterScript(ctx context.Context, menu, path string) error
	UnregisterScript(ctx context.Context, menu, path string) error
	RegisterStyle(ctx context.Context, menu, path string) error
	UnregisterStyle(ctx context.Context, menu, path string) error
	SetInitialState(ctx context.Context, menu, key string, value any) error
	DeleteInitialState(ctx context.Context, menu, key string) error
	RegisterSettingsForm(ctx context.Context, form map[string]any) error
	UnregisterSettingsForm(ctx context.Context, formID string) error
}

var _ Nextcloud = (*nextcloud.Client)(nil)

// Contribution is an optional surface the app registers in Nextcloud on
// enable and removes on disable beyond the built-in ones (setup checks,
// internal/setupcheck). Its Register failing does not fail the enable (the
// app works without it; the failure is logged and reaches nextcloud.log);
// its Unregister failing is reported like any other removal.
type Contribution interface {
	Register(ctx context.Context) error
	Unregister(ctx context.Context) error
}

// Step is one piece of /init work. A failing Fatal step reports an init
// error to Nextcloud; a failing non-fatal step is logged (and so reaches the
// Nextcloud log as a warning) and init goes on.
type Step struct {
	Name  string
	Fatal bool
	Run   func(ctx context.Context) error
}

// Options configures a Lifecycle.
type Options struct {
	NC          Nextcloud
	DisplayName string
	AppVersion  string
	Steps       []Step
	// Contributions are registered after the built-in registrations and
	// removed before them.
	Contributions []Contribution
	// InitTimeout bounds the whole /init work (default 10 min).
	InitTimeout time.Duration
	Logger      *slog.Logger
}

// Lifecycle implements handlers.Lifecycle.
type Lifecycle struct {
	o Options
	// mu serialises init runs only; it is never held across a Nextcloud
	// call that re-enters the ExApp (progress 100 makes Nextcloud call
	// /heartbeat and /enabled before answering).
	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
	enabled bool
}

// New returns a Lifecycle.
func New(o Options) *Lifecycle {
	if o.InitTimeout <= 0 {
		o.InitTimeout = 10 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Lifecycle{o: o}
}

// StartInit runs the init steps in the background, unless a run is already
// going on (AppAPI may retry /init).
func (l *Lifecycle) StartInit(requestID string) {
	l.mu.Lock()
	if l.running {
		l.mu.Unlock()
		return
	}
	l.running = true
	l.mu.Unlock()
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		defer func() { l.mu.Lock(); l.running = false; l.mu.Unlock() }()
		ctx, cancel := context.WithTimeout(nextcloud.WithRequestID(context.Background(), requestID), l.o.InitTimeout)
		defer cancel()
		l.runInit(ctx)
	}()
}

// Wait blocks until a running init finished (for shutdown and tests).
func (l *Lifecycle) Wait() { l.wg.Wait() }

func (l *Lifecycle) runInit(ctx context.Context) {
	report := func(p int, msg string) {
		if err := l.o.NC.SetInitProgress(ctx, p, msg); err != nil {
			l.o.Logger.Error("cannot report init progress to Nextcloud", "progress", p, "err", err.Error())
		}
	}
	report(0, "")
	n := len(l.o.Steps)
	for i, st := range l.o.Steps {
		err := st.Run(ctx)
		switch {
		case err != nil && st.Fatal:
			l.o.Logger.Error("init step failed", "step", st.Name, "err", err.Error())
			report(progressAt(i, n), fmt.Sprintf("init step %q failed: %v", st.Name, err))
			return
		case err != nil:
			l.o.Logger.Warn("init step failed; continuing (see weather_apis:doctor)", "step", st.Name, "err", err.Error())
		default:
			l.o.Logger.Info("init step done", "step", st.Name)
		}
		if i < n-1 {
			report(progressAt(i+1, n), "")
		}
	}
	// Nextcloud runs enable inside this call; no lock is held here.
	report(100, "")
}

// progressAt maps step i of n to 1..99.
func progressAt(i, n int) int {
	if n == 0 {
		return 1
	}
	p := 1 + i*98/n
	if p > 99 {
		p = 99
	}
	return p
}

// SetEnabled registers or removes the app's Nextcloud contributions. Enable
// stops at the first failure and reports it; disable removes as much as it
// can and reports every failure.
func (l *Lifecycle) SetEnabled(ctx context.Context, on bool) error {
	if on {
		err := l.register(ctx)
		l.mu.Lock()
		l.enabled = err == nil
		l.mu.Unlock()
		return err
	}
	l.mu.Lock()
	l.enabled = false
	l.mu.Unlock()
	return l.unregister(ctx)
}

// Enabled reports whether the last enable succeeded and no disable followed.
func (l *Lifecycle) Enabled() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.enabled
}

func (l *Lifecycle) register(ctx context.Context) error {
	nc := l.o.NC
	for _, c := range OccCommands() {
		if err := nc.RegisterOccCommand(ctx, c); err != nil {
			return fmt.Errorf("cannot register occ command %s: %w", c.Name, err)
		}
	}
	if err := nc.RegisterTopMenu(ctx, nextcloud.TopMenu{Name: MenuName, DisplayName: l.o.DisplayName, Icon: MenuIcon, AdminRequired: 1}); err != nil {
		return fmt.Errorf("cannot register the top-menu entry: %w", err)
	}
	if err := nc.RegisterScript(ctx, MenuName, MenuScript); err != nil {
		return fmt.Errorf("cannot register the admin UI script: %w", err)
	}
	if err := nc.RegisterStyle(ctx, MenuName, MenuStyle); err != nil {
		return fmt.Errorf("cannot register the admin UI style: %w", err)
	}
	state := map[string]any{"version": l.o.AppVersion}
	if err := nc.SetInitialState(ctx, MenuName, StateKey, state); err != nil {
		return fmt.Errorf("cannot set the admin UI initial state: %w", err)
	}
	if err := nc.RegisterSettingsForm(ctx, SettingsFormScheme()); err != nil {
		return fmt.Errorf("cannot register the admin settings form: %w", err)
	}
	for _, c := range l.o.Contributions {
		if err := c.Register(ctx); err != nil {
			l.o.Logger.Warn("optional Nextcloud registration failed; the app works without it", "err", err.Error())
		}
	}
	return nil
}

func (l *Lifecycle) unregister(ctx context.Context) error {
	nc := l.o.NC
	var errs []error
	add := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("cannot remove %s: %w", what, err))
		}
	}
	for _, c := range l.o.Contributions {
		if err := c.Unregister(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range OccCommands() {
		add("occ command "+c.Name, nc.UnregisterOccCommand(ctx, c.Name))
	}
	add("the admin UI script", nc.UnregisterScript(ctx, MenuName, MenuScript))
	add("the admin UI style", nc.UnregisterStyle(ctx, MenuName, MenuStyle))
	add("the admin UI initial state", nc.DeleteInitialState(ctx, MenuName, StateKey))
	add("the top-menu entry", nc.UnregisterTopMenu(ctx, MenuName))
	add("the admin settings form", nc.UnregisterSettingsForm(ctx, SettingsForm))
	return errors.Join(errs...)
}
