// Package setupcheck is weather_apis' part of Nextcloud's "Security & setup
// warnings" (AppAPI 35): it opts in on enable and out on disable, and
// answers AppAPI's GET /setup_checks with one check per layer of the doctor
// (README.md "Nextcloud surfaces").
//
// Upstream contract (nextcloud/app_api lib/Controller/SetupCheckController.php,
// lib/Service/ExAppSetupCheckRefreshService.php): a background job (every
// 10 min, and once when an admin opens the overview) sends GET /setup_checks
// signed with an empty user and waits at most 5 s; the answer must be a 2xx
// with a Content-Length of digits only, at most 256 KiB, whose JSON body is
// {id: {status, text, link_url?, link_label?}}. Status success and info are
// not shown; warning and error are (at most 16), each as "<app name>: text"
// with the link when link_url is an absolute http(s) URL. Anything else
// shows as "not responding".
package setupcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

// Statuses AppAPI understands.
const (
	Success = "success"
	Info    = "info"
	Warning = "warning"
	Error   = "error"
)

// Result is one check of the answer.
type Result struct {
	Status    string `json:"status"`
	Text      string `json:"text"`
	LinkURL   string `json:"link_url,omitempty"`
	LinkLabel string `json:"link_label,omitempty"`
}

// Report is the whole answer, in check order (JSON: an object whose members
// keep that order, the order the overview lists them in).
type Report struct {
	IDs     []string
	Results map[string]Result
}

// MarshalJSON writes the members in IDs order.
func (r Report) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, id := range r.IDs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(id)
		v, err := json.Marshal(r.Results[id])
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Layers runs one quick layer check (internal/diagnostics.Layers.QuickLayer).
type Layers interface {
	QuickLayer(ctx context.Context, name string) diagnostics.Layer
}

// Observed returns the last observation of a layer made by someone else
// (internal/notify's monitor), to say what was last known about a layer
// that could not be checked in time.
type Observed func(layer string) (diagnostics.Layer, time.Time, bool)

// Nextcloud is the part of the OCS client setup checks need.
type Nextcloud interface {
	RegisterSetupChecks(ctx context.Context) error
	UnregisterSetupChecks(ctx context.Context) error
	AbsoluteURL(ctx context.Context, rel string) (string, error)
}

// Options configures Checks.
type Options struct {
	Layers Layers
	NC     Nextcloud
	// AppID names the app's admin page (/index.php/apps/app_api/embedded/<id>/<menu>).
	AppID, Menu string
	// NextcloudURL is NEXTCLOUD_URL: the link's base until Nextcloud told
	// its absolute URL (on enable).
	NextcloudURL string
	// Config are the configuration findings (ConfigFindings).
	Config []Finding
	// Budget bounds the layer checks of one answer (default 800 ms): AppAPI
	// waits 5 s, and the answer should come within 1 s.
	Budget   time.Duration
	Observed Observed
	Logger   *slog.Logger
}

// Checks answers /setup_checks and registers with AppAPI.
type Checks struct {
	o    Options
	link atomic.Pointer[string]
}

