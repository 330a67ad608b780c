package main_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapisim"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/openapi"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestFRPTunnel runs weather_apis as an image deployed through HaRP in FRP
// mode runs: deploy/container/start.sh (the image's ENTRYPOINT) writes the
// frpc configuration, starts the real frpc v0.61.1 and execs the app, which
// serves on HP_EXAPP_SOCK. frpc logs in to a real frps configured as
// nextcloud/HaRP start.sh configures it, whose Login plugin checks
// metadatas.token against HP_SHARED_KEY as HaRP's agent does
// (testenv.StartFRPS). The AppAPI simulator knows only the loopback port frps
// opened for the app (HaRP mode over TCP: -exapp-url with a HaRP shared
// key), so every request it sends crosses the tunnel: frps → frpc → the
// unix socket.
//
// "plain" is HaRP with HP_FRP_DISABLE_TLS=true (no certificates in
// FRP_CERTS_DIR): lifecycle, a signed admin read, a write of exactly the
// documented body limit (1 MiB, hashed where the app forwards it upstream),
// one byte over it (413), a slow upstream answer, HaRP restarting (frpc logs
// in again) and SIGTERM. "tls" is HaRP's default: certificates as HaRP
// generates and installs them, mutual TLS between frpc and frps.
func TestFRPTunnel(t *testing.T) {
	bins := testenv.BuildFRP(t)
	redis := testenv.StartRedis(t)
	drf := testenv.StartDRF(t, testenv.DRFOptions{})
	tap := startUpstreamTap(t, drf.URL())

	t.Run("plain", func(t *testing.T) {
		// start.sh escapes '"' and '\' for TOML; the token must still reach
		// the Login check byte for byte.
		key := `frp-test-key-` + appapisim.GenerateSecret(24) + `-"q"-\b`
		h := startHaRPApp(t, bins, redis, drf, tap, key, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		sim := &appapisim.Client{BaseURL: h.SimURL}

		// Lifecycle through the tunnel: heartbeat → /init → progress 100
		// (the app's OCS calls) → /enabled.
		res, err := sim.Lifecycle(ctx, "register", false, false)
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("register through frp = %+v, %v", res, err)
		}
		st, err := sim.State(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !st.App.Enabled || st.App.Status.Init != 100 || st.App.Status.Error != "" {
			t.Fatalf("after register: enabled=%v status=%+v", st.App.Enabled, st.App.Status)
		}
		h.loadValidatorViaProxy(t)

		// A signed admin read.
		resp := h.Proxy(t, "GET", "/api/v1/admin/farms", "admin", nil, nil)
		if w := decodeEnvelope(t, resp); resp.StatusCode != 200 || w.Error != nil || len(w.Data) == 0 {
			t.Fatalf("admin farm list through frp = %d %+v", resp.StatusCode, w.Error)
		}

		// A write of exactly WEATHER_APIS_MAX_BODY_BYTES (1048576, README
		// "Configuration"): accepted, and the app forwards upstream the very
		// bytes the simulator sent into the tunnel.
		const limit = 1 << 20
		body := farmBody(t, "frp 1 MiB", limit)
		sum := sha256.Sum256(body)
		writesBefore := len(tap.find("POST", "/api/v1/farms/"))
		resp = h.Proxy(t, "POST", "/api/v1/admin/farms", "admin", bytes.NewReader(body), nil)
		w := decodeEnvelope(t, resp)
		if resp.StatusCode != 201 || w.Error != nil {
			t.Fatalf("1 MiB create through frp = %d %+v", resp.StatusCode, w.Error)
		}
		var farm struct {
			ID    int    `json:"id"`
			Name  string `json:"name"`
			Notes string `json:"notes"`
		}
		if err := json.Unmarshal(w.Data, &farm); err != nil || farm.ID == 0 || farm.Name != "frp 1 MiB" {
			t.Fatalf("created farm = %s (%v)", w.Data, err)
		}
		writes := tap.find("POST", "/api/v1/farms/")
		if len(writes) != writesBefore+1 {
			t.Fatalf("upstream saw %d farm creates; want %d", len(writes), writesBefore+1)
		}
		if got := writes[len(writes)-1]; got.ReqLen != limit || got.ReqSHA != sum {
			t.Errorf("upstream got %d bytes (sha256 match %v); want the %d bytes sent through the tunnel", got.ReqLen, got.ReqSHA == sum, limit)
		}

		// One byte more: refused with a truthful 413 envelope, nothing upstream.
		resp = h.Proxy(t, "POST", "/api/v1/admin/farms", "admin", bytes.NewReader(farmBody(t, "too big", limit+1)), nil)
		if w := decodeEnvelope(t, resp); resp.StatusCode != 413 || w.Error == nil || w.Error.Code != envelope.CodePayloadTooLarge {
			t.Errorf("1 MiB + 1 through frp = %d %+v; want 413 PAYLOAD_TOO_LARGE", resp.StatusCode, w.Error)
		}
		if n := len(tap.find("POST", "/api/v1/farms/")); n != writesBefore+1 {
			t.Errorf("an over-limit body reached the upstream (%d creates)", n)
		}

		// A slow upstream: the answer waits for DRF and arrives intact.
		const latency = 3 * time.Second
		drf.SetFaults(t, testenv.Faults{Latency: latency, Paths: `^/api/v1/farms/\d+/$`})
		start := time.Now()
		resp = h.Proxy(t, "GET", "/api/v1/admin/farms/"+strconv.Itoa(farm.ID), "admin", nil, map[string]string{"Cache-Control": "no-cache"})
		elapsed := time.Since(start)
		drf.ClearFaults(t)
		w = decodeEnvelope(t, resp)
		if resp.StatusCode != 200 || w.Error != nil || w.Source != envelope.SourceUpstream {
			t.Fatalf("slow read through frp = %d source=%q %+v", resp.StatusCode, w.Source, w.Error)
		}
		if elapsed < latency {
			t.Errorf("slow read answered in %v; the upstream sleeps %v", elapsed, latency)
		}
		reads := tap.find("GET", "/api/v1/farms/"+strconv.Itoa(farm.ID)+"/")
		if len(reads) == 0 {
			t.Fatalf("the slow read did not reach the upstream")
		}
		if drfBody := reads[len(reads)-1].Resp; !sameJSON(w.Data, drfBody) {
			t.Errorf("slow read data differs from DRF's answer:\n app: %s\n drf: %s", w.Data, drfBody)
		}

		// HaRP restarts: frpc (loginFailExit = false) logs in again and the
		// tunnel carries requests once more; while frps is down nothing does.
		// (AppAPI's own empty 500 is not an exchange with the app: no
		// OpenAPI check from here on.)
		h.val = nil
		h.FRPS.Stop(t)
		resp = h.Proxy(t, "GET", "/api/v1/admin/ping", "admin", nil, nil)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("ping answered 200 with frps stopped: the simulator bypasses the tunnel")
		}
		h.FRPS.Start(t)
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp = h.Proxy(t, "GET", "/api/v1/admin/ping", "admin", nil, nil)
			ok := resp.StatusCode == 200
			resp.Body.Close()
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no answer through frp 30s after frps restarted: %d", resp.StatusCode)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if n := countLogins(h.FRPS, true); n < 2 {
			t.Errorf("accepted frpc logins = %d; want a second one after the restart", n)
		}

		// start.sh exec'd the app: SIGTERM to the entrypoint's pid reaches it.
		// (frpc, start.sh's background child, still holds the output pipe:
		// startPath's WaitDelay turns that into ErrWaitDelay.)
		app := h.Apps[0]
		if err := app.Signal(t, syscall.SIGTERM, 15*time.Second); (err != nil && !errors.Is(err, exec.ErrWaitDelay)) || !app.cmd.ProcessState.Success() {
			t.Errorf("exit after SIGTERM = %v (%v); want 0", err, app.cmd.ProcessState)
		}
	})

	t.Run("tls", func(t *testing.T) {
		certs := testenv.WriteFRPCerts(t)
		h := startHaRPApp(t, bins, redis, drf, tap, "frp-tls-key-"+appapisim.GenerateSecret(24), &certs)
		conf, err := os.ReadFile(h.Conf)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"transport.tls.enable = true", `transport.tls.serverName = "harp.nc"`} {
			if !strings.Contains(string(conf), want) {
				t.Errorf("frpc config lacks %s", want)
			}
		}
		if !strings.Contains(h.Apps[0].Output(), "frpc uses TLS") {
			t.Errorf("start.sh did not choose TLS:\n%s", tail(h.Apps[0].Output(), 2000))
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sim := &appapisim.Client{BaseURL: h.SimURL}
		if res, err := sim.Lifecycle(ctx, "register", false, false); err != nil || res.ExitCode != 0 {
			t.Fatalf("register through frp with TLS = %+v, %v", res, err)
		}
		h.loadValidatorViaProxy(t)
		resp := h.Proxy(t, "GET", "/api/v1/admin/farms", "admin", nil, nil)
		if w := decodeEnvelope(t, resp); resp.StatusCode != 200 || w.Error != nil {
			t.Errorf("admin farm list through frp with TLS = %d %+v", resp.StatusCode, w.Error)
		}
	})
}

