package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// FRPVersion is the frp release HaRP pins for ExApp images (nextcloud/HaRP
// README, "Adapting ExApps to use HaRP": FRP_VERSION=0.61.1, and its
// exapps_dev/frp_0.61.1_linux_*.tar.gz); deploy/container/Dockerfile installs
// the same frpc. HaRP's own frps is Alpine's frp package (nextcloud/HaRP
// Dockerfile), whose version follows the Alpine release: the tests run frps
// 0.61.1 too.
const FRPVersion = "0.61.1"

const frpModule = "github.com/fatedier/frp"

// frpBuildTimeout bounds the first build (module download and compile; about
// a minute on a 2-core machine, more under load).
const frpBuildTimeout = 8 * time.Minute

// FRP holds the paths of frps and frpc FRPVersion.
type FRP struct {
	Frps, Frpc string
}

// FRPCacheDir is where BuildFRP keeps the binaries between runs: under the
// user cache directory (os.UserCacheDir), keyed by version and platform.
func FRPCacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "weather_apis-tests", "frp", "v"+FRPVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH)
}

// BuildFRP returns frps and frpc FRPVersion, built from the Go module proxy
// the first time and reused from FRPCacheDir afterwards. Without a Go
// toolchain the test skips (fails under CI=true); any other failure (the
// proxy unreachable, a compile error) fails it, in CI and outside.
func BuildFRP(tb testing.TB) FRP {
	tb.Helper()
	NeedsProcesses(tb, "frp (go build, frps, frpc)")
	goBin, err := exec.LookPath("go")
	if err != nil {
		Unavailable(tb, "no Go toolchain on PATH to build frp v%s", FRPVersion)
	}
	bins, err := buildFRP(goBin, FRPCacheDir(), func(format string, args ...any) { tb.Logf(format, args...) })
	if err != nil {
		tb.Fatalf("cannot build frp v%s: %v", FRPVersion, err)
	}
	return bins
}

// buildFRP builds frps and frpc into dir unless a previous build finished
// there (its stamp file exists). A lock file serialises concurrent test
// binaries (go test runs packages in parallel).
//
// It does not use `go install …@v0.61.1`: that also reads the module's
// version list (for deprecation notices), which some module proxies refuse
// (403); building inside the downloaded module, with frp's own go.mod and
// go.sum, needs only that version's files.
func buildFRP(goBin, dir string, logf func(string, ...any)) (FRP, error) {
	bins := FRP{Frps: filepath.Join(dir, "frps"), Frpc: filepath.Join(dir, "frpc")}
	stamp := filepath.Join(dir, "built")
	if frpBuilt(bins, stamp) {
		return bins, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return bins, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return bins, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return bins, fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()
	// Another test binary may have built it while we waited.
	if frpBuilt(bins, stamp) {
		return bins, nil
	}
	logf("building frp v%s from the Go module proxy into %s (once; later runs reuse it)", FRPVersion, dir)
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), frpBuildTimeout)
	defer cancel()
	env := append(os.Environ(), "GOFLAGS=-trimpath", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")

	dl := exec.CommandContext(ctx, goBin, "mod", "download", "-json", frpModule+"@v"+FRPVersion)
	dl.Dir, dl.Env = dir, env
	var stderr bytes.Buffer
	dl.Stderr = &stderr
	out, err := dl.Output()
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &mod); err != nil || jerr != nil || mod.Error != "" || mod.Dir == "" {
		return bins, fmt.Errorf("go mod download %s@v%s: %v %s %s", frpModule, FRPVersion, err, mod.Error, tailString(stderr.String(), 2000))
	}

	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return bins, err
	}
	defer os.RemoveAll(tmp)
	build := exec.CommandContext(ctx, goBin, "build", "-o", tmp+string(filepath.Separator), "./cmd/frps", "./cmd/frpc")
	build.Dir, build.Env = mod.Dir, env
	if out, err := build.CombinedOutput(); err != nil {
		return bins, fmt.Errorf("go build ./cmd/frps ./cmd/frpc in %s: %v\n%s", mod.Dir, err, tailString(string(out), 4000))
	}
	for _, name := range []string{"frps", "frpc"} {
		if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
			return bins, err
		}
	}
	for _, bin := range []string{bins.Frps, bins.Frpc} {
		if v, err := exec.Command(bin, "-v").Output(); err != nil || strings.TrimSpace(string(v)) != FRPVersion {
			return bins, fmt.Errorf("%s -v = %q, %v; want %s", bin, v, err, FRPVersion)
		}
	}
	if err := os.WriteFile(stamp, []byte("frp v"+FRPVersion+" built "+time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return bins, err
	}
	logf("built frp v%s in %v", FRPVersion, time.Since(start).Round(time.Second))
	return bins, nil
}

