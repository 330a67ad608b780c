package main

import (
	"fmt"
	"log/slog"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/config"
)

// openRedis returns the shared Redis client: Cluster or Sentinel from
// WEATHER_APIS_REDIS_ADDRS, a single server from WEATHER_APIS_REDIS_URL, or,
// with neither, an embedded in-process store that only this process sees.
// The returned close function releases everything.
func openRedis(cfg *config.Config, log *slog.Logger) (redis.UniversalClient, string, func(), error) {
	t := cfg.Redis.Timeout
	switch {
	case len(cfg.Redis.Addrs) > 0:
		c := redis.NewUniversalClient(&redis.UniversalOptions{
			Addrs: cfg.Redis.Addrs, MasterName: cfg.Redis.MasterName, Password: cfg.Redis.Password,
			DialTimeout: 2 * t, ReadTimeout: t, WriteTimeout: t, ContextTimeoutEnabled: true,
			PoolSize: 64, MinIdleConns: 4,
		})
		kind := "cluster"
		if cfg.Redis.MasterName != "" {
			kind = "sentinel"
		}
		return c, kind, func() { _ = c.Close() }, nil
	case cfg.Redis.URL != "":
		opts, err := redis.ParseURL(cfg.Redis.URL)
		if err != nil {
			return nil, "", nil, fmt.Errorf("cannot parse WEATHER_APIS_REDIS_URL: %w", err)
		}
		opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*t, t, t
		opts.ContextTimeoutEnabled = true
		opts.PoolSize, opts.MinIdleConns = 64, 4
		c := redis.NewClient(opts)
		return c, "server", func() { _ = c.Close() }, nil
	default:
		mr := miniredis.NewMiniRedis()
		// Keys expire with the wall clock, as on a real server (without
		// this miniredis only expires them when told to move its clock):
		// locks, leases and the breaker's cooldown depend on it.
		mr.ClockTTL(true)
		if err := mr.Start(); err != nil {
			return nil, "", nil, fmt.Errorf("cannot start the embedded store: %w", err)
		}
		log.Warn("WEATHER_APIS_REDIS_URL is empty: using an embedded in-process store; tokens, cache and credentials are not shared with other processes or replicas")
		c := redis.NewClient(&redis.Options{Addr: mr.Addr(), ContextTimeoutEnabled: true, ReadTimeout: t, WriteTimeout: t, PoolSize: 64})
		return c, "embedded", func() { _ = c.Close(); mr.Close() }, nil
	}
}
