package testenv_test

import (
	"bytes"
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

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestFRPBuildIsCached: the binaries are frp FRPVersion and a second call
// reuses them instead of rebuilding.
func TestFRPBuildIsCached(t *testing.T) {
	bins := testenv.BuildFRP(t)
	before, err := os.Stat(bins.Frpc)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	again := testenv.BuildFRP(t)
	if again != bins || time.Since(start) > 5*time.Second {
		t.Errorf("second BuildFRP = %+v after %v; want %+v at once", again, time.Since(start), bins)
	}
	after, _ := os.Stat(again.Frpc)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("frpc rebuilt: mtime %v -> %v", before.ModTime(), after.ModTime())
	}
	for _, bin := range []string{bins.Frps, bins.Frpc} {
		out, err := exec.Command(bin, "-v").Output()
		if err != nil || strings.TrimSpace(string(out)) != testenv.FRPVersion {
			t.Errorf("%s -v = %q, %v; want %s", bin, out, err, testenv.FRPVersion)
		}
	}
	if !strings.HasPrefix(bins.Frps, testenv.FRPCacheDir()) {
		t.Errorf("frps at %s, outside the cache %s", bins.Frps, testenv.FRPCacheDir())
	}
}

// TestFRPSLoginCheck: frps as HaRP configures it lets in an frpc whose
// metadatas.token is the shared key (plain and TLS), opens its remote port
// on loopback and carries HTTP to the unix socket behind frpc; a wrong token
// is refused by the Login plugin and opens nothing.
func TestFRPSLoginCheck(t *testing.T) {
	bins := testenv.BuildFRP(t)
	const key = "frps-login-check-key"
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"plain", false}, {"tls", true}} {
		t.Run(tc.name, func(t *testing.T) {
			var certs *testenv.FRPCerts
			clientCerts := ""
			if tc.tls {
				c := testenv.WriteFRPCerts(t)
				certs = &c
				clientCerts = t.TempDir()
				c.InstallClient(t, clientCerts)
			}
			frps := testenv.StartFRPS(t, bins, testenv.FRPSOptions{SharedKey: key, Certs: certs})
			sock := serveUnixHTTP(t)

			port := testenv.FreeHaRPPort(t)
			startFRPC(t, bins, frpcConfig(frps.Port, port, key, sock, clientCerts, false))
			waitBody(t, "http://127.0.0.1:"+strconv.Itoa(port)+"/hello", "hello over frp")
			if l := frps.Logins(); len(l) != 1 || !l[0].Accepted {
				t.Errorf("plugin logins = %+v; want one accepted", l)
			}

			bad := testenv.FreeHaRPPort(t)
			p := startFRPC(t, bins, frpcConfig(frps.Port, bad, "wrong-key", sock, clientCerts, true))
			select {
			case <-p.done:
			case <-time.After(15 * time.Second):
				t.Fatalf("frpc with a wrong token still running")
			}
			if p.err == nil {
				t.Errorf("frpc with a wrong token exited 0")
			}
			if l := frps.Logins(); len(l) != 2 || l[1].Accepted {
				t.Errorf("plugin logins = %+v; want the second refused", l)
			}
			if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(bad), time.Second); err == nil {
				c.Close()
				t.Errorf("port %d opened for a refused frpc", bad)
			}
		})
	}
}

// frpcConfig is deploy/container/start.sh's frpc configuration (itself
// nextcloud/HaRP exapps_dev/start.sh's).
func frpcConfig(serverPort, remotePort int, token, sock, certs string, failExit bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "serverAddr = \"127.0.0.1\"\nserverPort = %d\nloginFailExit = %v\n\n", serverPort, failExit)
	if certs != "" {
		fmt.Fprintf(&b, "transport.tls.enable = true\ntransport.tls.certFile = %q\ntransport.tls.keyFile = %q\n"+
			"transport.tls.trustedCaFile = %q\ntransport.tls.serverName = \"harp.nc\"\n\n",
			filepath.Join(certs, "client.crt"), filepath.Join(certs, "client.key"), filepath.Join(certs, "ca.crt"))
	} else {
		b.WriteString("transport.tls.enable = false\n\n")
	}
	fmt.Fprintf(&b, "metadatas.token = %q\n\n[[proxies]]\nremotePort = %d\ntype = \"tcp\"\nname = \"app%d\"\n"+
		"[proxies.plugin]\ntype = \"unix_domain_socket\"\nunixPath = %q\n", token, remotePort, remotePort, sock)
	return b.String()
}

type frpcProc struct {
	done chan struct{}
	err  error
	out  bytes.Buffer
}

func startFRPC(t *testing.T, bins testenv.FRP, conf string) *frpcProc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "frpc.toml")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &frpcProc{done: make(chan struct{})}
	cmd := exec.Command(bins.Frpc, "-c", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		if t.Failed() {
			t.Logf("frpc output:\n%s", p.out.String())
		}
	})
	return p
}

// serveUnixHTTP serves GET /hello on a unix socket and returns its path.
func serveUnixHTTP(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "exapp.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello over frp")
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sock
}

// waitBody waits (at most 20 s) until url answers 200 with body want.
func waitBody(t *testing.T, url, want string) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == want {
				return
			}
			last = fmt.Sprintf("%d %q", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer %q within 20s (last: %s)", url, want, last)
}
