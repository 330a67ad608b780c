package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheckConfigRedactsSecrets(t *testing.T) {
	var out, errb bytes.Buffer
	env := []string{"APP_SECRET=very-secret-app-secret", "NEXTCLOUD_URL=http://nc.local/index.php",
		"WEATHER_APIS_UPSTREAM_PASSWORD=drf-password-123", "WEATHER_APIS_UPSTREAM_URL=http://drf:8000"}
	if code := run([]string{"check-config"}, env, &out, &errb); code != 0 {
		t.Fatalf("check-config exit %d: %s", code, errb.String())
	}
	s := out.String()
	for _, secret := range []string{"very-secret-app-secret", "drf-password-123"} {
		if strings.Contains(s, secret) {
			t.Errorf("check-config printed a secret:\n%s", s)
		}
	}
	for _, want := range []string{"http://drf:8000", "http://nc.local", "<redacted>", "env", "default"} {
		if !strings.Contains(s, want) {
			t.Errorf("check-config output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "index.php") {
		t.Errorf("NEXTCLOUD_URL not normalised:\n%s", s)
	}
}

func TestCheckConfigListsEveryProblem(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"check-config"}, []string{"APP_PORT=0", "WEATHER_APIS_LOG_LEVEL=loud"}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit = %d; want 1", code)
	}
	for _, want := range []string{"APP_SECRET", "NEXTCLOUD_URL", "APP_PORT", "WEATHER_APIS_LOG_LEVEL"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("error lacks %s:\n%s", want, errb.String())
		}
	}
}

func TestVersionAndUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, nil, &out, &errb); code != 0 || strings.TrimSpace(out.String()) != version {
		t.Errorf("version = %d %q", code, out.String())
	}
	env := []string{"APP_SECRET=x", "NEXTCLOUD_URL=http://nc"}
	if code := run([]string{"frobnicate"}, env, &out, &errb); code != 2 {
		t.Errorf("unknown command exit = %d; want 2", code)
	}
}
