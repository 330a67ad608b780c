package cache

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

// redisDir asks the server for its working directory.
func redisDir(t *testing.T, r *testenv.Redis) string {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	v, err := rdb.ConfigGet(context.Background(), "dir").Result()
	if err != nil {
		t.Fatal(err)
	}
	return v["dir"]
}

// freezer is a TCP proxy to Redis that can stop forwarding the traffic of
// subscriber connections without closing them (a half-open connection).
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen bool
	gate   chan struct{}
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target, gate: make(chan struct{})}
	close(f.gate)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *freezer) addr() string { return f.ln.Addr().String() }

func (f *freezer) freezeSubscribers() {
	f.mu.Lock()
	f.frozen, f.gate = true, make(chan struct{})
	f.mu.Unlock()
}

func (f *freezer) serve(c net.Conn) {
	s, err := net.Dial("tcp", f.target)
	if err != nil {
		_ = c.Close()
		return
	}
	var sub sync.Once
	var isSub bool
	var subMu sync.Mutex
	hold := func() {
		subMu.Lock()
		yes := isSub
		subMu.Unlock()
		if !yes {
			return
		}
		f.mu.Lock()
		g := f.gate
		f.mu.Unlock()
		<-g // never closed once frozen: the connection goes silent
	}
	pump := func(dst, src net.Conn, watch bool) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if watch && strings.Contains(strings.ToLower(string(buf[:n])), "subscribe") {
					sub.Do(func() { subMu.Lock(); isSub = true; subMu.Unlock() })
				}
				hold()
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					_ = err
				}
				_ = dst.Close()
				return
			}
		}
	}
	go pump(s, c, true)
	go pump(c, s, false)
}
