package diagnostics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestQuickLayers: each layer alone, as the setup checks and the
// notifier read them; a shape change shows in the drift layer; Redis down
// shows in every layer that needs it.
func TestQuickLayers(t *testing.T) {
	w := newWorld(t, enabled{}, testenv.SharedDRF(t, testenv.DRFOptions{}))
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if _, err := w.creds.Create(ctx, credentials.CreateRequest{Name: name, Type: credentials.TypeAPIKey, Scopes: []string{"observations:read"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.res.Read(ctx, "farm_state", resources.Params{ID: "2"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range diagnostics.QuickLayers() {
		if l := w.layers.QuickLayer(ctx, name); l.State != diagnostics.StateOK || l.Layer != name {
			t.Errorf("%s on a healthy stack = %+v", name, l)
		}
	}
	if l := w.layers.QuickLayer(ctx, diagnostics.LayerCredentials); l.Evidence["count"] != 2 {
		t.Errorf("credentials evidence = %v", l.Evidence)
	}
	w.drf.SetLayout(t, testenv.Layout{FarmState: "ndvi-object"})
	if _, err := w.res.Read(ctx, "farm_state", resources.Params{ID: "2", Revalidate: true}); err != nil {
		t.Fatal(err)
	}
	if l := w.layers.QuickLayer(ctx, diagnostics.LayerDrift); l.State != diagnostics.StateDegraded || !strings.Contains(l.Summary, "farm_state") {
		t.Errorf("drift after a shape change = %+v", l)
	}
	w.redis.Stop(t)
	for _, name := range []string{diagnostics.LayerRedis, diagnostics.LayerDrift} {
		if l := w.layers.QuickLayer(ctx, name); l.State != diagnostics.StateDown {
			t.Errorf("%s with Redis down = %+v; want down", name, l)
		}
	}
	if l := w.layers.QuickLayer(ctx, "nope"); l.State != diagnostics.StateDown {
		t.Errorf("unknown layer = %+v", l)
	}
}
