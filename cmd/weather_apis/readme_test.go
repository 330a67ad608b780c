package main

import (
	"os"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/config"
)

// TestREADMEListsEverySetting keeps the README's configuration table in
// step with the settings table.
func TestREADMEListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range config.Settings() {
		if !strings.Contains(string(b), "`"+s.Env+"`") {
			t.Errorf("README does not document %s", s.Env)
		}
	}
}
