// Package notify tells Nextcloud's administrators, through AppAPI's
// notification endpoint, when a layer of weather_apis starts failing and
// when it recovers (README.md "Nextcloud surfaces").
//
// Contract. While AppAPI has the app enabled, every replica observes the
// doctor's quick layers
// (internal/diagnostics.Layers.QuickLayer) every Interval and derives signals
// (signals.go). A signal's observed state must be seen Confirm times in a
// row before it counts. The replicas then converge what admins were last
// told towards what is observed, through one Redis record per signal
// (store.go): one atomic compare-and-set decides which single replica sends,
// and no signal is announced more often than once per MinInterval, so a
// flapping layer produces its first notification and, once it settles, one
// final notification of where it settled (or nothing, if it settled where
// it was announced). Events (a token refresh rejected, a shape change) are
// announced when they happen, not when they end. A notification that cannot
// be sent is given back and tried again at the next observation, on any
// replica: that is the queue. Every announcement is also mirrored in the
// ExApp's config in Nextcloud (appconfig_ex). While Redis is unreachable
// each replica decides by the same rules, adopting what the mirror says
// admins were told (no compare-and-set there: replicas deciding in the same
// instant may both send), and records its decisions in Redis once it
// answers again. Signals whose layer reads Redis (token, cache,
// credentials) are not announced while Redis itself is failing: one root
// cause, one notification.
//
// Upstream: app_api lib/Controller/NotificationsController.php sends to the
// user named in AUTHORIZATION-APP-API, so one notification is sent per
// administrator; the administrators are the members of Nextcloud's "admin"
// group (provisioning_api GroupsController::getGroupUsers, asked as a user
// Nextcloud confirmed to be an administrator).
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

// Layers runs one quick layer check (internal/diagnostics.Layers.QuickLayer).
type Layers interface {
	QuickLayer(ctx context.Context, name string) diagnostics.Layer
}

// Admins answers admin membership (internal/nextcloud.Admins).
type Admins interface {
	IsAdmin(ctx context.Context, user string) (bool, error)
	Known(ctx context.Context) []string
}

// Nextcloud is the part of the OCS client notifications need.
type Nextcloud interface {
	ExAppEnabled(ctx context.Context) (bool, error)
	Users(ctx context.Context) ([]string, error)
	GroupMembers(ctx context.Context, asUser, group string) ([]string, error)
	Notify(ctx context.Context, user string, n nextcloud.Notification) error
	// The ExApp's config in Nextcloud mirrors each signal's last
	// announcement, so replicas agree while Redis is unreachable.
	AppConfigValues(ctx context.Context, keys ...string) (map[string]string, error)
	SetAppConfig(ctx context.Context, key, value string) error
}

// Options configures a Notifier.
type Options struct {
	Layers Layers
	Admins Admins
	NC     Nextcloud
	// Redis decides across replicas; nil decides per process.
	Redis     redis.UniversalClient
	KeyPrefix string // the app id
	AppName   string // shown in subjects (default "weather_apis")
	// Link returns the admin page's diagnostics URL (absolute).
	Link func() string
	// Observations is where the last observation of each layer is kept
	// (default: the Notifier's own).
	Observations *Observations
	// Interval between observations (default 1 m).
	Interval time.Duration
	// MinInterval is the shortest time between two notifications of one
	// signal (default 5 m).
	MinInterval time.Duration
	// Confirm is how many observations in a row a new state needs
	// (default 2).
	Confirm int
	// EventWindow is how long an event stays observed (default 10 m).
	EventWindow time.Duration
	// Budget bounds one observation of all layers (default 20 s).
	Budget time.Duration
	// RecordTTL bounds a record in Redis (default 24 h): a signal still
	// failing after that is announced again.
	RecordTTL time.Duration
	Logger    *slog.Logger
}

// Notifier observes the layers and notifies administrators.
type Notifier struct {
	o  Options
	st *store

	mu           sync.Mutex
	pending      map[string]streak // by signal
	current      map[string]string // confirmed state by signal
	rejected     int64
	rejectedSeen bool
	rejectedAt   time.Time

	rosterMu sync.Mutex
	roster   []string
	rosterAt time.Time
}

type streak struct {
	state string
	n     int
}

// New returns a Notifier.
func New(o Options) *Notifier {
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.MinInterval <= 0 {
		o.MinInterval = 5 * time.Minute
	}
	if o.Confirm <= 0 {
		o.Confirm = 2
	}
	if o.EventWindow <= 0 {
		o.EventWindow = diagnostics.DriftWindow
	}
	if o.Budget <= 0 {
		o.Budget = 20 * time.Second
	}
	if o.RecordTTL <= 0 {
		o.RecordTTL = 24 * time.Hour
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = "weather_apis"
	}
	if o.AppName == "" {
		o.AppName = "weather_apis"
	}
	if o.Observations == nil {
		o.Observations = NewObservations()
	}
	if o.Link == nil {
		o.Link = func() string { return "" }
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{o: o, st: newStore(o.Redis, o.NC, o.KeyPrefix, o.MinInterval, o.RecordTTL),
		pending: map[string]streak{}, current: map[string]string{}}
}

// Run observes every Interval until ctx ends.
func (m *Notifier) Run(ctx context.Context) {
	t := time.NewTicker(m.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Tick(ctx)
		}
	}
}

