package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The DRF demo's built-in credentials (deploy/drf/demo/settings.py).
const (
	DRFDefaultUsername   = "weather_svc"
	DRFDefaultPassword   = "weather_svc_pw"
	DRFDefaultSigningKey = "weather-apis-demo-signing-key-change-me"
)

const (
	drfStartTimeout = 30 * time.Second
	drfStopTimeout  = 15 * time.Second
	drfPython       = "/usr/bin/python3" // Debian's: the pyenv python3 on PATH lacks Django
	drfGunicorn     = "/usr/bin/gunicorn"
)

// DRFOptions tunes StartDRF. Zero values mean the demo's defaults.
type DRFOptions struct {
	AccessTTL     time.Duration // access token lifetime (default 5m)
	RefreshTTL    time.Duration // refresh token lifetime (default 24h)
	Workers       int           // gunicorn sync workers (default 2)
	Username      string        // service account (default DRFDefaultUsername)
	Password      string        // its password (default DRFDefaultPassword)
	SigningKey    string        // HS256 key of the JWTs (default DRFDefaultSigningKey)
	SchemaVersion int           // schema version at start-up (default: as stored, 1 for a new DB)
}

// Faults are the fault knobs of POST /__demo/faults (see deploy/drf/README.md).
// Zero values mean the demo's defaults; FailRate 0 means 1.0 when RateLimit or
// ResetConnections is set, else no failures.
type Faults struct {
	Latency          time.Duration // added to every matching request
	FailRate         float64       // 0..1, exact: 0.5 fails the 1st, 3rd, 5th... matching request
	FailStatus       int           // status of failures (default 503)
	HTMLErrors       bool          // nginx-style HTML error pages instead of JSON
	RateLimit        bool          // answer 429 with Retry-After instead of FailStatus
	RetryAfter       int           // Retry-After seconds (default 1)
	ResetConnections bool          // close the socket with RST, no answer
	MaxFaults        int           // stop failing after this many failures (0: never stop)
	Paths            string        // regexp on the request path (default: every /api/ path)
}

// DRFStats are the counters of GET /__demo/stats since the last reset.
type DRFStats struct {
	TokenObtain   int            `json:"token_obtain"`   // token pairs issued
	TokenRefresh  int            `json:"token_refresh"`  // successful refreshes
	Requests      map[string]int `json:"requests"`       // "GET /api/v1/farms/{id}/" -> requests that reached Django
	Faults        map[string]int `json:"faults"`         // same keys -> requests answered by an injected fault
	FaultsByKind  map[string]int `json:"faults_by_kind"` // "fail", "rate_limit", "reset" -> count
	RequestsTotal int            `json:"requests_total"`
	FaultsTotal   int            `json:"faults_total"`
}

// DRF is the DRF demo backend (deploy/drf/run.sh: Django + gunicorn) on a
// loopback port with its own SQLite database, stopped by tb.Cleanup (or, for
// a SharedDRF, by Main).
type DRF struct {
	Port   int
	opts   DRFOptions
	script string
	env    []string
	logf   string
	client *http.Client
	cmd    *exec.Cmd
	done   chan struct{} // closed when cmd has exited
	shared bool          // handed out by SharedDRF: never stopped by a test
}

// StartDRF starts the demo with a fresh database on a loopback socket this
// process opens and hands to gunicorn (see start), and waits (at most 30 s)
// until /__demo/health answers. It is skipped under -short; in the
// full tier, missing Debian packages skip the test, or fail it under CI=true.
// A test that neither stops the demo nor needs options of its own should use
// SharedDRF: one demo per package instead of one per test.
func StartDRF(tb testing.TB, opts DRFOptions) *DRF {
	tb.Helper()
	NeedsProcesses(tb, "the DRF demo (gunicorn)")
	if msg := drfMissing(); msg != "" {
		Unavailable(tb, "%s", msg)
	}
	d := newDRF(opts.withDefaults(), tb.TempDir(), RepoRoot(tb))
	tb.Cleanup(func() { d.kill(syscall.SIGKILL, drfStopTimeout) })
	d.Start(tb)
	return d
}

// drfMissing says which Debian package the demo lacks, or "".
func drfMissing() string {
	if _, err := os.Stat(drfGunicorn); err != nil {
		return drfGunicorn + " missing (apt-get install gunicorn)"
	}
	check := exec.Command(drfPython, "-c", "import django, rest_framework, rest_framework_simplejwt")
	if out, err := check.CombinedOutput(); err != nil {
		return fmt.Sprintf("Debian's Django/DRF/SimpleJWT missing (apt-get install python3-django "+
			"python3-djangorestframework python3-djangorestframework-simplejwt): %v: %s", err, out)
	}
	return ""
}

