package token

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/redisback"
)

// record is the shared token as stored in the Redis hash.
type record struct {
	Access     string
	Refresh    string
	AccessExp  time.Time
	RefreshExp time.Time
	Fence      int64
	ObtainedAt time.Time
}

// expirySkew: a token this close to its exp is treated as expired, so it is
// never sent to expire in flight.
const expirySkew = time.Second

// usable: the access token may still be sent.
func (r *record) usable(now time.Time) bool {
	return r != nil && r.Access != "" && now.Add(expirySkew).Before(r.AccessExp)
}

// refreshable: the refresh token may still be presented.
func (r *record) refreshable(now time.Time) bool {
	return r != nil && r.Refresh != "" && now.Add(expirySkew).Before(r.RefreshExp)
}

// keys of one token; the hash tag puts them in one Redis Cluster slot so the
// Lua scripts may touch several.
type keys struct {
	data, lock, fence string
}

func newKeys(prefix string) keys {
	base := "{" + prefix + ":token}"
	return keys{data: base, lock: base + ":lock", fence: base + ":fence"}
}

// writeScript stores a token only for the newest fence: the caller's fence
// must still be the latest handed out (no newer lock holder started) and newer
// than the stored one. KEYS: data, fence. ARGV: fence, ttl ms, field/value...
var writeScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
local mine = tonumber(ARGV[1])
if cur ~= mine then return 0 end
local stored = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if stored >= mine then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`)

// rejectScript forgets the access token only if it is still the stored one;
// the refresh token stays for the next renewal. KEYS: data. ARGV: token.
var rejectScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'access') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'access', 'access_exp')
  return 1
end
return 0`)

// rctx bounds one Redis operation. go-redis honours it on sockets only with
// Options.ContextTimeoutEnabled; dials and retry waits always.
func (s *Source) rctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.opts.RedisTimeout)
}

// load reads the shared record; (nil, nil) when there is none.
func (s *Source) load(ctx context.Context) (*record, error) {
	c, cancel := s.rctx(ctx)
	defer cancel()
	m, err := s.opts.Redis.HGetAll(c, s.keys.data).Result()
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	r := &record{Access: m["access"], Refresh: m["refresh"]}
	r.AccessExp = msTime(m["access_exp"])
	r.RefreshExp = msTime(m["refresh_exp"])
	r.ObtainedAt = msTime(m["obtained_at"])
	r.Fence, _ = strconv.ParseInt(m["fence"], 10, 64)
	return r, nil
}

func msTime(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// write stores r (whose Fence is set) if the fence allows it.
func (s *Source) write(ctx context.Context, r *record) (bool, error) {
	ttl := time.Until(r.RefreshExp)
	if a := time.Until(r.AccessExp); ttl < a {
		ttl = a
	}
	ttl = max(ttl, time.Second)
	c, cancel := s.rctx(ctx)
	defer cancel()
	n, err := writeScript.Run(c, s.opts.Redis, []string{s.keys.data, s.keys.fence},
		r.Fence, ttl.Milliseconds(),
		"access", r.Access, "refresh", r.Refresh,
		"access_exp", r.AccessExp.UnixMilli(), "refresh_exp", r.RefreshExp.UnixMilli(),
		"fence", r.Fence, "obtained_at", r.ObtainedAt.UnixMilli()).Int()
	return n == 1, err
}

// nextFence hands out a fencing number newer than every earlier one.
func (s *Source) nextFence(ctx context.Context) (int64, error) {
	c, cancel := s.rctx(ctx)
	defer cancel()
	return s.opts.Redis.Incr(c, s.keys.fence).Result()
}

// tryLock takes the renewal lock (SET NX PX, a random owner token).
func (s *Source) tryLock(ctx context.Context) (redisback.Lock, bool, error) {
	lock := redisback.NewLock(s.keys.lock, s.opts.LockLease)
	c, cancel := s.rctx(ctx)
	defer cancel()
	ok, err := lock.Acquire(c, s.opts.Redis)
	return lock, ok, err
}

// keepLease renews the lock every LockLease/3 until the returned stop is
// called; stop also releases the lock.
func (s *Source) keepLease(lock redisback.Lock) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(s.opts.LockLease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				c, cancel := s.rctx(context.Background())
				held, err := lock.Renew(c, s.opts.Redis)
				cancel()
				if err != nil || !held {
					// Lost the lease: the fence still keeps a newer holder's token safe.
					s.log.Warn("token lock lease not renewed", "error", err)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		c, cancel := s.rctx(context.Background())
		defer cancel()
		_, _ = lock.Release(c, s.opts.Redis)
	}
}