// Tick observes once and sends what the observation calls for; it returns
// the notifications this process sent. While AppAPI does not have the app
// enabled (or Nextcloud cannot say) there is no one to tell: nothing is
// observed, so an app that is not in use puts no load on its backend.
func (m *Notifier) Tick(ctx context.Context) []Sent {
	ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
	on, err := m.o.NC.ExAppEnabled(ectx)
	cancel()
	if err != nil || !on {
		if err != nil {
			m.o.Logger.Debug("not observing: Nextcloud cannot say whether the app is enabled", "err", err.Error())
		}
		return nil
	}
	m.observe(ctx)
	var out []Sent
	for _, sig := range signals {
		if s, ok := m.converge(ctx, sig); ok {
			out = append(out, s)
		}
	}
	return out
}

// Sent is one notification this process sent (to every administrator).
type Sent struct {
	Signal, State string
	To            []string
}

// Observed returns the last observation of a quick layer
// (Options.Observations).
func (m *Notifier) Observed(layer string) (diagnostics.Layer, time.Time, bool) {
	return m.o.Observations.Observed(layer)
}

// observe runs the quick layers concurrently and updates the confirmed
// state of every signal.
func (m *Notifier) observe(parent context.Context) {
	ctx, cancel := context.WithTimeout(parent, m.o.Budget)
	defer cancel()
	names := map[string]bool{}
	for _, s := range signals {
		names[s.layer] = true
	}
	type done struct {
		name string
		l    diagnostics.Layer
	}
	ch := make(chan done, len(names))
	for n := range names {
		go func() { ch <- done{n, m.o.Layers.QuickLayer(ctx, n)} }()
	}
	got := map[string]diagnostics.Layer{}
	for range names {
		d := <-ch
		got[d.name] = d.l
	}
	if parent.Err() != nil {
		return // shutting down: not an observation
	}
	m.o.Observations.record(got, time.Now())
	for _, sig := range signals {
		state := StateOK
		if sig.failing(m, got[sig.layer]) {
			state = StateFailing
		}
		m.mu.Lock()
		p := m.pending[sig.name]
		if p.state == state {
			p.n++
		} else {
			p = streak{state, 1}
		}
		m.pending[sig.name] = p
		if _, known := m.current[sig.name]; !known && state == StateOK {
			m.current[sig.name] = StateOK
		}
		if p.n >= m.o.Confirm {
			m.current[sig.name] = state
		}
		m.mu.Unlock()
	}
}

// converge moves what admins were told about sig towards its confirmed
// state.
func (m *Notifier) converge(ctx context.Context, sig signal) (Sent, bool) {
	obs := m.o.Observations.get(sig.layer)
	m.mu.Lock()
	desired, ok := m.current[sig.name]
	redisFailing := m.current["redis"] == StateFailing
	m.mu.Unlock()
	if !ok {
		return Sent{}, false // not confirmed yet
	}
	if sig.onRedis && redisFailing && desired == StateFailing {
		return Sent{}, false // Redis's failure, announced as such
	}
	silent := sig.event && desired == StateOK
	prevSent, prevAt := m.st.last(sig.name)
	d, tok := m.st.claim(ctx, sig.name, desired, time.Now(), silent)
	if d != claimSend {
		return Sent{}, false
	}
	n := m.message(sig, desired, obs.l)
	to, err := m.send(ctx, n)
	if err != nil {
		m.st.release(ctx, sig.name, tok, prevSent, prevAt)
		m.o.Logger.Warn("cannot notify Nextcloud's administrators; will try again", "signal", sig.name, "state", desired, "err", err.Error())
		return Sent{}, false
	}
	m.st.mirror(ctx, sig.name, desired, time.Now())
	m.o.Logger.Info("administrators notified", "signal", sig.name, "state", desired, "admins", len(to))
	return Sent{Signal: sig.name, State: desired, To: to}, true
}

// message builds the notification for sig in state.
func (m *Notifier) message(sig signal, state string, l diagnostics.Layer) nextcloud.Notification {
	subject := sig.fail
	text := l.Summary
	if l.Advice != "" {
		text += " " + l.Advice
	}
	if state == StateOK {
		subject = sig.recover
		text = "Recovered: " + l.Summary
	}
	return nextcloud.Notification{
		ObjectType: m.o.KeyPrefix + "_layer",
		ObjectID:   fmt.Sprintf("%s-%s-%d", sig.name, state, time.Now().Unix()),
		Subject:    shorten(m.o.AppName+": "+subject, 200),
		Message:    shorten(text, 1000),
		Link:       m.o.Link(),
	}
}