// newDRF prepares (does not start) a demo whose database and log are in dir.
func newDRF(opts DRFOptions, dir, root string) *DRF {
	d := &DRF{
		opts:   opts,
		script: filepath.Join(root, "deploy", "drf", "run.sh"),
		logf:   filepath.Join(dir, "drf.log"),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	d.env = append(withoutDRFEnv(os.Environ()),
		"DRF_DEMO_DB="+filepath.Join(dir, "drf.sqlite3"),
		"DRF_DEMO_WORKERS="+strconv.Itoa(opts.Workers),
		"DRF_DEMO_ACCESS_TTL="+seconds(opts.AccessTTL),
		"DRF_DEMO_REFRESH_TTL="+seconds(opts.RefreshTTL),
		"DRF_DEMO_USER="+opts.Username,
		"DRF_DEMO_PASSWORD="+opts.Password,
		"DRF_DEMO_SIGNING_KEY="+opts.SigningKey,
	)
	if opts.SchemaVersion != 0 {
		d.env = append(d.env, "DRF_DEMO_SCHEMA_VERSION="+strconv.Itoa(opts.SchemaVersion))
	}
	return d
}

// SharedDRF returns the package's one demo for opts, started on first use
// (at most 30 s) and stopped by Main after every test of the package ran:
// starting the demo costs seconds, so tests share one. Each call hands it
// out as a fresh one: faults, transforms and layouts cleared (schema v1, no
// version override, X-Schema-Version sent) and the counters reset. Its
// database is shared: rows a test creates stay for the next tests, which
// must not depend on counts other tests change. A test holding it must not
// run in parallel with another user (call no t.Parallel), nor stop it (Stop
// and Start fail): a test that restarts the demo uses StartDRF.
//
// It is skipped under -short; in the full tier, missing Debian packages skip
// the test, or fail it under CI=true. The package's TestMain must call Main
// (or Run).
func SharedDRF(tb testing.TB, opts DRFOptions) *DRF {
	tb.Helper()
	NeedsProcesses(tb, "the DRF demo (gunicorn)")
	if msg := drfMissing(); msg != "" {
		Unavailable(tb, "%s", msg)
	}
	opts = opts.withDefaults()
	shared.mu.Lock()
	if !shared.main {
		shared.mu.Unlock()
		tb.Fatalf("SharedDRF: the package's TestMain must run the tests with testenv.Main(m) or testenv.Run(m), which stop the shared demo")
	}
	if shared.drfs == nil {
		shared.drfs = map[DRFOptions]*sharedDRF{}
	}
	s := shared.drfs[opts]
	if s == nil {
		s = &sharedDRF{}
		shared.drfs[opts] = s
	}
	shared.mu.Unlock()
	s.once.Do(func() {
		if s.dir, s.err = os.MkdirTemp("", "weather_apis-shared-drf-"); s.err != nil {
			return
		}
		d := newDRF(opts, s.dir, RepoRoot(tb))
		d.shared = true
		if s.err = d.start(); s.err == nil {
			s.d = d
		}
	})
	if s.err != nil {
		tb.Fatalf("shared DRF demo: %v", s.err)
	}
	d := s.d
	d.ClearFaults(tb)
	d.ClearTransforms(tb)
	empty, on := "", true
	d.SetLayout(tb, Layout{Schema: "v1", FarmState: "flat", Observation: "plain", SchemaVersion: &empty, VersionHeader: &on})
	d.ResetStats(tb)
	return d
}

func (o DRFOptions) withDefaults() DRFOptions {
	if o.AccessTTL <= 0 {
		o.AccessTTL = 5 * time.Minute
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = 24 * time.Hour
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Username == "" {
		o.Username = DRFDefaultUsername
	}
	if o.Password == "" {
		o.Password = DRFDefaultPassword
	}
	if o.SigningKey == "" {
		o.SigningKey = DRFDefaultSigningKey
	}
	return o
}

// withoutDRFEnv drops inherited DRF_DEMO_* variables so every test starts from
// its own options only.
func withoutDRFEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DRF_DEMO_") {
			out = append(out, kv)
		}
	}
	return out
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// Options are the options in effect, defaults filled in (credentials, key).
func (d *DRF) Options() DRFOptions { return d.opts }

