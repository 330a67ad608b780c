// Package token shares ONE DRF SimpleJWT pair between every worker and
// replica of weather_apis through Redis.
//
// Protocol (README.md "Request flow": one shared JWT in Redis):
//
//   - The pair lives in one Redis hash {prefix:token} (access, refresh,
//     access_exp, refresh_exp, fence, obtained_at) whose TTL is the refresh
//     token's expiry. Each process keeps a local copy only while it is valid
//     and outside the refresh-ahead window.
//   - Only the holder of {prefix:token}:lock (SET NX PX, random owner, lease
//     renewed every lease/3, released by compare-and-delete) talks to the token
//     endpoints. It re-reads the hash after taking the lock (someone may have
//     renewed meanwhile), takes a fencing number (INCR {prefix:token}:fence)
//     and writes with a Lua script that refuses any fence but the newest, so a
//     paused old holder can never overwrite a newer pair.
//   - In the refresh window one process refreshes in the background while all
//     keep sending the current token. Without a usable token, callers wait
//     (polling the hash, bounded by ctx and WaitTimeout) and take the lock over
//     if its holder died.
//   - Refresh uses the refresh token and stores the rotated refresh token with
//     the new access token in one write (safe with ROTATE_REFRESH_TOKENS +
//     blacklist); a rejected refresh falls back to a password obtain.
//   - Redis errors never fail a request: the process switches to a local pair
//     (singleflight-collapsed) and returns to Redis after RedisRetry; the
//     first renewal after that uploads the local pair instead of obtaining.
//
// The go-redis client should be built with ContextTimeoutEnabled so that a
// frozen Redis is given up after RedisTimeout.
package token

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/redisback"
)

// Options configure a Source. Zero values take the defaults noted.
type Options struct {
	Redis       redis.UniversalClient // required
	KeyPrefix   string                // default "weather_apis"
	BaseURL     string                // DRF root (required)
	TokenPath   string                // default "/api/v1/auth/token/"
	RefreshPath string                // default "/api/v1/auth/token/refresh/"
	Username    string                // service account (required)
	Password    string
	HTTP        *http.Client // default: 10 s timeout
	// RefreshAhead: refresh when less than this remains of the access token.
	// Default 20% of its lifetime, at least 5 s, at most half the lifetime.
	RefreshAhead time.Duration
	LockLease    time.Duration // renewal lock lease (default 5s; renewed every lease/3)
	WaitTimeout  time.Duration // longest a Token call waits for a renewal (default 10s)
	RedisTimeout time.Duration // one Redis operation (default 500ms)
	RedisRetry   time.Duration // after a Redis error, use the local pair this long (default 1s)
	Logger       *slog.Logger
}

// Source is an upstream.TokenSource. Close it to stop background refreshes.
type Source struct {
	opts Options
	keys keys
	http *http.Client
	log  *slog.Logger
	ctr  counters

	local     atomic.Pointer[record] // last pair read from or written to Redis
	fallback  atomic.Pointer[record] // process-local pair used while Redis fails
	gate      *redisback.Gate        // Redis back-off: skipped (local pair used) while down
	aheadAt   atomic.Int64           // unix nanos; no refresh-ahead attempt before this
	aheadBusy atomic.Bool
	sf        singleflight.Group

	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	bg     sync.WaitGroup
}

// New validates opts and returns a Source. It does not touch the network.
func New(opts Options) (*Source, error) {
	if opts.Redis == nil || opts.BaseURL == "" || opts.Username == "" {
		return nil, errors.New("token: Options.Redis, BaseURL and Username are required")
	}
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = "weather_apis"
	}
	if opts.TokenPath == "" {
		opts.TokenPath = "/api/v1/auth/token/"
	}
	if opts.RefreshPath == "" {
		opts.RefreshPath = "/api/v1/auth/token/refresh/"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.LockLease, 5*time.Second)
	def(&opts.WaitTimeout, 10*time.Second)
	def(&opts.RedisTimeout, 500*time.Millisecond)
	def(&opts.RedisRetry, time.Second)
	hc := opts.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Source{opts: opts, keys: newKeys(opts.KeyPrefix), http: hc, log: log, gate: newGate(opts, log),
		ctx: ctx, cancel: cancel}, nil
}

// Close stops background refreshes and waits for them.
func (s *Source) Close() error {
	s.cancel()
	s.bg.Wait()
	return nil
}

// window is how long before expiry r enters the refresh-ahead window.
func (s *Source) window(r *record) time.Duration {
	if s.opts.RefreshAhead > 0 {
		return s.opts.RefreshAhead
	}
	life := r.AccessExp.Sub(r.ObtainedAt)
	return min(max(life/5, 5*time.Second), life/2)
}

// fresh: usable and outside the refresh window (the local copy may be used
// without asking Redis).
func (s *Source) fresh(r *record, now time.Time) bool {
	return r.usable(now) && now.Add(s.window(r)).Before(r.AccessExp)
}

// Token returns the access token to send. Errors are *envelope.Error.
func (s *Source) Token(ctx context.Context) (string, error) {
	now := time.Now()
	if r := s.local.Load(); s.fresh(r, now) {
		return r.Access, nil
	}
	if s.redisDown() {
		if f := s.fallback.Load(); s.fresh(f, now) {
			return f.Access, nil
		}
	}
	// One flight per process; it runs detached from the first caller's ctx so
	// that caller's cancellation cannot fail the others.
	ch := s.sf.DoChan("token", func() (any, error) {
		c, cancel := context.WithTimeout(s.ctx, s.opts.WaitTimeout)
		defer cancel()
		if s.redisDown() {
			return s.fallbackToken(c)
		}
		return s.sharedToken(c)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return "", res.Err
		}
		return res.Val.(string), nil
	case <-ctx.Done():
		return "", envelope.Wrap(envelope.CodeUpstreamTimeout, "Timed out waiting for a farm service token.", ctx.Err())
	}
}

