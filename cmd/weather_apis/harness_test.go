package main_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/appapisim"
	"github.com/weather-apis/weather_apis/internal/openapi"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// binDir holds the binaries built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() { // the fast tier starts no process: nothing to build
		os.Exit(testenv.Run(m))
	}
	dir, err := os.MkdirTemp("", "weather_apis-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, pkg := range []string{"weather_apis", "appapi-sim"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, pkg), "../"+pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "cannot build", pkg, err)
			os.Exit(1)
		}
	}
	code := testenv.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a child process whose output is kept for failure messages.
type proc struct {
	// path, args, env and fds are what it was started with (restart).
	path string
	args []string
	env  []string
	fds  []handed
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	err  error
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Output returns what the process printed so far.
func (p *proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func startProc(tb testing.TB, env []string, bin string, args ...string) *proc {
	tb.Helper()
	return startPath(tb, env, filepath.Join(binDir, bin), args...)
}

// startHanded is startProc handing fds over (socket activation).
func startHanded(tb testing.TB, fds []handed, env []string, bin string, args ...string) *proc {
	tb.Helper()
	return startWith(tb, fds, env, filepath.Join(binDir, bin), args...)
}

// restart starts p again as it was started: the same program, arguments,
// environment and handed-over sockets.
func (p *proc) restart(tb testing.TB) *proc {
	tb.Helper()
	return startWith(tb, p.fds, p.env, p.path, p.args...)
}

// startPath starts the program at path (startProc: one of binDir) in the
// repository root, where js/ is, in its own process group, killed with its
// children at cleanup; its output is logged when the test failed.
func startPath(tb testing.TB, env []string, path string, args ...string) *proc {
	tb.Helper()
	return startWith(tb, nil, env, path, args...)
}

// startWith is startPath handing fds over (socket activation).
func startWith(tb testing.TB, fds []handed, env []string, path string, args ...string) *proc {
	tb.Helper()
	testenv.NeedsProcesses(tb, "starts "+filepath.Base(path))
	p := &proc{path: path, args: args, env: env, fds: fds, cmd: exec.Command(path, args...), done: make(chan struct{})}
	p.cmd.Env = append(minimalEnv(), env...)
	if len(fds) > 0 {
		actEnv, files := activationEnv(fds)
		p.cmd = exec.Command("/bin/sh", append([]string{"-c", activationShell, path}, args...)...)
		p.cmd.Env = append(append(minimalEnv(), env...), actEnv...)
		p.cmd.ExtraFiles = files
	}
	p.cmd.Dir = "../.."
	p.cmd.Stdout, p.cmd.Stderr = p, p
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL} // killed with a test binary that dies without its cleanups
	// A child that inherits the output pipe and outlives the process (frpc
	// under deploy/container/start.sh) must not keep Wait blocked.
	p.cmd.WaitDelay = 2 * time.Second
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("cannot start %s: %v", path, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		if tb.Failed() {
			tb.Logf("--- %s output ---\n%s", filepath.Base(path), tail(p.Output(), 4000))
		}
	})
	return p
}

// Signal sends sig and waits (bounded) for the exit; it returns the error
// of Wait (nil for exit 0).
func (p *proc) Signal(tb testing.TB, sig syscall.Signal, within time.Duration) error {
	tb.Helper()
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return p.err
	case <-time.After(within):
		tb.Fatalf("process did not exit within %v of %v", within, sig)
		return nil
	}
}

func minimalEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GOCOVERDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// stack is Redis + the DRF demo + the AppAPI simulator + N weather_apis
// processes, all real, on loopback.
type stack struct {
	tb     testing.TB
	val    *openapi.Validator // checks every /api/ exchange of Direct and Proxy
	Redis  *testenv.Redis
	DRF    *testenv.DRF
	Secret string
	SimURL string
	Sim    *proc
	Apps   []*proc
	Ports  []int
	// MetricsPorts are the replicas' metrics listeners (stackOptions.Metrics).
	MetricsPorts []int
}

