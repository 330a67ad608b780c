package config

import (
	"cmp"
	"fmt"
	"strings"
)

// report collects the problems of one build.
type report struct {
	c        *Config
	layers   []layer
	settings map[string]Setting // by key
	problems []string
}

func (r *report) add(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// check normalises the decoded values, then adds the problems of each
// setting's rule, of required settings and of rules involving several
// settings. Keys in bad failed to decode and are not checked again.
func (r *report) check(bad map[string]bool) {
	c := r.c
	c.Nextcloud.URL = strings.TrimRight(strings.TrimSuffix(strings.TrimRight(c.Nextcloud.URL, "/"), "/index.php"), "/") // as nc_py_api does
	c.Upstream.URL = strings.TrimRight(c.Upstream.URL, "/")
	c.Upstream.ContractMode = strings.ToLower(c.Upstream.ContractMode)
	c.Log.Format = strings.ToLower(c.Log.Format)
	if !strings.Contains(c.JWT.PublicKeyPEM, "\n") { // a PEM squeezed into one environment line
		c.JWT.PublicKeyPEM = strings.ReplaceAll(c.JWT.PublicKeyPEM, `\n`, "\n")
	}
	ok := func(keys ...string) bool {
		for _, k := range keys {
			if bad[k] {
				return false
			}
		}
		return true
	}
	n := func(key string) string { return key + " (" + r.settings[key].Env + ")" }

	for key, err := range c.rules() {
		if err != nil && ok(key) {
			r.problems = append(r.problems, r.valueProblem(r.settings[key], err))
		}
	}
	for key, s := range r.settings {
		if s.Required && ok(key) && c.value(key) == "" {
			r.add("%s: is required", n(key))
		}
	}
	if ok("redis.url", "redis.addrs") && c.Redis.URL != "" && len(c.Redis.Addrs) > 0 {
		r.add("%s and %s are mutually exclusive; set one of them", n("redis.url"), n("redis.addrs"))
	}
	if ok("redis.master_name", "redis.addrs") && c.Redis.MasterName != "" && len(c.Redis.Addrs) == 0 {
		r.add("%s: needs %s (the Sentinel addresses)", n("redis.master_name"), n("redis.addrs"))
	}
	if ok("redis.password", "redis.addrs") && c.Redis.Password != "" && len(c.Redis.Addrs) == 0 {
		r.add("%s: is used only with %s; put the password in %s instead", n("redis.password"), n("redis.addrs"), n("redis.url"))
	}
	if ok("upstream.retry_wait_min", "upstream.retry_wait_max") && c.Upstream.RetryWaitMin > c.Upstream.RetryWaitMax {
		r.add("%s (%s) must not exceed %s (%s)", n("upstream.retry_wait_min"), c.Upstream.RetryWaitMin,
			n("upstream.retry_wait_max"), c.Upstream.RetryWaitMax)
	}
	if ok("harp.shared_key", "harp.exapp_sock") && c.Harp.SharedKey != "" && c.Harp.ExAppSock == "" {
		r.add("%s: is required when %s is set", n("harp.exapp_sock"), n("harp.shared_key"))
	}
}

// rules returns each setting's check of its decoded, normalised value (nil:
// valid). Checking jwt.public_key also sets JWT.PublicKey.
func (c *Config) rules() map[string]error {
	return map[string]error{
		"app.id":                        match(`^[A-Za-z0-9_-]+$`, c.App.ID, "must be a non-empty app id of letters, digits, _ and -"),
		"app.version":                   cmp.Or(notEmpty(c.App.Version), noSpace(c.App.Version)),
		"app.display_name":              notEmpty(c.App.DisplayName),
		"app.host":                      cmp.Or(notEmpty(c.App.Host), noSpace(c.App.Host)),
		"app.port":                      between(c.App.Port, 1, 65535),
		"nextcloud.url":                 httpURL(c.Nextcloud.URL),
		"app.persistent_storage":        absPath(c.App.PersistentStorage),
		"harp.exapp_sock":               cmp.Or(absPath(c.Harp.ExAppSock), socketLen(c.Harp.ExAppSock)),
		"upstream.url":                  httpURL(c.Upstream.URL),
		"upstream.timeout":              positive(c.Upstream.Timeout),
		"upstream.max_retries":          between(c.Upstream.MaxRetries, 0, 10),
		"upstream.retry_wait_min":       notNegative(c.Upstream.RetryWaitMin),
		"upstream.retry_wait_max":       notNegative(c.Upstream.RetryWaitMax),
		"upstream.retry_after_cap":      notNegative(c.Upstream.RetryAfterCap),
		"upstream.openapi_path":         absPath(c.Upstream.OpenAPIPath),
		"upstream.openapi_file":         noSpace(c.Upstream.OpenAPIFile),
		"upstream.contract_mode":        oneOf(c.Upstream.ContractMode, "report", "enforce"),
		"upstream.write_settle":         positive(c.Upstream.WriteSettle),
		"upstream.breaker_max_cooldown": positive(c.Upstream.BreakerMaxCooldown),
		"redis.url":                     redisURL(c.Redis.URL),
		"redis.addrs":                   each(c.Redis.Addrs, hostPort),
		"redis.master_name":             noSpace(c.Redis.MasterName),
		"redis.timeout":                 positive(c.Redis.Timeout),
		"jwt.signing_key":               hmacKey(c.JWT.SigningKey),
		"jwt.public_key":                c.JWT.parseKey(),
		"jwt.default_scopes": each(c.JWT.DefaultScopes, func(s string) error {
			return match(`^[A-Za-z0-9_.:-]+$`, s, "scopes may contain only letters, digits and _ . : -")
		}),
		"jwt.leeway":                notNegative(c.JWT.Leeway),
		"cache.probe_interval":      notNegative(c.Cache.ProbeInterval),
		"cache.ttl":                 positive(c.Cache.TTL),
		"cache.swr":                 notNegative(c.Cache.SWR),
		"cache.stale_if_error":      notNegative(c.Cache.StaleIfError),
		"cache.max_stale":           notNegative(c.Cache.MaxStale),
		"cache.negative_ttl":        notNegative(c.Cache.NegativeTTL),
		"cache.l1_ttl":              notNegative(c.Cache.L1TTL),
		"server.request_timeout":    positive(c.Server.RequestTimeout),
		"server.max_body_bytes":     between(c.Server.MaxBodyBytes, 1, 1<<40),
		"nextcloud.notify_interval": positive(c.Nextcloud.NotifyInterval),
		"metrics.addr":              optional(c.Metrics.Addr, hostPort),
		"log.format":                oneOf(c.Log.Format, "json", "text"),
	}
}
