package cache

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// ProbeFunc reads the upstream's current schema version.
type ProbeFunc func(ctx context.Context) (schemaVersion string, err error)

// Probe re-reads the upstream schema version so drift is noticed even when
// no request brings a new version. Only the process holding the probe lease
// (a Redis key with a TTL) probes; it renews the lease on each run, and
// another process takes over within one lease after it stops.
type Probe struct {
	c     *Cache
	fetch ProbeFunc
	lease time.Duration
	token string
}

// NewProbe returns a Probe whose lease lasts lease (at least 1 s).
func (c *Cache) NewProbe(fetch ProbeFunc, lease time.Duration) *Probe {
	return &Probe{c: c, fetch: fetch, lease: max(lease, time.Second), token: randToken()}
}

// leaseLua renews KEYS[1] for ARGV[1] or takes it when free.
// ARGV: token, lease ms. Returns 1 when this token holds the lease.
const leaseLua = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0`

// Once probes if this process holds (or takes) the lease. ran reports
// whether fetch was called; version is what it returned, already passed to
// ObserveSchemaVersion. A fetch error is returned as is.
func (p *Probe) Once(ctx context.Context) (ran bool, version string, err error) {
	c := p.c
	rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	held, err := c.leaseScript.Run(rctx, c.rdb, []string{c.keys.probe()}, p.token, p.lease.Milliseconds()).Int()
	cancel()
	if err != nil {
		c.redisFailed(ctx, err)
		return false, "", err
	}
	if held != 1 {
		return false, "", nil
	}
	fctx, cancel := context.WithTimeout(ctx, p.lease)
	defer cancel()
	version, err = p.fetch(fctx)
	if err != nil {
		return true, "", err
	}
	return true, version, c.ObserveSchemaVersion(ctx, version)
}

// Run probes every interval until ctx ends, then gives the lease up.
func (p *Probe) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr string
	for {
		_, _, err := p.Once(ctx)
		if msg := errString(err); msg != lastErr && ctx.Err() == nil {
			if err != nil {
				p.c.o.Logger.Warn("cache: schema probe failed", "err", err)
			} else {
				p.c.o.Logger.Info("cache: schema probe works again")
			}
			lastErr = msg
		}
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.c.o.RedisTimeout)
			err := p.c.releaseScript.Run(rctx, p.c.rdb, []string{p.c.keys.probe()}, p.token).Err()
			cancel()
			if err != nil && !errors.Is(err, redis.Nil) {
				p.c.redisFailed(rctx, err)
			}
			return
		case <-t.C:
		}
	}
}

// RunProbe runs a probe with a lease of two intervals until ctx ends; it
// does nothing when interval is not positive.
func (c *Cache) RunProbe(ctx context.Context, interval time.Duration, fetch ProbeFunc) {
	if interval <= 0 {
		return
	}
	c.NewProbe(fetch, 2*interval).Run(ctx, interval)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