type stackOptions struct {
	Replicas int
	Socket   bool // HaRP mode: HP_SHARED_KEY set, the app listens on a unix socket
	DRF      testenv.DRFOptions
	// OwnDRF starts a DRF demo for this stack alone (for tests that stop
	// it); otherwise the package's shared demo is used (testenv.SharedDRF).
	OwnDRF   bool
	ExtraEnv []string
	NoRedis  bool
	SimArgs  []string
	// Unregistered leaves the simulator's app unregistered, for tests that
	// run the lifecycle themselves. Otherwise the app is seeded registered
	// and enabled (POST /sim/seed), as on an installed Nextcloud: the admin
	// check's OCS calls are refused for an app AppAPI does not know.
	Unregistered bool
	// ReplicaEnv adds environment for replica i only.
	ReplicaEnv func(i int) []string
	// Metrics hands every replica a metrics listener (stack.MetricsPorts).
	Metrics bool
}

func newStack(tb testing.TB, o stackOptions) *stack {
	tb.Helper()
	testenv.NeedsProcesses(tb, "weather_apis and appapi-sim processes and the DRF demo")
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	s := &stack{tb: tb, Secret: strings.Repeat("Ab3+/", 25) + "xyz"}
	if !o.NoRedis {
		s.Redis = testenv.StartRedis(tb)
	}
	if o.OwnDRF {
		s.DRF = testenv.StartDRF(tb, o.DRF)
	} else {
		s.DRF = testenv.SharedDRF(tb, o.DRF)
	}
	simSock := handOver(tb, "http")
	s.SimURL = "http://" + simSock.addr()
	var sock string
	for i := 0; i < o.Replicas; i++ {
		var fds []handed
		var port int
		if o.Socket { // HaRP: the app serves its unix socket; its TCP port refuses connections
			_, p, _ := net.SplitHostPort(testenv.DeadAddr(tb))
			port, _ = strconv.Atoi(p)
		} else {
			api := handOver(tb, "api")
			fds, port = append(fds, api), api.port
		}
		if o.Metrics {
			m := handOver(tb, "metrics")
			fds = append(fds, m)
			s.MetricsPorts = append(s.MetricsPorts, m.port)
		}
		s.Ports = append(s.Ports, port)
		env := []string{
			"APP_ID=weather_apis", "APP_SECRET=" + s.Secret, "APP_VERSION=1.0.0", "APP_HOST=127.0.0.1",
			"APP_PORT=" + strconv.Itoa(port), "NEXTCLOUD_URL=" + s.SimURL, "AA_VERSION=32.0.0",
			"WEATHER_APIS_UPSTREAM_URL=" + s.DRF.URL(), "WEATHER_APIS_UPSTREAM_PASSWORD=" + s.DRF.Options().Password,
			"WEATHER_APIS_LOG_LEVEL=info", "WEATHER_APIS_LOG_FORMAT=text",
		}
		if s.Redis != nil {
			env = append(env, "WEATHER_APIS_REDIS_URL="+s.Redis.URL())
		}
		if o.Socket {
			sock = filepath.Join(tb.TempDir(), "exapp.sock")
			env = append(env, "HP_SHARED_KEY=harp-shared-key-for-tests", "HP_EXAPP_SOCK="+sock)
		}
		env = append(env, o.ExtraEnv...)
		if o.ReplicaEnv != nil {
			env = append(env, o.ReplicaEnv(i)...)
		}
		s.Apps = append(s.Apps, startHanded(tb, fds, env, "weather_apis"))
	}
	args := []string{"-listen", simSock.addr(), "-info-xml", "appinfo/info.xml",
		"-app-secret", s.Secret, "-heartbeat-interval", "100ms", "-heartbeat-attempts", "100", "-log-level", "warn", "-harp-ban-count", "-1"}
	if o.Socket {
		args = append(args, "-exapp-socket", sock, "-harp-shared-key", "harp-shared-key-for-tests")
	} else {
		args = append(args, "-exapp-url", "http://127.0.0.1:"+strconv.Itoa(s.Ports[0]))
	}
	s.Sim = startHanded(tb, []handed{simSock}, nil, "appapi-sim", append(args, o.SimArgs...)...)
	waitHTTP(tb, s.SimURL+"/sim/state")
	if !o.Unregistered {
		if err := (&appapisim.Client{BaseURL: s.SimURL}).Seed(context.Background()); err != nil {
			tb.Fatalf("seed the simulator: %v", err)
		}
	}
	for _, port := range s.Ports {
		if !o.Socket {
			waitHTTP(tb, "http://127.0.0.1:"+strconv.Itoa(port)+"/heartbeat")
		}
	}
	if !o.Socket {
		s.loadValidator(tb)
	}
	return s
}