// New returns Checks.
func New(o Options) *Checks {
	if o.Budget <= 0 {
		o.Budget = 800 * time.Millisecond
	}
	if o.Menu == "" {
		o.Menu = o.AppID
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Checks{o: o}
	base := strings.TrimRight(o.NextcloudURL, "/") + "/" + c.pagePath()
	c.link.Store(&base)
	return c
}

// pagePath is the admin page relative to Nextcloud's web root.
func (c *Checks) pagePath() string {
	return "index.php/apps/app_api/embedded/" + c.o.AppID + "/" + c.o.Menu
}

// Link is the admin page's diagnostics view, absolute (AppAPI drops links
// that are not absolute http(s) URLs).
func (c *Checks) Link() string { return *c.link.Load() + "#diagnostics" }

// Register opts in (AppAPI 35+) and learns Nextcloud's absolute URL for
// links. An AppAPI without setup checks is not an error: there is nothing
// to register with.
func (c *Checks) Register(ctx context.Context) error {
	if c.o.NC == nil {
		return nil
	}
	if u, err := c.o.NC.AbsoluteURL(ctx, c.pagePath()); err == nil && (strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")) {
		c.link.Store(&u)
	}
	if err := c.o.NC.RegisterSetupChecks(ctx); err != nil {
		if nextcloud.IsNotFound(err) {
			c.o.Logger.Info("this AppAPI has no setup checks (it needs Nextcloud 35); the doctor and diagnostics still report every layer")
			return nil
		}
		return fmt.Errorf("cannot opt in to Nextcloud's setup checks: %w", err)
	}
	return nil
}

// Unregister opts out.
func (c *Checks) Unregister(ctx context.Context) error {
	if c.o.NC == nil {
		return nil
	}
	if err := c.o.NC.UnregisterSetupChecks(ctx); err != nil {
		return fmt.Errorf("cannot opt out of Nextcloud's setup checks: %w", err)
	}
	return nil
}

// check is one entry of the answer: which layers it is made of.
type check struct {
	id, name string
	layers   []string
}

var checks = []check{
	{"redis", "Redis", []string{diagnostics.LayerRedis}},
	{"upstream_token", "DRF token", []string{diagnostics.LayerToken}},
	{"upstream", "DRF backend", []string{diagnostics.LayerUpstream}},
	{"contract", "Backend contract", []string{diagnostics.LayerContract, diagnostics.LayerDrift}},
	{"cache", "Cache", []string{diagnostics.LayerCache}},
	{"credentials", "Credential store", []string{diagnostics.LayerCredentials}},
}

// SetupChecks runs every layer check concurrently under Budget and returns
// the answer. A layer that has not finished when the budget ends is
// reported as info "not checked in time", never waited for.
func (c *Checks) SetupChecks(ctx context.Context) any { return c.Run(ctx) }

// Run is SetupChecks with its concrete type.
func (c *Checks) Run(ctx context.Context) Report {
	bctx, cancel := context.WithTimeout(ctx, c.o.Budget)
	defer cancel()
	type done struct {
		name string
		l    diagnostics.Layer
	}
	var names []string
	for _, ch := range checks {
		names = append(names, ch.layers...)
	}
	results := make(chan done, len(names))
	for _, n := range names {
		go func() { results <- done{n, c.o.Layers.QuickLayer(bctx, n)} }()
	}
	got := map[string]diagnostics.Layer{}
wait:
	for range names {
		select {
		case d := <-results:
			got[d.name] = d.l
		case <-bctx.Done():
			break wait
		}
	}
	r := Report{Results: map[string]Result{}}
	for _, ch := range checks {
		r.IDs = append(r.IDs, ch.id)
		r.Results[ch.id] = c.result(ch, got)
	}
	r.IDs = append(r.IDs, "configuration")
	r.Results["configuration"] = c.configResult()
	return r
}

// result turns a check's layers into one Result: the first layer decides
// the status; the others are notes, shown as info while the first is ok (a
// recent shape change under a healthy contract).
func (c *Checks) result(ch check, got map[string]diagnostics.Layer) Result {
	for _, name := range ch.layers {
		if _, ok := got[name]; !ok && (name == ch.layers[0] || got[ch.layers[0]].State == diagnostics.StateOK) {
			return c.late(ch, name)
		}
	}
	main := got[ch.layers[0]]
	res := Result{Status: statusOf(main.State), Text: ch.name + ": " + main.Summary}
	if res.Status != Success && main.Advice != "" {
		res.Text += " " + main.Advice
	}
	if res.Status == Success {
		for _, name := range ch.layers[1:] {
			if l := got[name]; l.State != diagnostics.StateOK {
				res = Result{Status: Info, Text: ch.name + ": " + l.Summary + " " + l.Advice}
			}
		}
	}
	res.Text = shorten(res.Text, 400)
	if res.Status != Success {
		res.LinkURL, res.LinkLabel = c.Link(), "Open weather_apis diagnostics"
	}
	return res
}

// late is the answer for a layer that was not checked within the budget.
func (c *Checks) late(ch check, layer string) Result {
	text := fmt.Sprintf("%s: not checked within %s this time.", ch.name, c.o.Budget)
	if c.o.Observed != nil {
		if l, at, ok := c.o.Observed(layer); ok {
			text += fmt.Sprintf(" Last known (%s ago): %s, %s", time.Since(at).Round(time.Second), l.State, l.Summary)
		}
	}
	return Result{Status: Info, Text: shorten(text, 400), LinkURL: c.Link(), LinkLabel: "Open weather_apis diagnostics"}
}

func (c *Checks) configResult() Result {
	if len(c.o.Config) == 0 {
		return Result{Status: Success, Text: "Configuration: no known problem."}
	}
	status, texts := Info, make([]string, 0, len(c.o.Config))
	for _, f := range c.o.Config {
		if severity(f.Status) > severity(status) {
			status = f.Status
		}
		texts = append(texts, f.Text)
	}
	res := Result{Status: status, Text: shorten("Configuration: "+strings.Join(texts, " "), 600)}
	if status != Success {
		res.LinkURL, res.LinkLabel = c.Link(), "Open weather_apis diagnostics"
	}
	return res
}

// statusOf maps a doctor state to a setup-check status: ok is success, an
// outdated cache (already fixed) info, stale or degraded a warning, down
// an error.
func statusOf(state string) string {
	switch state {
	case diagnostics.StateOK:
		return Success
	case diagnostics.StateOutdated:
		return Info
	case diagnostics.StateStale, diagnostics.StateDegraded:
		return Warning
	}
	return Error
}

func severity(status string) int {
	switch status {
	case Info:
		return 1
	case Warning:
		return 2
	case Error:
		return 3
	}
	return 0
}

func shorten(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
