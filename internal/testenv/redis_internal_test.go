package testenv

import (
	"strconv"
	"testing"
	"time"
)

// TestEmbeddedRedis: the short tier's store answers at its address like a
// server, empty, and its keys expire with the wall clock.
func TestEmbeddedRedis(t *testing.T) {
	t.Parallel()
	r := startMiniRedis(t)
	if !r.Embedded() || r.Addr() != "127.0.0.1:"+strconv.Itoa(r.Port) {
		t.Fatalf("embedded %v at %s", r.Embedded(), r.Addr())
	}
	if got := r.Do(t, "DBSIZE"); got != ":0" {
		t.Fatalf("DBSIZE = %q; want :0", got)
	}
	if got := r.Do(t, "SET", "k", "v", "PX", "100"); got != "+OK" {
		t.Fatalf("SET = %q", got)
	}
	waitFor(t, 3*time.Second, "the key to expire", func() bool { return r.Do(t, "EXISTS", "k") == ":0" })
}

// TestStartRedisTier: StartRedis is embedded exactly under -short.
func TestStartRedisTier(t *testing.T) {
	t.Parallel()
	if r := StartRedis(t); r.Embedded() != testing.Short() {
		t.Errorf("Embedded() = %v under -short=%v", r.Embedded(), testing.Short())
	}
}
