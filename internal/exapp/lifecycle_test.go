package exapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/exapp"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

// fakeNC records calls; OnProgress runs inside SetInitProgress, the way
// Nextcloud runs enable inside the progress-100 request.
type fakeNC struct {
	mu         sync.Mutex
	progress   []int
	errs       []string
	registered map[string]int
	failOn     string
	OnProgress func(p int)
}

var _ exapp.Nextcloud = (*fakeNC)(nil)

func (f *fakeNC) rec(what string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.registered == nil {
		f.registered = map[string]int{}
	}
	if what == f.failOn {
		return errors.New("nextcloud said no")
	}
	f.registered[what]++
	return nil
}

func (f *fakeNC) SetInitProgress(ctx context.Context, p int, msg string) error {
	f.mu.Lock()
	f.progress = append(f.progress, p)
	if msg != "" {
		f.errs = append(f.errs, msg)
	}
	cb := f.OnProgress
	f.mu.Unlock()
	if cb != nil {
		cb(p)
	}
	return nil
}
func (f *fakeNC) RegisterOccCommand(ctx context.Context, c nextcloud.OccCommand) error {
	return f.rec("occ+" + c.Name)
}
func (f *fakeNC) UnregisterOccCommand(ctx context.Context, n string) error { return f.rec("occ-" + n) }
func (f *fakeNC) RegisterTopMenu(ctx context.Context, m nextcloud.TopMenu) error {
	return f.rec("menu+")
}
func (f *fakeNC) UnregisterTopMenu(ctx context.Context, n string) error { return f.rec("menu-") }
func (f *fakeNC) RegisterScript(ctx context.Context, m, p string) error { return f.rec("script+") }
func (f *fakeNC) UnregisterScript(ctx context.Context, m, p string) error {
	return f.rec("script-")
}
func (f *fakeNC) RegisterStyle(ctx context.Context, m, p string) error   { return f.rec("style+") }
func (f *fakeNC) UnregisterStyle(ctx context.Context, m, p string) error { return f.rec("style-") }
func (f *fakeNC) SetInitialState(ctx context.Context, m, k string, v any) error {
	return f.rec("state+")
}
func (f *fakeNC) DeleteInitialState(ctx context.Context, m, k string) error { return f.rec("state-") }
func (f *fakeNC) RegisterSettingsForm(ctx context.Context, form map[string]any) error {
	return f.rec("form+")
}
func (f *fakeNC) UnregisterSettingsForm(ctx context.Context, id string) error { return f.rec("form-") }

func TestInitReportsProgressAndEnableReentersWithoutDeadlock(t *testing.T) {
	t.Parallel()
	nc := &fakeNC{}
	var lc *exapp.Lifecycle
	enabledDuring100 := make(chan error, 1)
	nc.OnProgress = func(p int) {
		if p == 100 { // Nextcloud calls PUT /enabled before answering
			enabledDuring100 <- lc.SetEnabled(context.Background(), true)
		}
	}
	steps := []exapp.Step{
		{Name: "a", Run: func(ctx context.Context) error { return nil }},
		{Name: "b (non-fatal)", Run: func(ctx context.Context) error { return errors.New("upstream down") }},
		{Name: "c", Run: func(ctx context.Context) error { return nil }},
	}
	lc = exapp.New(exapp.Options{NC: nc, DisplayName: "Weather APIs", AppVersion: "1.0.0", Steps: steps})
	lc.StartInit("rid")
	lc.StartInit("rid-again") // a retried /init while running is ignored
	select {
	case err := <-enabledDuring100:
		if err != nil {
			t.Fatalf("enable during progress 100: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock: enable inside the progress-100 call did not finish")
	}
	lc.Wait()
	nc.mu.Lock()
	defer nc.mu.Unlock()
	if len(nc.progress) < 2 || nc.progress[0] != 0 || nc.progress[len(nc.progress)-1] != 100 {
		t.Fatalf("progress = %v; want 0 … 100", nc.progress)
	}
	for i := 1; i < len(nc.progress); i++ {
		if nc.progress[i] < nc.progress[i-1] {
			t.Errorf("progress went backwards: %v", nc.progress)
		}
	}
	if len(nc.errs) != 0 {
		t.Errorf("non-fatal failure reported as init error: %v", nc.errs)
	}
	if nc.registered["occ+weather_apis:doctor"] != 1 || nc.registered["menu+"] != 1 || nc.registered["form+"] != 1 {
		t.Errorf("registrations = %v", nc.registered)
	}
	if !lc.Enabled() {
		t.Errorf("Enabled() = false after a successful enable")
	}
}

func TestFatalStepReportsError(t *testing.T) {
	t.Parallel()
	nc := &fakeNC{}
	lc := exapp.New(exapp.Options{NC: nc, Steps: []exapp.Step{{Name: "redis", Fatal: true, Run: func(ctx context.Context) error { return errors.New("no PONG") }}}})
	lc.StartInit("")
	lc.Wait()
	if len(nc.errs) != 1 || nc.progress[len(nc.progress)-1] == 100 {
		t.Fatalf("progress %v errs %v; want an error and no 100", nc.progress, nc.errs)
	}
}

func TestEnableFailureAndDisableRemovesEverything(t *testing.T) {
	t.Parallel()
	nc := &fakeNC{failOn: "menu+"}
	lc := exapp.New(exapp.Options{NC: nc})
	if err := lc.SetEnabled(context.Background(), true); err == nil || lc.Enabled() {
		t.Fatalf("enable with a failing registration = %v, enabled %v; want an error", err, lc.Enabled())
	}
	nc.failOn = "script-"
	err := lc.SetEnabled(context.Background(), false)
	if err == nil {
		t.Fatalf("disable hid a failed removal")
	}
	if nc.registered["menu-"] != 1 || nc.registered["form-"] != 1 || nc.registered["occ-weather_apis:cache:stats"] != 1 {
		t.Errorf("disable stopped early: %v", nc.registered)
	}
}