// harpApp is one weather_apis behind frpc and frps, and a simulator that
// reaches it through them.
type harpApp struct {
	*stack
	FRPS *testenv.FRPS
	Conf string // frpc.toml as start.sh wrote it
}

// startHaRPApp starts frps (HaRP's configuration, TLS when certs is set),
// the simulator in HaRP-over-TCP mode, and deploy/container/start.sh with
// the environment AppAPI gives a container deployed through HaRP, running
// the weather_apis binary. It returns once frps accepted frpc's login and
// opened the app's port, and the app listens on its socket.
func startHaRPApp(t *testing.T, bins testenv.FRP, redis *testenv.Redis, drf *testenv.DRF, tap *upstreamTap, key string, certs *testenv.FRPCerts) *harpApp {
	t.Helper()
	frps := testenv.StartFRPS(t, bins, testenv.FRPSOptions{SharedKey: key, Certs: certs})
	remote := testenv.FreeHaRPPort(t)
	dir := t.TempDir()
	clientCerts := filepath.Join(dir, "certs-frp") // the container's /certs/frp
	if err := os.Mkdir(clientCerts, 0o700); err != nil {
		t.Fatal(err)
	}
	if certs != nil {
		certs.InstallClient(t, clientCerts)
	}
	s := &stack{tb: t, Redis: redis, DRF: drf, Secret: strings.Repeat("Ab3+/", 25) + "xyz", Ports: []int{remote}}
	simSock := handOver(t, "http")
	s.SimURL = "http://" + simSock.addr()
	s.Sim = startHanded(t, []handed{simSock}, []string{"APPAPI_SIM_HARP_SHARED_KEY=" + key}, "appapi-sim",
		"-listen", simSock.addr(), "-info-xml", "appinfo/info.xml", "-app-secret", s.Secret,
		"-heartbeat-interval", "100ms", "-heartbeat-attempts", "300", "-log-level", "warn", "-harp-ban-count", "-1",
		"-exapp-url", "http://127.0.0.1:"+strconv.Itoa(remote))
	waitHTTP(t, s.SimURL+"/sim/state")

	h := &harpApp{stack: s, FRPS: frps, Conf: filepath.Join(dir, "frpc.toml")}
	sock := filepath.Join(dir, "exapp.sock")
	env := []string{
		// What AppAPI sets for a HaRP (FRP) deploy.
		"APP_ID=weather_apis", "APP_SECRET=" + s.Secret, "APP_VERSION=1.0.0", "APP_HOST=127.0.0.1",
		"APP_PORT=" + strconv.Itoa(remote), "NEXTCLOUD_URL=" + s.SimURL, "AA_VERSION=32.0.0",
		"HP_SHARED_KEY=" + key, "HP_FRP_ADDRESS=127.0.0.1", "HP_FRP_PORT=" + strconv.Itoa(frps.Port),
		"HP_EXAPP_SOCK=" + sock,
		// start.sh's test knobs (deploy/container/start.sh).
		"FRPC_BIN=" + bins.Frpc, "FRPC_CONFIG=" + h.Conf, "FRP_CERTS_DIR=" + clientCerts,
		// The app's own settings.
		"WEATHER_APIS_UPSTREAM_URL=" + tap.URL, "WEATHER_APIS_UPSTREAM_PASSWORD=" + drf.Options().Password,
		"WEATHER_APIS_REDIS_URL=" + redis.URL(), "WEATHER_APIS_LOG_LEVEL=info", "WEATHER_APIS_LOG_FORMAT=text",
	}
	script := filepath.Join(testenv.RepoRoot(t), "deploy", "container", "start.sh")
	s.Apps = []*proc{startPath(t, env, script, filepath.Join(binDir, "weather_apis"))}

	deadline := time.Now().Add(20 * time.Second)
	for countLogins(frps, true) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("frps accepted no frpc login within 20s (logins %+v)", frps.Logins())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := countLogins(frps, false); n != 0 {
		t.Errorf("the Login check refused %d logins of start.sh's frpc", n)
	}
	if err := testenv.WaitTCP("127.0.0.1:"+strconv.Itoa(remote), 20*time.Second); err != nil {
		t.Fatalf("frps did not open the app's port: %v", err)
	}
	// Wait for the app's socket too: frpc 0.61.1's unix_domain_socket plugin
	// does not close the tunnel connection when it cannot dial the socket
	// (fatedier/frp v0.61.1 pkg/plugin/client/unix_domain_socket.go, Handle
	// returns without closing conn), so a request sent before the app
	// listens hangs until the caller's timeout (30 s for a heartbeat) instead
	// of failing fast.
	waitUnix(t, sock, 20*time.Second)
	fi, err := os.Stat(h.Conf)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("frpc config mode %v; want 0600 (it holds the shared key)", fi.Mode().Perm())
	}
	return h
}