// URL is the base URL, e.g. http://127.0.0.1:41234 (no trailing slash).
func (d *DRF) URL() string { return "http://127.0.0.1:" + strconv.Itoa(d.Port) }

// Start (re)starts the demo on the same port and database (migrate, seed,
// gunicorn; the seed clears the faults and transforms, the layout stays) and
// waits for /__demo/health. A SharedDRF cannot be restarted.
func (d *DRF) Start(tb testing.TB) {
	tb.Helper()
	NeedsProcesses(tb, "the DRF demo (gunicorn)")
	if d.shared {
		tb.Fatalf("SharedDRF: a shared demo cannot be restarted; use StartDRF")
	}
	if d.cmd != nil {
		tb.Fatalf("DRF demo on %d already running", d.Port)
	}
	if err := d.start(); err != nil {
		tb.Fatal(err)
	}
}

// start runs run.sh with a listening socket handed over (systemd socket
// activation, which gunicorn honours: LISTEN_FDS=1, LISTEN_PID = gunicorn's
// pid, which is run.sh's, as run.sh execs gunicorn) and waits for health.
// The first start listens on a port the kernel picks; a restart listens on
// the same port again. gunicorn never binds a port itself, so no other
// process can take it between our choice and its bind.
func (d *DRF) start() error {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(d.Port)) // Port 0 at the first start
	if err != nil {
		return fmt.Errorf("DRF demo: cannot listen on 127.0.0.1:%d: %w", d.Port, err)
	}
	d.Port = l.Addr().(*net.TCPAddr).Port
	f, err := l.(*net.TCPListener).File()
	_ = l.Close() // f is a duplicate: the socket stays open
	if err != nil {
		return fmt.Errorf("DRF demo: listener file: %w", err)
	}
	defer f.Close() // the child has its own copy; ours must go, so a stopped demo refuses connections
	logFile, err := os.OpenFile(d.logf, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("DRF demo log: %w", err)
	}
	defer logFile.Close() // the child keeps its own descriptor
	// $$ is the shell's pid, which exec hands to run.sh and run.sh to gunicorn.
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$; LISTEN_FDS=1; export LISTEN_PID LISTEN_FDS; exec "$0"`, d.script)
	// DRF_DEMO_PORT only names the port (run.sh's --bind, which gunicorn
	// ignores when it inherits a socket).
	cmd.Env = append(append([]string{}, d.env...), "DRF_DEMO_PORT="+strconv.Itoa(d.Port))
	cmd.ExtraFiles = []*os.File{f} // fd 3 = SD_LISTEN_FDS_START
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start %s: %w", d.script, err)
	}
	d.cmd, d.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(d.done)

	// Requests queue on the socket until gunicorn serves it: poll with a
	// short timeout so an exit is seen at once.
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.NewTimer(drfStartTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-d.done:
			d.cmd = nil
			return fmt.Errorf("DRF demo exited during start-up:\n%s", d.logTail())
		case <-deadline.C:
			d.kill(syscall.SIGKILL, drfStopTimeout)
			return fmt.Errorf("DRF demo on %d not healthy within %s:\n%s", d.Port, drfStartTimeout, d.logTail())
		case <-tick.C:
			if d.healthyWith(probe) {
				return nil
			}
		}
	}
}

// Stop sends SIGTERM to the process group (gunicorn shuts down gracefully) and
// waits; the database stays for Start. A SharedDRF cannot be stopped.
func (d *DRF) Stop(tb testing.TB) {
	tb.Helper()
	if d.shared {
		tb.Fatalf("SharedDRF: a shared demo cannot be stopped; use StartDRF")
	}
	if !d.kill(syscall.SIGTERM, drfStopTimeout) {
		tb.Errorf("DRF demo on %d ignored SIGTERM for %s; killed", d.Port, drfStopTimeout)
	}
}

// kill signals the whole process group and waits for the exit, escalating to
// SIGKILL after timeout. It reports whether sig alone was enough.
func (d *DRF) kill(sig syscall.Signal, timeout time.Duration) bool {
	if d.cmd == nil {
		return true
	}
	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(-pgid, sig)
	graceful := true
	select {
	case <-d.done:
	case <-time.After(timeout):
		graceful = false
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.done
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // stray workers of a crashed master
	d.cmd = nil
	return graceful
}

func (d *DRF) healthyWith(c *http.Client) bool {
	var health struct {
		OK bool `json:"ok"`
	}
	return d.callWith(c, http.MethodGet, "/__demo/health", nil, &health) == nil && health.OK
}

func (d *DRF) logTail() string {
	b, _ := os.ReadFile(d.logf)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// SetSchema switches the schema served at /api/v1/admin/farms/schema to layout
// v1 or v2 (v is 1 or 2) and clears a version override of SetLayout.
func (d *DRF) SetSchema(tb testing.TB, v int) {
	tb.Helper()
	d.control(tb, http.MethodPost, "/__demo/schema", map[string]int{"version": v}, nil)
}

// SetFaults replaces the injected faults; the exact fail_rate sequence restarts.
func (d *DRF) SetFaults(tb testing.TB, f Faults) {
	tb.Helper()
	body := map[string]any{
		"latency_ms":        f.Latency.Milliseconds(),
		"html_errors":       f.HTMLErrors,
		"rate_limit":        f.RateLimit,
		"reset_connections": f.ResetConnections,
		"max_faults":        f.MaxFaults,
		"paths":             f.Paths,
	}
	if f.FailRate > 0 {
		body["fail_rate"] = f.FailRate
	}
	if f.FailStatus != 0 {
		body["fail_status"] = f.FailStatus
	}
	if f.RetryAfter != 0 {
		body["retry_after"] = f.RetryAfter
	}
	d.control(tb, http.MethodPost, "/__demo/faults", body, nil)
}

// Layout is the body of POST /__demo/layout; empty fields are left unchanged.
// The names are those of deploy/drf/README.md ("Layouts").
type Layout struct {
	Schema        string  // farm form schema: v1, v2, v3-jsonschema, renamed-keys, choice-objects, no-version, dotted-groups, enum-names (deploy/drf/README.md)
	FarmState     string  // GET/PUT /api/v1/farms/{id}/state: flat, ndvi-object
	Observation   string  // GET/POST /api/v1/observations/: plain, renamed-id
	SchemaVersion *string // overrides the schema layout's declared version; "" clears the override
	VersionHeader *bool   // whether /api/ answers carry X-Schema-Version
}

// LayoutState mirrors the answer of GET/POST /__demo/layout.
type LayoutState struct {
	Schema      string `json:"schema"`
	FarmState   string `json:"farm_state"`
	Observation string `json:"observation"`
	// SchemaVersion is the layout's override (nil: none), as text: a JSON number
	// 7 and a JSON string "7" both read "7".
	SchemaVersion *string `json:"-"`
	VersionHeader bool    `json:"version_header"`
	// DeclaredVersion is what X-Schema-Version carries when sent: the transforms'
	// version, else the override, else the schema layout's default.
	DeclaredVersion string `json:"-"`
}

// UnmarshalJSON reads the versions, which the demo sends as a number or a string.
func (s *LayoutState) UnmarshalJSON(b []byte) error {
	type plain LayoutState
	var wire struct {
		plain
		SchemaVersion   json.RawMessage `json:"schema_version"`
		DeclaredVersion json.RawMessage `json:"declared_version"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		return err
	}
	*s = LayoutState(wire.plain)
	var err error
	if s.SchemaVersion, err = versionText(wire.SchemaVersion); err != nil {
		return err
	}
	declared, err := versionText(wire.DeclaredVersion)
	if declared != nil {
		s.DeclaredVersion = *declared
	}
	return err
}

