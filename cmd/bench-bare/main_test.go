package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAddHeader(t *testing.T) {
	tests := []struct {
		in      string
		name    string
		value   string
		wantErr bool
	}{
		{"Content-Type: application/json", "Content-Type", "application/json", false},
		{"x-cache:HIT", "X-Cache", "HIT", false},
		{"Cache-Status: weather_apis; hit; ttl=30", "Cache-Status", "weather_apis; hit; ttl=30", false},
		{"no colon", "", "", true},
		{": empty name", "", "", true},
		{"Content-Length: 5", "", "", true},
		{"Date: now", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h := http.Header{}
			err := addHeader(h, tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && h.Get(tt.name) != tt.value {
				t.Fatalf("%s = %q, want %q", tt.name, h.Get(tt.name), tt.value)
			}
		})
	}
}

// TestServe runs the real command on a loopback port and checks the bytes.
func TestServe(t *testing.T) {
	body := `{"data":{"pong":true},"error":null}`
	file := filepath.Join(t.TempDir(), "body.json")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-body-file", file, "-header", "Content-Type: application/json",
			"-header", "X-Cache: HIT"}, pw)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no address: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr := strings.TrimSpace(strings.TrimPrefix(line, "listening on"))
	for range 2 { // the second request reuses the connection and the shared header slices
		resp, err := http.Get("http://" + addr + "/api/v1/admin/ping")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(got) != body || resp.Header.Get("Content-Type") != "application/json" ||
			resp.Header.Get("X-Cache") != "HIT" || resp.ContentLength != int64(len(body)) {
			t.Fatalf("got %d %v %q", resp.StatusCode, resp.Header, got)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no shutdown within 10 s")
	}
}

func TestRunNeedsBody(t *testing.T) {
	if err := run(context.Background(), nil, io.Discard); err == nil {
		t.Fatal("want an error without -body-file")
	}
}