// loadValidatorViaProxy fetches the OpenAPI document through the tunnel;
// from then on Proxy checks every /api/ exchange against it.
func (h *harpApp) loadValidatorViaProxy(t *testing.T) {
	t.Helper()
	resp := h.Proxy(t, "GET", "/api/v1/openapi.json", "", nil, nil)
	doc, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	v, err := openapi.NewValidator(doc)
	if err != nil {
		t.Fatalf("OpenAPI document through frp (%d): %v", resp.StatusCode, err)
	}
	h.val = v
}

// waitUnix waits until a unix socket accepts connections.
func waitUnix(t *testing.T, path string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not accepting connections after %v: %v", path, within, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func countLogins(s *testenv.FRPS, accepted bool) int {
	n := 0
	for _, l := range s.Logins() {
		if l.Accepted == accepted {
			n++
		}
	}
	return n
}

// farmBody is a valid farm (deploy/drf README "Validation") padded with an
// extra member, which DRF ignores, to exactly size bytes.
func farmBody(t *testing.T, name string, size int) []byte {
	t.Helper()
	head := fmt.Sprintf(`{"name":%q,"crop":"wheat","area_ha":12.5,"latitude":45.1,"longitude":7.6,"notes":"sent through frp","padding":"`, name)
	const end = `"}`
	n := size - len(head) - len(end)
	if n < 0 {
		t.Fatalf("size %d too small", size)
	}
	pad := make([]byte, n)
	for i := range pad {
		pad[i] = "0123456789abcdef"[(i*7+i/97)%16] // not one repeated byte: a shifted or dropped chunk changes the hash
	}
	return append(append([]byte(head), pad...), end...)
}

