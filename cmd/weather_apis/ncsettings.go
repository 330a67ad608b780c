package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/config"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

// applyNextcloudSettings reads the admin settings form's values (AppAPI
// keeps them as app config) and rebuilds cfg with them as its Nextcloud
// layer: above the built-in defaults, below the YAML file and the
// environment (README.md, "Configuration"). The values are decoded and
// checked like every other layer's; a rejected one is logged and its
// setting keeps its previous value. The values are read at start-up; an
// admin applies a change by disabling and enabling the app (which restarts
// its container) or restarting the process. Nextcloud being unreachable is
// not an error: the configuration stays as loaded.
func applyNextcloudSettings(ctx context.Context, cfg *config.Config, creds appapi.Credentials, log *slog.Logger) {
	vals, err := readNextcloudSettings(ctx, cfg, creds)
	if err != nil {
		log.Info("Nextcloud admin settings not read; using the configuration as loaded", "reason", err.Error())
		return
	}
	next, err := cfg.WithNextcloud(vals)
	if err != nil {
		log.Warn("Nextcloud admin settings rejected; the settings keep their previous values", "error", err.Error())
	}
	for _, e := range next.Redacted() {
		if e.Source == config.SourceNextcloud {
			log.Info("using a value from the Nextcloud admin settings", "key", e.Key)
		}
	}
	*cfg = *next
}

// readNextcloudSettings fetches the admin settings form's values with one
// quick attempt: start-up (and the first heartbeat) must not wait.
func readNextcloudSettings(ctx context.Context, cfg *config.Config, creds appapi.Credentials) (map[string]string, error) {
	nc, err := nextcloud.New(nextcloud.Options{BaseURL: cfg.Nextcloud.URL, Creds: creds, MaxRetries: -1, Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return nc.AppConfigValues(ctx, slices.Sorted(maps.Keys(config.NextcloudFields()))...)
}

// checkConfig prints cfg as serve would run it: with the Nextcloud admin
// settings applied when Nextcloud answers, and each value's source. What
// keeps the Nextcloud layer out (unreachable, or a rejected value) is said
// on stderr; it does not make the configuration invalid, as it does not
// stop serve either.
func checkConfig(cfg *config.Config, stdout, stderr io.Writer) int {
	creds := appapi.Credentials{AppID: cfg.App.ID, AppVersion: cfg.App.Version, AAVersion: cfg.AppAPI.Version, Secret: cfg.App.Secret}
	vals, err := readNextcloudSettings(context.Background(), cfg, creds)
	if err != nil {
		fmt.Fprintf(stderr, "Nextcloud admin settings not read (%v); the nextcloud layer is not shown\n", err)
	} else {
		next, err := cfg.WithNextcloud(vals)
		if err != nil {
			fmt.Fprintf(stderr, "Nextcloud admin settings rejected; serve keeps the previous values:\n%v\n", err)
		}
		cfg = next
	}
	if err := cfg.Print(stdout); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}