// loadValidator fetches the served OpenAPI document; from then on every
// /api/ exchange made through Direct or Proxy is checked against it.
func (s *stack) loadValidator(tb testing.TB) {
	tb.Helper()
	resp := s.Direct(tb, 0, "GET", "/api/v1/openapi.json", "", nil)
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v, err := openapi.NewValidator(doc)
	if err != nil {
		tb.Fatalf("served OpenAPI document: %v", err)
	}
	s.val = v
}

// check validates one exchange against the OpenAPI document and returns the
// response with its body restored.
func (s *stack) check(tb testing.TB, req *http.Request, reqBody []byte, resp *http.Response, viaProxy bool) *http.Response {
	tb.Helper()
	path := strings.TrimPrefix(req.URL.Path, "/index.php/apps/app_api/proxy/weather_apis")
	if s.val == nil || !strings.HasPrefix(path, "/api/") || path == "/api/v1/openapi.json" {
		return resp
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if viaProxy && resp.StatusCode == 404 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return resp // AppAPI's own 404 page (access level, disabled app): not the ExApp's answer
	}
	if err := s.val.Check(req, reqBody, resp.StatusCode, resp.Header, body); err != nil {
		tb.Errorf("exchange does not match the OpenAPI document: %v", err)
	}
	return resp
}

// waitHTTP waits (at most 20 s) until url answers 200.
func waitHTTP(tb testing.TB, url string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("%s did not answer 200 within 20s", url)
}

// AppURL is replica i's direct base URL.
func (s *stack) AppURL(i int) string { return "http://127.0.0.1:" + strconv.Itoa(s.Ports[i]) }

// Direct sends a request signed as AppAPI would, straight to replica i.
func (s *stack) Direct(tb testing.TB, i int, method, path, user string, body io.Reader) *http.Response {
	tb.Helper()
	reqBody := readAll(body)
	r, err := http.NewRequest(method, s.AppURL(i)+path, bytes.NewReader(reqBody))
	if err != nil {
		tb.Fatal(err)
	}
	appapi.Credentials{AppID: "weather_apis", AppVersion: "1.0.0", AAVersion: "32.0.0", Secret: s.Secret}.Sign(r.Header, user)
	if len(reqBody) > 0 {
		r.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	return s.check(tb, r, reqBody, resp, false)
}

func readAll(r io.Reader) []byte {
	if r == nil {
		return nil
	}
	b, _ := io.ReadAll(r)
	return b
}

// Proxy sends a request through the simulator's PHP proxy as user (""
// anonymous), with Basic auth like an app password.
func (s *stack) Proxy(tb testing.TB, method, path, user string, body io.Reader, hdr map[string]string) *http.Response {
	tb.Helper()
	reqBody := readAll(body)
	r, err := http.NewRequest(method, s.SimURL+"/index.php/apps/app_api/proxy/weather_apis"+path, bytes.NewReader(reqBody))
	if err != nil {
		tb.Fatal(err)
	}
	if user != "" {
		r.SetBasicAuth(user, user)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	if len(reqBody) > 0 && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(r)
	if err != nil {
		tb.Fatalf("proxy %s %s: %v", method, path, err)
	}
	return s.check(tb, r, reqBody, resp, true)
}

// logLines returns lines of p's output containing substr.
func logLines(p *proc, substr string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(p.Output()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			out = append(out, sc.Text())
		}
	}
	return out
}

var _ = context.Background
var _ = net.Dial