func frpBuilt(bins FRP, stamp string) bool {
	for _, p := range []string{stamp, bins.Frps, bins.Frpc} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

func tailString(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// FreeHaRPPort returns a free loopback port in the range HaRP's frps lets an
// ExApp's frpc open (allowPorts 23000–23999, nextcloud/HaRP start.sh): the
// APP_PORT AppAPI gives an ExApp deployed through HaRP.
func FreeHaRPPort(tb testing.TB) int {
	tb.Helper()
	start := 23000 + mrand.IntN(1000)
	for i := 0; i < 1000; i++ {
		port := 23000 + (start-23000+i)%1000
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			l.Close()
			return port
		}
	}
	tb.Fatalf("no free port in 23000-23999")
	return 0
}

// FRPCerts are the FRP certificates HaRP generates in /certs/frp when
// HP_FRP_DISABLE_TLS is not true (nextcloud/HaRP start.sh): a CA "harp.nc",
// a server certificate for harp.nc and a client certificate for
// harp.client.nc, all RSA 2048, signed by the CA.
type FRPCerts struct {
	Dir string // ca.crt, server.crt, server.key, client.crt, client.key
}

// WriteFRPCerts generates HaRP's FRP certificates into a temporary directory.
func WriteFRPCerts(tb testing.TB) FRPCerts {
	tb.Helper()
	dir := tb.TempDir()
	if err := writeFRPCerts(dir); err != nil {
		tb.Fatalf("FRP certificates: %v", err)
	}
	return FRPCerts{Dir: dir}
}

// InstallClient copies ca.crt, client.crt and client.key into dir, as
// HaRP's agent installs them into an ExApp container's /certs/frp
// (nextcloud/HaRP haproxy_agent.py, _install_frp_certificates).
func (c FRPCerts) InstallClient(tb testing.TB, dir string) {
	tb.Helper()
	for _, name := range []string{"ca.crt", "client.crt", "client.key"} {
		b, err := os.ReadFile(filepath.Join(c.Dir, name))
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), b, 0o600)
		}
		if err != nil {
			tb.Fatalf("install %s: %v", name, err)
		}
	}
}

func writeFRPCerts(dir string) error {
	const validity = 5000 * 24 * time.Hour // HP_FRP_CERT_VALIDITY_DAYS default
	now := time.Now().Add(-time.Hour)
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "harp.nc"},
		NotBefore: now, NotAfter: now.Add(validity), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, "ca.crt"), "CERTIFICATE", caDER); err != nil {
		return err
	}
	for i, leaf := range []struct{ name, cn string }{{"server", "harp.nc"}, {"client", "harp.client.nc"}} {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: leaf.cn},
			DNSNames: []string{leaf.cn}, NotBefore: now, NotAfter: now.Add(validity),
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, leaf.name+".crt"), "CERTIFICATE", der); err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, leaf.name+".key"), "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key)); err != nil {
			return err
		}
	}
	return nil
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}

// FRPSOptions tunes StartFRPS.
type FRPSOptions struct {
	// SharedKey is HP_SHARED_KEY: the Login plugin accepts an frpc whose
	// metadatas.token equals it.
	SharedKey string
	// Certs, when set, selects HaRP's TLS configuration (transport.tls.force
	// with the server certificate and the CA); otherwise HaRP's
	// HP_FRP_DISABLE_TLS=true configuration.
	Certs *FRPCerts
}

// FRPLogin is one decision of the Login plugin.
type FRPLogin struct {
	ClientAddress string // host:port frps saw
	Accepted      bool
}

// FRPS is frps configured as HaRP configures it, with HaRP's Login check as
// an frps HTTP plugin, on loopback.
type FRPS struct {
	Port   int // bindPort: HP_FRP_PORT for the ExApp
	bin    string
	conf   string
	logf   string
	key    []byte
	plugin *http.Server
	cmd    *exec.Cmd
	done   chan struct{}

	mu     sync.Mutex
	logins []FRPLogin
}

