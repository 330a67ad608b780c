package testenv_test

import (
	"testing"

	"github.com/weather-apis/weather_apis/internal/testenv"
)

func TestRedisStartStopRestart(t *testing.T) {
	testenv.NeedsProcesses(t, "kills and restarts redis-server")
	r := testenv.StartRedis(t)
	if got := r.Do(t, "SET", "k", "v"); got != "+OK" {
		t.Fatalf("SET = %q; want +OK", got)
	}
	r.Stop(t)
	if err := testenv.Ping(r.Addr()); err == nil {
		t.Fatalf("PING after Stop succeeded; want an error")
	}
	r.Start(t)
	if got := r.Do(t, "EXISTS", "k"); got != ":0" {
		t.Errorf("EXISTS after restart = %q; want :0 (no persistence)", got)
	}
}
