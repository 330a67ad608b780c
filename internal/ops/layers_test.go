package ops_test

import (
	"context"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/ops"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

type listCreds struct{ n int }

func (c listCreds) Create(context.Context, string, []byte) (any, error) { return nil, nil }
func (c listCreds) List(context.Context) (any, error)                   { return make([]int, c.n), nil }
func (c listCreds) Revoke(context.Context, string) (any, error)         { return nil, nil }

// TestQuickLayers: each layer alone, as the setup checks and the
// notifier read them; a shape change shows in the drift layer; Redis down
// shows in every layer that needs it.
func TestQuickLayers(t *testing.T) {
	w := newWorld(t, func(d *ops.Deps) { d.Creds = listCreds{2} })
	ctx := context.Background()
	if _, err := w.res.Read(ctx, "farm_state", resources.Params{ID: "2"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range ops.QuickLayers() {
		if l := w.ops.QuickLayer(ctx, name); l.State != ops.StateOK || l.Layer != name {
			t.Errorf("%s on a healthy stack = %+v", name, l)
		}
	}
	if l := w.ops.QuickLayer(ctx, ops.LayerCredentials); l.Evidence["count"] != 2 {
		t.Errorf("credentials evidence = %v", l.Evidence)
	}
	w.drf.SetLayout(t, testenv.Layout{FarmState: "ndvi-object"})
	if _, err := w.res.Read(ctx, "farm_state", resources.Params{ID: "2", Revalidate: true}); err != nil {
		t.Fatal(err)
	}
	if l := w.ops.QuickLayer(ctx, ops.LayerDrift); l.State != ops.StateDegraded || !strings.Contains(l.Summary, "farm_state") {
		t.Errorf("drift after a shape change = %+v", l)
	}
	w.redis.Stop(t)
	for _, name := range []string{ops.LayerRedis, ops.LayerDrift} {
		if l := w.ops.QuickLayer(ctx, name); l.State != ops.StateDown {
			t.Errorf("%s with Redis down = %+v; want down", name, l)
		}
	}
	if l := w.ops.QuickLayer(ctx, "nope"); l.State != ops.StateDown {
		t.Errorf("unknown layer = %+v", l)
	}
}