// StartFRPS writes frps.toml as nextcloud/HaRP start.sh does (bindAddr on
// loopback here, proxyBindAddr 127.0.0.1, maxPortsPerClient 1, allowPorts
// 23000–23999 and 24000–24099, an httpPlugin for op Login at /frp_handler),
// serves that plugin, starts frps and waits until it accepts connections.
func StartFRPS(tb testing.TB, bins FRP, o FRPSOptions) *FRPS {
	tb.Helper()
	NeedsProcesses(tb, "frps")
	dir := tb.TempDir()
	s := &FRPS{bin: bins.Frps, conf: filepath.Join(dir, "frps.toml"),
		logf: filepath.Join(dir, "frps.log"), key: []byte(o.SharedKey)}

	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("frps plugin listener: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/frp_handler", s.handleLogin)
	s.plugin = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.plugin.Serve(pl) }()
	tb.Cleanup(func() { _ = s.plugin.Close() })
	tb.Cleanup(func() {
		s.kill()
		if tb.Failed() {
			if b, err := os.ReadFile(s.logf); err == nil {
				tb.Logf("frps log (last 3 KB):\n%s", tailString(string(b), 3000))
			}
		}
	})

	// frps takes a port number (bindPort), not a listener: the port
	// FreePort handed out may be taken before frps binds it. Then frps
	// exits: retry on a new port.
	var last error
	for range redisBindAttempts {
		s.Port = pickPort(tb)
		var b strings.Builder
		fmt.Fprintf(&b, "bindAddr = \"127.0.0.1\"\nbindPort = %d\nproxyBindAddr = \"127.0.0.1\"\n\n", s.Port)
		if o.Certs != nil {
			fmt.Fprintf(&b, "transport.tls.force = true\ntransport.tls.certFile = %q\ntransport.tls.keyFile = %q\ntransport.tls.trustedCaFile = %q\n\n",
				filepath.Join(o.Certs.Dir, "server.crt"), filepath.Join(o.Certs.Dir, "server.key"), filepath.Join(o.Certs.Dir, "ca.crt"))
		} else {
			b.WriteString("transport.tls.force = false\n\n")
		}
		fmt.Fprintf(&b, "log.to = %q\nlog.level = \"info\"\nlog.maxDays = 3\n\n", s.logf)
		b.WriteString("maxPortsPerClient = 1\nallowPorts = [\n  { start = 23000, end = 23999 },\n  { start = 24000, end = 24099 }\n]\n\n")
		fmt.Fprintf(&b, "[[httpPlugins]]\naddr = %q\npath = \"/frp_handler\"\nops = [\"Login\"]\n", pl.Addr().String())
		if err := os.WriteFile(s.conf, []byte(b.String()), 0o600); err != nil {
			tb.Fatal(err)
		}
		_ = os.Remove(s.logf)
		if last = s.start(); last == nil {
			return s
		}
		if !errors.Is(last, errPortTaken) {
			break
		}
	}
	tb.Fatalf("cannot start frps: %v", last)
	return nil
}

// handleLogin is HaRP's FRP plugin authentication (nextcloud/HaRP
// haproxy_agent.py, frp_auth): a POST whose content.metas.token equals the
// shared key is accepted unchanged; anything else is answered 400, which
// frps turns into a refused login. HaRP also bans an address after repeated
// failures; that part is not reproduced.
func (s *FRPS) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var req struct {
		Content struct {
			ClientAddress string            `json:"client_address"`
			Metas         map[string]string `json:"metas"`
		} `json:"content"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Content.ClientAddress == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ok := len(s.key) > 0 && subtle.ConstantTimeCompare([]byte(req.Content.Metas["token"]), s.key) == 1
	s.mu.Lock()
	s.logins = append(s.logins, FRPLogin{ClientAddress: req.Content.ClientAddress, Accepted: ok})
	s.mu.Unlock()
	if !ok {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"reject":false,"unchange":true}`))
}

// Logins returns the plugin's decisions so far, oldest first.
func (s *FRPS) Logins() []FRPLogin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]FRPLogin(nil), s.logins...)
}

// Log returns frps' log file.
func (s *FRPS) Log() string {
	b, _ := os.ReadFile(s.logf)
	return string(b)
}

// Start restarts a stopped frps on the same port (HaRP restarting) and waits
// (at most 10 s) until it listens there.
func (s *FRPS) Start(tb testing.TB) {
	tb.Helper()
	if s.cmd != nil {
		tb.Fatalf("frps on %d already running", s.Port)
	}
	if err := s.start(); err != nil {
		tb.Fatal(err)
	}
}

// start runs frps and waits until it is the process listening on s.Port (not
// another that took the port); errPortTaken when frps could not bind it.
func (s *FRPS) start() error {
	cmd := exec.Command(s.bin, "-c", s.conf)
	cmd.SysProcAttr = procAttr()
	out := &LockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start frps: %w", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); close(done) }(s.done)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			s.cmd = nil
			text := out.String() + s.Log()
			if strings.Contains(text, "address already in use") {
				return fmt.Errorf("frps on %d: %w", s.Port, errPortTaken)
			}
			return fmt.Errorf("frps exited during start-up:\n%s", tailString(text, 2000))
		default:
		}
		if ListensOn(cmd.Process.Pid, s.Port) {
			return nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.kill()
	return fmt.Errorf("frps did not listen on %d within 10s:\n%s\n%s", s.Port, out.String(), tailString(s.Log(), 2000))
}

// Stop kills frps (SIGKILL) and waits for it.
func (s *FRPS) Stop(tb testing.TB) {
	tb.Helper()
	s.kill()
}

func (s *FRPS) kill() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// LockedBuffer is a bytes.Buffer safe for one writer (a child's output, a
// logger) and concurrent readers.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// WaitTCP waits until addr accepts a TCP connection.
func WaitTCP(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Join(fmt.Errorf("%s not accepting connections after %v", addr, within), err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
