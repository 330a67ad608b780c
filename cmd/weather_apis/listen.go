package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/activation"

	"github.com/weather-apis/weather_apis/internal/config"
)

// Names of the sockets a supervisor may hand over by socket activation
// (sd_listen_fds(3): LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES, as systemd's
// FileDescriptorName= sets them; the tests hand over theirs the same way,
// so no port is ever closed and reopened).
const (
	socketAPI     = "api"     // AppAPI's requests, instead of listen's own
	socketMetrics = "metrics" // Prometheus, instead of WEATHER_APIS_METRICS_ADDR
)

// activated returns the handed-over listeners by name (none without socket
// activation). It fails on a handed-over socket it does not know, or one
// that is not a listening socket.
func activated() (map[string]net.Listener, error) {
	byName, err := activation.ListenersWithNames()
	if err != nil {
		return nil, fmt.Errorf("cannot use the sockets handed over (LISTEN_FDS): %w", err)
	}
	out := map[string]net.Listener{}
	for name, ls := range byName {
		if (name != socketAPI && name != socketMetrics) || len(ls) != 1 || ls[0] == nil {
			return nil, fmt.Errorf("LISTEN_FDNAMES: want one listening socket named %q and at most one named %q, got %d named %q", socketAPI, socketMetrics, len(ls), name)
		}
		out[name] = ls[0]
	}
	return out, nil
}

// listen opens the listener AppAPI expects: the unix socket HP_EXAPP_SOCK
// when HP_SHARED_KEY is set (HaRP with frpc), else TCP APP_HOST:APP_PORT.
// A stale socket file from a previous run is removed first.
func listen(cfg *config.Config) (net.Listener, error) {
	if cfg.Harp.Enabled() {
		path := cfg.Harp.ExAppSock
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
				c.Close()
				return nil, fmt.Errorf("cannot listen on %s: another process serves it", path)
			}
			_ = os.Remove(path)
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("cannot listen on unix socket %s: %w", path, err)
		}
		return l, nil
	}
	addr := net.JoinHostPort(cfg.App.Host, strconv.Itoa(cfg.App.Port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	return l, nil
}

// healthcheck asks the configured listener for /heartbeat (used by the
// container HEALTHCHECK; works on scratch images without curl).
func healthcheck(cfg *config.Config) error {
	client := &http.Client{Timeout: 3 * time.Second}
	url := "http://" + net.JoinHostPort(dialHost(cfg.App.Host), strconv.Itoa(cfg.App.Port)) + "/heartbeat"
	if cfg.Harp.Enabled() {
		sock := cfg.Harp.ExAppSock
		client.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}
		url = "http://exapp/heartbeat"
	}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body); err != nil || resp.StatusCode != 200 || body.Status != "ok" {
		return errors.New("heartbeat did not answer {\"status\":\"ok\"}")
	}
	return nil
}

func dialHost(h string) string {
	if h == "" || h == "0.0.0.0" || h == "::" {
		return "127.0.0.1"
	}
	return h
}
