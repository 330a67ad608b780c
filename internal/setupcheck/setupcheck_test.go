package setupcheck_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/config"
	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
	"github.com/weather-apis/weather_apis/internal/setupcheck"
)

// fakeLayers answers each layer with a fixed Layer after a delay.
type fakeLayers struct {
	layers map[string]diagnostics.Layer
	delay  map[string]time.Duration
}

func (f fakeLayers) QuickLayer(ctx context.Context, name string) diagnostics.Layer {
	if d := f.delay[name]; d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return diagnostics.Layer{Layer: name, State: diagnostics.StateDown, Summary: "context: " + ctx.Err().Error()}
		}
	}
	if l, ok := f.layers[name]; ok {
		return l
	}
	return diagnostics.Layer{Layer: name, State: diagnostics.StateOK, Summary: name + " is fine."}
}

type fakeNC struct {
	optIn, optOut int
	optInErr      error
	abs           string
}

func (f *fakeNC) RegisterSetupChecks(context.Context) error   { f.optIn++; return f.optInErr }
func (f *fakeNC) UnregisterSetupChecks(context.Context) error { f.optOut++; return nil }
func (f *fakeNC) AbsoluteURL(_ context.Context, rel string) (string, error) {
	return f.abs + "/" + rel, nil
}

func TestChecksMapLayersToAppAPIStatuses(t *testing.T) {
	t.Parallel()
	layers := fakeLayers{layers: map[string]diagnostics.Layer{
		diagnostics.LayerRedis:    {State: diagnostics.StateDown, Summary: "Redis does not answer PING.", Advice: "Check WEATHER_APIS_REDIS_URL."},
		diagnostics.LayerToken:    {State: diagnostics.StateDegraded, Summary: "The token is kept per process."},
		diagnostics.LayerCache:    {State: diagnostics.StateOutdated, Summary: "The cache was keyed for schema 1."},
		diagnostics.LayerDrift:    {State: diagnostics.StateDegraded, Summary: "The backend changed the shape of its answers: farm_state.", Advice: "Nothing to do."},
		diagnostics.LayerContract: {State: diagnostics.StateOK, Summary: "The answers match."},
	}}
	nc := &fakeNC{abs: "https://cloud.example"}
	c := setupcheck.New(setupcheck.Options{Layers: layers, NC: nc, AppID: "weather_apis", Menu: "weather_apis", NextcloudURL: "http://nextcloud:80"})
	if !strings.HasPrefix(c.Link(), "http://nextcloud:80/index.php/apps/app_api/embedded/weather_apis/weather_apis#diagnostics") {
		t.Errorf("link before enable = %q", c.Link())
	}
	if err := c.Register(context.Background()); err != nil || nc.optIn != 1 {
		t.Fatalf("Register = %v (opt-ins %d)", err, nc.optIn)
	}
	link := "https://cloud.example/index.php/apps/app_api/embedded/weather_apis/weather_apis#diagnostics"
	if c.Link() != link {
		t.Errorf("link = %q; want Nextcloud's absolute URL", c.Link())
	}
	r := c.Run(context.Background())
	raw, _ := json.Marshal(r)
	if !strings.HasPrefix(string(raw), `{"redis":`) || !strings.Contains(string(raw), `"configuration":`) {
		t.Errorf("answer order = %s", raw)
	}
	want := map[string]string{"redis": "error", "upstream_token": "warning", "upstream": "success", "contract": "info",
		"cache": "info", "credentials": "success", "configuration": "success"}
	for id, status := range want {
		got := r.Results[id]
		if got.Status != status {
			t.Errorf("%s = %+v; want %s", id, got, status)
		}
		if (status == "success") != (got.LinkURL == "") || got.LinkURL != "" && got.LinkURL != link {
			t.Errorf("%s link = %q", id, got.LinkURL)
		}
	}
	if txt := r.Results["redis"].Text; txt != "Redis: Redis does not answer PING. Check WEATHER_APIS_REDIS_URL." {
		t.Errorf("redis text = %q", txt)
	}
	if txt := r.Results["contract"].Text; !strings.Contains(txt, "farm_state") {
		t.Errorf("a recent shape change is not mentioned: %q", txt)
	}
}