// versionText turns a JSON number or string into its text; null or absent is nil.
func versionText(raw json.RawMessage) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var text string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, err
		}
	} else {
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("version %s: %w", raw, err)
		}
		text = n.String()
	}
	return &text, nil
}

// SetLayout changes the fields l sets and returns the full layout now in effect.
func (d *DRF) SetLayout(tb testing.TB, l Layout) LayoutState {
	tb.Helper()
	body := map[string]any{}
	for key, value := range map[string]string{"schema": l.Schema, "farm_state": l.FarmState, "observation": l.Observation} {
		if value != "" {
			body[key] = value
		}
	}
	if l.SchemaVersion != nil {
		body["schema_version"] = nullIfEmpty(*l.SchemaVersion)
	}
	if l.VersionHeader != nil {
		body["version_header"] = *l.VersionHeader
	}
	var state LayoutState
	d.control(tb, http.MethodPost, "/__demo/layout", body, &state)
	return state
}

// Layout reads the layout in effect.
func (d *DRF) Layout(tb testing.TB) LayoutState {
	tb.Helper()
	var state LayoutState
	d.control(tb, http.MethodGet, "/__demo/layout", nil, &state)
	return state
}

// TransformOp is one generated evolution applied to matching JSON answers (see
// deploy/drf/README.md, "Transforms"). Op is rename (To), nest (Into), retype
// (Type: string, number, bool, object, array), add (Value) or remove; Path is
// dot-separated member names with [] for "every element", e.g. results[].id.
// Only the set fields are sent: to add a JSON null, use json.RawMessage("null").
type TransformOp struct {
	Op, Path, To, Into, Type string
	Value                    any
}

