package main

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/config"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

// applyNextcloudSettings reads the admin settings form's values (AppAPI
// keeps them as app config) and uses each one whose setting the operator
// left at its built-in default. Precedence, lowest first: built-in
// defaults < Nextcloud admin settings < YAML file < environment. The values
// are read at start-up; an admin applies a change by disabling and enabling
// the app (which restarts its container) or restarting the process.
// Nextcloud being unreachable is not an error: the defaults stay.
func applyNextcloudSettings(ctx context.Context, cfg *config.Config, creds appapi.Credentials, log *slog.Logger) {
	// One quick attempt: start-up (and the first heartbeat) must not wait.
	nc, err := nextcloud.New(nextcloud.Options{BaseURL: cfg.Nextcloud.URL, Creds: creds, MaxRetries: -1, Timeout: time.Second})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	vals, err := nc.AppConfigValues(ctx, "upstream_url", "upstream_username", "upstream_password")
	if err != nil {
		log.Info("Nextcloud admin settings not read; using the configuration as loaded", "reason", err.Error())
		return
	}
	source := map[string]config.Source{}
	for _, e := range cfg.Redacted() {
		source[e.Key] = e.Source
	}
	apply := func(key, val string, set func(string)) {
		if val == "" || source[key] != config.SourceDefault {
			return
		}
		set(val)
		log.Info("using a value from the Nextcloud admin settings", "key", key)
	}
	if u, err := url.Parse(vals["upstream_url"]); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		apply("upstream.url", strings.TrimRight(vals["upstream_url"], "/"), func(v string) { cfg.Upstream.URL = v })
	} else if vals["upstream_url"] != "" {
		log.Warn("ignoring the DRF backend URL from the Nextcloud admin settings: not an absolute http(s) URL")
	}
	apply("upstream.username", vals["upstream_username"], func(v string) { cfg.Upstream.Username = v })
	apply("upstream.password", vals["upstream_password"], func(v string) { cfg.Upstream.Password = v })
}