// TestChecksAnswerWithinTheBudget: a layer that hangs is reported as info
// "not checked in time" (with the last observation, when there is one);
// the answer never waits for it.
func TestChecksAnswerWithinTheBudget(t *testing.T) {
	layers := fakeLayers{delay: map[string]time.Duration{diagnostics.LayerUpstream: 5 * time.Second, diagnostics.LayerDrift: 5 * time.Second}}
	observed := func(layer string) (diagnostics.Layer, time.Time, bool) {
		if layer == diagnostics.LayerUpstream {
			return diagnostics.Layer{State: diagnostics.StateOK, Summary: "The DRF backend answers."}, time.Now().Add(-20 * time.Second), true
		}
		return diagnostics.Layer{}, time.Time{}, false
	}
	c := setupcheck.New(setupcheck.Options{Layers: layers, AppID: "weather_apis", NextcloudURL: "http://nc", Observed: observed})
	start := time.Now()
	r := c.Run(context.Background())
	if took := time.Since(start); took > time.Second {
		t.Fatalf("answered after %v; want under 1 s", took)
	}
	up := r.Results["upstream"]
	if up.Status != "info" || !strings.Contains(up.Text, "not checked within 800ms") || !strings.Contains(up.Text, "Last known (20s ago): ok") {
		t.Errorf("upstream = %+v", up)
	}
	if ct := r.Results["contract"]; ct.Status != "info" || !strings.Contains(ct.Text, "not checked") {
		t.Errorf("contract with its drift half late = %+v", ct)
	}
	if r.Results["redis"].Status != "success" {
		t.Errorf("redis = %+v", r.Results["redis"])
	}
}

func TestRegisterToleratesAnAppAPIWithoutSetupChecks(t *testing.T) {
	t.Parallel()
	nc := &fakeNC{abs: "https://c", optInErr: &nextcloud.Error{Status: 200, StatusCode: 998}}
	c := setupcheck.New(setupcheck.Options{Layers: fakeLayers{}, NC: nc, AppID: "weather_apis"})
	if err := c.Register(context.Background()); err != nil {
		t.Errorf("Register on AppAPI < 35 = %v; want nil", err)
	}
	nc.optInErr = &nextcloud.Error{Status: 500, StatusCode: 996}
	if err := c.Register(context.Background()); err == nil {
		t.Errorf("Register when Nextcloud fails = nil; want the error")
	}
	if err := c.Unregister(context.Background()); err != nil || nc.optOut != 1 {
		t.Errorf("Unregister = %v (%d)", err, nc.optOut)
	}
}

func TestConfigFindings(t *testing.T) {
	t.Parallel()
	var cfg config.Config
	cfg.Upstream.URL = "http://drf.example.com:8000"
	cfg.Upstream.ContractMode = "enforce"
	cfg.Metrics.Addr = "0.0.0.0:9464"
	got := setupcheck.ConfigFindings(&cfg)
	text := ""
	for _, f := range got {
		text += f.Status + ": " + f.Text + "\n"
	}
	for _, want := range []string{"warning: WEATHER_APIS_UPSTREAM_URL uses plain http to drf.example.com", "error: WEATHER_APIS_UPSTREAM_PASSWORD is empty",
		"warning: WEATHER_APIS_UPSTREAM_CONTRACT_MODE=enforce", "warning: WEATHER_APIS_CACHE_PROBE_INTERVAL is 0", "warning: WEATHER_APIS_METRICS_ADDR", "info: No WEATHER_APIS_JWT"} {
		if !strings.Contains(text, want) {
			t.Errorf("findings lack %q:\n%s", want, text)
		}
	}
	cfg = config.Config{}
	cfg.Upstream.URL, cfg.Upstream.Password, cfg.Upstream.ContractMode = "http://drf:8000", "pw", "report"
	cfg.Cache.ProbeInterval, cfg.Metrics.Addr, cfg.JWT.SigningKey = time.Minute, "127.0.0.1:9464", strings.Repeat("k", 32)
	if got := setupcheck.ConfigFindings(&cfg); len(got) != 0 {
		t.Errorf("a sound configuration (a service name over http is internal) has findings: %+v", got)
	}
	c := setupcheck.New(setupcheck.Options{Layers: fakeLayers{}, AppID: "weather_apis", NextcloudURL: "http://nc",
		Config: []setupcheck.Finding{{Status: "info", Text: "a."}, {Status: "warning", Text: "b."}}})
	if r := c.Run(context.Background()).Results["configuration"]; r.Status != "warning" || r.Text != "Configuration: a. b." {
		t.Errorf("configuration = %+v", r)
	}
}