func sameJSON(a json.RawMessage, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// upstreamTap is a reverse proxy in front of the DRF demo that records what
// weather_apis sends upstream (length and SHA-256 of each request body) and
// what DRF answers.
type upstreamTap struct {
	URL string
	mu  sync.Mutex
	ex  []tapExchange
}

type tapExchange struct {
	Method, Path string
	ReqLen       int
	ReqSHA       [32]byte
	Status       int
	Resp         []byte
}

func startUpstreamTap(t *testing.T, target string) *upstreamTap {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	tap := &upstreamTap{}
	rp := &httputil.ReverseProxy{
		// A request the app abandons (shutdown) is not an error of the test;
		// the assertions read the recorded exchanges.
		ErrorLog: log.New(io.Discard, "", 0),
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // DRF's links then name the tap, the app's configured upstream
		},
		ModifyResponse: func(resp *http.Response) error {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(b))
			if err != nil {
				return err
			}
			ex := resp.Request.Context().Value(tapKey{}).(*tapExchange)
			ex.Status, ex.Resp = resp.StatusCode, b
			tap.mu.Lock()
			tap.ex = append(tap.ex, *ex)
			tap.mu.Unlock()
			return nil
		},
	}
	ln := testenv.Listen(t)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		ex := &tapExchange{Method: r.Method, Path: r.URL.Path, ReqLen: len(b), ReqSHA: sha256.Sum256(b)}
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tapKey{}, ex)))
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	tap.URL = "http://" + ln.Addr().String()
	waitHTTP(t, tap.URL+"/__demo/health")
	return tap
}

type tapKey struct{}

// find returns the recorded exchanges with method and path, oldest first.
func (tap *upstreamTap) find(method, path string) []tapExchange {
	tap.mu.Lock()
	defer tap.mu.Unlock()
	var out []tapExchange
	for _, e := range tap.ex {
		if e.Method == method && e.Path == path {
			out = append(out, e)
		}
	}
	return out
}
