package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapisim"
)

const infoXML = `<info><id>demo</id><name>Demo</name><version>0.1.0</version><external-app><routes>
<route><url>^/api/.*</url><verb>GET</verb><access_level>USER</access_level></route></routes></external-app></info>`

func TestSubcommands(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "info.xml")
	if err := os.WriteFile(path, []byte(infoXML), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := appapisim.New(appapisim.Config{Listen: ln.Addr().String(), InfoXML: path, ExAppURL: "http://127.0.0.1:1",
		HeartbeatAttempts: 2, HeartbeatInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Logf("simulator stopped: %v", err)
		}
	})
	sim := "http://" + ln.Addr().String()

	tests := []struct {
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{[]string{"env", "-sim", sim}, 0, "APP_ID=demo\n", ""},
		{[]string{"occ", "-sim", sim, "app_api:app:list"}, 0, "ExApps:\n", ""},
		{[]string{"occ", "-sim", sim, "demo:nothing"}, 1, "", `Command "demo:nothing" is not defined.`},
		{[]string{"register", "-sim", sim}, 1, "ExApp demo heartbeat check failed.", ""},
		{[]string{"occ", "-sim", sim, "app_api:app:list"}, 0, "demo (Demo): 0.1.0 [disabled]", ""},
		{[]string{"unregister", "-sim", sim}, 0, "ExApp demo successfully unregistered.", ""},
		{[]string{"enable", "-sim", sim}, 1, "ExApp demo not found. Failed to enable.", ""},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := run(tt.args, &out, &errOut)
		if code != tt.wantCode || !strings.Contains(out.String(), tt.wantStdout) || !strings.Contains(errOut.String(), tt.wantStderr) {
			t.Errorf("%v: exit %d stdout %q stderr %q", tt.args, code, out.String(), errOut.String())
		}
	}
}
