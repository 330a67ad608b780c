package diagnostics

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/routetable"
)

// Quick layer checks, for the Nextcloud surfaces (setup checks,
// notifications): each layer of the diagnosis checked alone, cheaply and
// without side effects beyond the diagnosis's own (no probe round, no route
// exercised as a client), so a caller can run them concurrently under a
// short budget. Diagnose remains the complete check.

// The quick layers.
const (
	LayerRedis       = "redis"
	LayerToken       = "upstream_token"
	LayerUpstream    = "upstream"
	LayerContract    = "contract"
	LayerDrift       = "drift"
	LayerCache       = "cache"
	LayerCredentials = "credentials"
)

// QuickLayers names the layers QuickLayer checks, in request order.
func QuickLayers() []string {
	return []string{LayerRedis, LayerToken, LayerUpstream, LayerContract, LayerDrift, LayerCache, LayerCredentials}
}

// DriftWindow is how long after a shape change the drift layer reports it.
const DriftWindow = 10 * time.Minute

// QuickLayer checks one layer of QuickLayers; an unknown name is a down
// layer saying so. It honours ctx's deadline (a layer that cannot finish
// reports the context's error as its own failure, so callers that need to
// tell "not checked in time" apart must stop waiting first).
func (ls *Layers) QuickLayer(ctx context.Context, name string) Layer {
	switch name {
	case LayerRedis:
		return ls.redisLayer(ctx)
	case LayerToken:
		return ls.tokenLayer(ctx)
	case LayerUpstream:
		l, _ := ls.upstreamLayer(ctx)
		return l
	case LayerContract:
		shapes, err := ls.d.Cache.Shapes(ctx, routetable.CachedReads())
		return ls.contractLayer(nil, shapes, err)
	case LayerDrift:
		return ls.driftLayer(ctx)
	case LayerCache:
		return ls.cacheLayer(ctx, "")
	case LayerCredentials:
		return ls.credentialsLayer(ctx)
	}
	return Layer{Layer: name, State: StateDown, Summary: "Unknown layer.", Evidence: map[string]any{}}
}

// driftLayer is degraded while a cached route's answers changed shape in
// the last DriftWindow: the cache already made older entries unreachable;
// what changed is named so someone can check the backend meant it.
func (ls *Layers) driftLayer(ctx context.Context) Layer {
	l := Layer{Layer: LayerDrift, State: StateOK, Summary: "No cached route changed its shape recently.", Evidence: map[string]any{}}
	shapes, err := ls.d.Cache.Shapes(ctx, routetable.CachedReads())
	if err != nil {
		l.State, l.Summary = StateDown, "The routes' shape records cannot be read (Redis)."
		l.Evidence["error"] = envelope.From(err).Message
		return l
	}
	var routes []string
	var latest time.Time
	for _, sh := range shapes {
		if d := sh.LastDrift; d != nil && time.Since(d.At) < DriftWindow {
			routes = append(routes, fmt.Sprintf("%s (%s)", sh.Route, d.Changes))
			l.Evidence[sh.Route+"_last_drift_at"] = d.At.UTC().Format(time.RFC3339)
			if d.At.After(latest) {
				latest = d.At
			}
		}
	}
	if len(routes) > 0 {
		l.State = StateDegraded
		l.Summary = "The backend changed the shape of its answers: " + strings.Join(routes, "; ") + "."
		l.Advice = "Older cached entries were made unreachable at once; nothing to do unless the change was not intended (ask the backend team)."
		l.Evidence["since"] = latest.UTC().Format(time.RFC3339)
	}
	return l
}

// credentialsLayer checks the integration credential store (Redis).
func (ls *Layers) credentialsLayer(ctx context.Context) Layer {
	l := Layer{Layer: LayerCredentials, State: StateOK, Summary: "The integration credential store answers.", Evidence: map[string]any{}}
	list, err := ls.d.Credentials.List(ctx)
	if err != nil {
		e := envelope.From(err)
		l.State, l.Summary = StateDown, e.Message
		l.Evidence["error_code"] = string(e.Code)
		l.Advice = "Integrations are refused (503) until Redis answers; check WEATHER_APIS_REDIS_URL and redis-server."
		return l
	}
	l.Evidence["count"] = len(list)
	if ls.d.RedisKind == "embedded" {
		l.State = StateDegraded
		l.Summary = "Integration credentials live in the embedded in-process store: they are lost at every restart and not shared."
		l.Advice = "Set WEATHER_APIS_REDIS_URL to a persistent Redis (AOF or RDB)."
	}
	return l
}