// MarshalJSON sends op and path, and To, Into, Type, Value only when set.
func (o TransformOp) MarshalJSON() ([]byte, error) {
	m := map[string]any{"op": o.Op, "path": o.Path}
	for key, value := range map[string]string{"to": o.To, "into": o.Into, "type": o.Type} {
		if value != "" {
			m[key] = value
		}
	}
	if o.Value != nil {
		m["value"] = o.Value
	}
	return json.Marshal(m)
}

// TransformRule applies Ops, in order, to the 2xx JSON answers of the routes
// whose "METHOD /path-template" (e.g. "GET /api/v1/farms/{id}/state") the
// Route regexp (Python syntax) finds.
type TransformRule struct {
	Route string
	Ops   []TransformOp
}

// Transforms is the body of POST /__demo/transforms, replacing the previous one.
type Transforms struct {
	Rules         []TransformRule
	Version       *string // overrides the declared version (header and top-level schema_version members)
	VersionHeader *bool   // overrides whether /api/ answers carry X-Schema-Version
}

// SetTransforms replaces the generated evolutions.
func (d *DRF) SetTransforms(tb testing.TB, t Transforms) {
	tb.Helper()
	type rule struct {
		Route string        `json:"route"`
		Ops   []TransformOp `json:"ops"`
	}
	rules := make([]rule, 0, len(t.Rules))
	for _, r := range t.Rules {
		rules = append(rules, rule{Route: r.Route, Ops: append([]TransformOp{}, r.Ops...)})
	}
	body := map[string]any{"rules": rules, "version": nil, "version_header": nil}
	if t.Version != nil {
		body["version"] = *t.Version
	}
	if t.VersionHeader != nil {
		body["version_header"] = *t.VersionHeader
	}
	d.control(tb, http.MethodPost, "/__demo/transforms", body, nil)
}

// ClearTransforms removes every rule and override (as a restart does).
func (d *DRF) ClearTransforms(tb testing.TB) {
	tb.Helper()
	d.control(tb, http.MethodDelete, "/__demo/transforms", nil, nil)
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ClearFaults turns every fault off.
func (d *DRF) ClearFaults(tb testing.TB) {
	tb.Helper()
	d.control(tb, http.MethodDelete, "/__demo/faults", nil, nil)
}

// Stats reads the request counters.
func (d *DRF) Stats(tb testing.TB) DRFStats {
	tb.Helper()
	var s DRFStats
	d.control(tb, http.MethodGet, "/__demo/stats", nil, &s)
	return s
}

// ResetStats sets every counter back to zero.
func (d *DRF) ResetStats(tb testing.TB) {
	tb.Helper()
	d.control(tb, http.MethodDelete, "/__demo/stats", nil, nil)
}

// Token obtains an access/refresh pair for the service account (counted in
// Stats like any client's).
func (d *DRF) Token(tb testing.TB) (access, refresh string) {
	tb.Helper()
	var pair struct{ Access, Refresh string }
	creds := map[string]string{"username": d.opts.Username, "password": d.opts.Password}
	if err := d.call(http.MethodPost, "/api/v1/auth/token/", creds, &pair); err != nil {
		tb.Fatalf("DRF token: %v", err)
	}
	return pair.Access, pair.Refresh
}

func (d *DRF) control(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	if err := d.call(method, path, body, out); err != nil {
		tb.Fatalf("DRF demo %s %s: %v", method, path, err)
	}
}

// call sends a JSON request and decodes a 2xx JSON answer into out (if non-nil).
func (d *DRF) call(method, path string, body, out any) error {
	return d.callWith(d.client, method, path, body, out)
}

func (d *DRF) callWith(c *http.Client, method, path string, body, out any) error {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.URL()+path, reader)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}
