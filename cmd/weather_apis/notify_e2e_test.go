package main_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapisim"
)

// TestRedisLossNotifiesTheAdminsOnce: two replicas of the real binary,
// observing every 300 ms; Redis stops. Each admin gets exactly one
// Nextcloud notification, "Redis is unreachable", through AppAPI, with the
// link to the diagnostics page: both replicas see the failure and agree
// through the mirror in Nextcloud (Redis cannot coordinate them now), and
// the layers that fail because Redis does (token, cache, credentials) are
// not announced on their own.
func TestRedisLossNotifiesTheAdminsOnce(t *testing.T) {
	s := newStack(t, stackOptions{Replicas: 2, ExtraEnv: []string{probeOff, "WEATHER_APIS_NEXTCLOUD_NOTIFY_INTERVAL=300ms"}})
	sim := &appapisim.Client{BaseURL: s.SimURL}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	time.Sleep(time.Second) // a few healthy observations first
	if n, err := sim.Notifications(ctx, "admin"); err != nil || len(n) != 0 {
		t.Fatalf("notifications while healthy = %+v, %v; want none", n, err)
	}
	s.Redis.Stop(t)
	stopped := time.Now()
	var got []appapisim.Notification
	for time.Since(stopped) < 15*time.Second {
		n, err := sim.Notifications(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		got = n
		if len(n) > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(got) == 0 {
		t.Fatalf("no notification %v after Redis stopped", time.Since(stopped))
	}
	t.Logf("first notification %v after Redis stopped", time.Since(stopped).Round(10*time.Millisecond))
	time.Sleep(3 * time.Second) // both replicas keep observing the failure
	got, err := sim.Notifications(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	var redis int
	for _, n := range got {
		if !strings.Contains(n.Subject, "Redis is unreachable") {
			t.Errorf("admin was told %q while Redis is the cause", n.Subject)
			continue
		}
		redis++
		if !n.Shown || !strings.Contains(n.Link, "#diagnostics") {
			t.Errorf("notification not shown or without the diagnostics link: %+v", n)
		}
	}
	if redis != 1 {
		t.Errorf("admin got %d \"Redis is unreachable\" notifications from 2 replicas; want exactly 1", redis)
	}
}
