package notify

import (
	"sync"
	"time"

	"github.com/weather-apis/weather_apis/internal/diagnostics"
)

// Observations hold the last observation of each quick layer: the Notifier
// records them, the setup checks (internal/setupcheck) answer "last known"
// with them for a layer they could not check in time. Both are built from
// it, so neither needs the other.
type Observations struct {
	mu sync.Mutex
	m  map[string]observation
}

type observation struct {
	l  diagnostics.Layer
	at time.Time
}

// NewObservations returns empty Observations.
func NewObservations() *Observations { return &Observations{m: map[string]observation{}} }

// Observed returns the last observation of layer and when it was made.
func (o *Observations) Observed(layer string) (diagnostics.Layer, time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ob, ok := o.m[layer]
	return ob.l, ob.at, ok
}

func (o *Observations) record(got map[string]diagnostics.Layer, at time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for n, l := range got {
		o.m[n] = observation{l, at}
	}
}

func (o *Observations) get(layer string) observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[layer]
}
