package cache

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// observeLua records a new upstream schema version or contract hash, but
// only if the control hash is still what the caller's answer was requested
// under: same epoch and same change counter of that field (sn for the
// schema, cn for the contract). An answer requested before another
// process recorded a change is older news and must not undo it. A change
// also bumps the global generation, so entries of the old version stay
// unreachable for ever, even if the upstream goes back to it.
//
// KEYS: ctl. ARGV: field (schema|contract), counter field (sn|cn), value,
// expected epoch, expected counter, channel.
// Returns 1 changed, 2 already that value, 0 the state moved on.
const observeLua = `local cur = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if cur == ARGV[3] then return 2 end
if (redis.call('HGET', KEYS[1], 'epoch') or '') ~= ARGV[4] then return 0 end
if (redis.call('HGET', KEYS[1], ARGV[2]) or '0') ~= ARGV[5] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
redis.call('HINCRBY', KEYS[1], 'g', 1)
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PUBLISH', ARGV[6], 's')
return 1`

// Results of observe.
const (
	observeChanged  = 1
	observeSame     = 2
	observeOutdated = 0
)

// ObserveSchemaVersion records that the upstream answered with schema
// version v (canonical form, see jsonshape.Canonical). When v differs from
// the current version, every entry of every route becomes unreachable at
// once, in every process (the version and the global generation are part
// of each key), and stays so even if the upstream goes back. "" is ignored.
func (c *Cache) ObserveSchemaVersion(ctx context.Context, v string) error {
	s := c.ctl.Load()
	if v == "" || s != nil && s.schema == v {
		return nil
	}
	if s == nil {
		if s = c.snapshot(ctx); s == nil {
			return errors.New("cache: redis is not reachable")
		}
	}
	_, _, err := c.observe(ctx, s, "schema", v)
	return err
}

// ObserveContract records the hash of the upstream's published contract
// ("" when it publishes none); a change makes every entry unreachable, as a
// schema version change does.
func (c *Cache) ObserveContract(ctx context.Context, hash string) error {
	s := c.snapshot(ctx)
	if s == nil {
		return errors.New("cache: redis is not reachable")
	}
	if s.contract == hash {
		return nil
	}
	_, _, err := c.observe(ctx, s, "contract", hash)
	return err
}

// observe records value for field ("schema" or "contract") if the control
// hash is still as in s (see observeLua) and re-reads it. result is one of
// observeChanged, observeSame, observeOutdated; ns is the snapshot after it.
func (c *Cache) observe(ctx context.Context, s *ctlState, field, value string) (ns *ctlState, result int, err error) {
	counter, expected := "sn", s.schemaSeq
	if field == "contract" {
		counter, expected = "cn", s.contractSeq
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.o.RedisTimeout)
	defer cancel()
	result, err = c.observeScript.Run(rctx, c.rdb, []string{c.keys.ctl()}, field, counter, value, s.epoch,
		expected, c.keys.channel()).Int()
	if err != nil && !errors.Is(err, redis.Nil) {
		c.redisFailed(rctx, err)
		return nil, 0, err
	}
	if result == observeChanged {
		c.l1.dropRoute("")
	}
	ns, err = c.refreshCtl(rctx, nil)
	return ns, result, err
}