// sharedToken reads the shared pair and renews it when needed.
func (s *Source) sharedToken(ctx context.Context) (string, error) {
	rec, err := s.load(ctx)
	if err != nil {
		return s.redisFailed(ctx, err)
	}
	s.redisBack()
	now := time.Now()
	if rec.usable(now) {
		s.local.Store(rec)
		if !s.fresh(rec, now) {
			s.refreshAhead(rec)
		}
		return rec.Access, nil
	}
	return s.waitOrRenew(ctx)
}

// waitOrRenew gets a usable pair when there is none: take the lock and renew,
// or wait for the holder's write (taking over if its lease runs out).
func (s *Source) waitOrRenew(ctx context.Context) (string, error) {
	poll := 10 * time.Millisecond
	waited := false
	for {
		lock, ok, err := s.tryLock(ctx)
		if err != nil {
			return s.redisFailed(ctx, err)
		}
		if ok {
			r, err := s.renewLocked(ctx, lock, nil)
			if err != nil {
				return "", err
			}
			return r.Access, nil
		}
		if !waited {
			waited = true
			s.ctr.lockWaits.Add(1)
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", envelope.Wrap(envelope.CodeUpstreamTimeout,
				"Timed out waiting for another worker to obtain the farm service token.", ctx.Err())
		case <-t.C:
		}
		poll = min(poll*2, 200*time.Millisecond)
		rec, err := s.load(ctx)
		if err != nil {
			return s.redisFailed(ctx, err)
		}
		if rec.usable(time.Now()) {
			s.local.Store(rec)
			return rec.Access, nil
		}
	}
}

// renewLocked runs while holding the lock. With expect == nil it makes sure a
// usable pair exists; with expect set (refresh-ahead) it renews only if the
// stored pair is still expect. It returns the pair to use.
func (s *Source) renewLocked(ctx context.Context, lock redisback.Lock, expect *record) (*record, error) {
	stop := s.keepLease(lock)
	defer stop()
	rec, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	if expect == nil && rec.usable(now) {
		s.local.Store(rec)
		return rec, nil // renewed by someone else meanwhile
	}
	if expect != nil && (rec == nil || rec.Fence != expect.Fence || rec.Access != expect.Access) {
		return rec, nil
	}
	fence, err := s.nextFence(ctx)
	if err != nil {
		return nil, err
	}
	next, err := s.fetch(ctx, rec)
	if err != nil {
		return nil, err
	}
	next.Fence = fence
	ok, err := s.write(ctx, next)
	switch {
	case err != nil:
		s.log.Warn("token: cannot store the renewed pair in Redis; using it locally", "error", err)
		s.fallback.Store(next)
		s.markDown(err)
	case !ok:
		s.ctr.fenced.Add(1)
		s.log.Warn("token: a newer renewal superseded this one (fence); its pair is not stored", "fence", fence)
		if cur, err := s.load(ctx); err == nil && cur.usable(time.Now()) {
			s.local.Store(cur)
			return cur, nil
		}
	default:
		s.local.Store(next)
	}
	return next, nil
}

// fetch gets a new pair from DRF: the pair obtained during a Redis outage if
// still fresh, else a refresh, else (refresh missing or rejected) an obtain.
func (s *Source) fetch(ctx context.Context, cur *record) (*record, error) {
	now := time.Now()
	if f := s.fallback.Swap(nil); s.fresh(f, now) {
		c := *f
		return &c, nil
	}
	if cur.refreshable(now) {
		next, err := s.refreshPair(ctx, cur)
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, errRefreshRejected) {
			return nil, err
		}
		s.log.Info("token: refresh token rejected by DRF; obtaining a new pair")
	}
	return s.obtainPair(ctx)
}

// refreshAhead starts one background renewal (per process, throttled) if
// this process wins the lock; others keep using r meanwhile.
func (s *Source) refreshAhead(r *record) {
	now := time.Now()
	if now.UnixNano() < s.aheadAt.Load() || !s.aheadBusy.CompareAndSwap(false, true) {
		return
	}
	s.aheadAt.Store(now.Add(250 * time.Millisecond).UnixNano())
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.aheadBusy.Store(false)
		ctx, cancel := context.WithTimeout(s.ctx, s.opts.WaitTimeout)
		defer cancel()
		lock, ok, err := s.tryLock(ctx)
		if err != nil || !ok {
			return
		}
		if _, err := s.renewLocked(ctx, lock, r); err != nil {
			s.log.Warn("token: refresh ahead failed; the current token stays in use", "error", err)
		}
	}()
}

// Reject drops token if it is still the stored (or local) one, so the next
// Token call renews. A newer pair is never dropped.
func (s *Source) Reject(ctx context.Context, token string) error {
	s.ctr.rejects.Add(1)
	if r := s.local.Load(); r != nil && r.Access == token {
		s.local.CompareAndSwap(r, nil)
	}
	if f := s.fallback.Load(); f != nil && f.Access == token {
		s.fallback.CompareAndSwap(f, &record{Refresh: f.Refresh, RefreshExp: f.RefreshExp})
	}
	if s.redisDown() {
		return nil
	}
	c, cancel := s.rctx(ctx)
	defer cancel()
	if err := rejectScript.Run(c, s.opts.Redis, []string{s.keys.data}, token).Err(); err != nil {
		s.markDown(err)
		return err
	}
	return nil
}
