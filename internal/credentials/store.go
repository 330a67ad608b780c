// Package credentials stores weather_apis' integration credentials (API keys
// and integration tokens) in Redis and verifies them.
//
// Tokens are "wak_…"/"wit_…" strings with a CRC-32 checksum (format.go); only
// their SHA-256 is stored. Revocation and expiry are seen by every
// process within Options.CacheTTL (at most 1 s): the in-process look-up cache
// lives that long and is also cleared by a Pub/Sub message on every change.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/redisback"
)

// Options tune a Store. Zero values mean the defaults in brackets.
type Options struct {
	// Prefix namespaces the Redis keys ["weather_apis"].
	Prefix string
	// CacheTTL is the lifetime of the in-process look-up cache [1s]; it is
	// capped at 1 s, and a negative value disables the cache.
	CacheTTL time.Duration
	// TouchEvery bounds how often last_used_at is written per credential
	// and process [60s].
	TouchEvery time.Duration
	// Retention keeps revoked and expired records listable this long [720h].
	Retention time.Duration
	// DefaultTokenTTL is an integration token's lifetime without expires_in [720h].
	DefaultTokenTTL time.Duration
	// MaxTTL is the longest expires_in accepted [8760h].
	MaxTTL time.Duration
	// RedisBackoff is how long reads skip Redis after it failed, failing
	// closed at once instead of waiting for a timeout per request [1s].
	RedisBackoff time.Duration
	Logger       *slog.Logger
	Now          func() time.Time
}

func (o *Options) defaults() {
	if o.Prefix == "" {
		o.Prefix = "weather_apis"
	}
	if o.RedisBackoff <= 0 {
		o.RedisBackoff = time.Second
	}
	if o.CacheTTL == 0 || o.CacheTTL > time.Second {
		o.CacheTTL = time.Second
	}
	if o.TouchEvery <= 0 {
		o.TouchEvery = time.Minute
	}
	if o.Retention <= 0 {
		o.Retention = 720 * time.Hour
	}
	if o.DefaultTokenTTL <= 0 {
		o.DefaultTokenTTL = 720 * time.Hour
	}
	if o.MaxTTL <= 0 {
		o.MaxTTL = 8760 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Verification errors (besides ErrMalformed and ErrChecksum from Parse).
var (
	ErrUnknown = errors.New("credential is not recognised")
	ErrExpired = errors.New("credential has expired")
	ErrRevoked = errors.New("credential has been revoked")
	// ErrUnavailable wraps a Redis failure: the credential could not be
	// checked, so it is refused (fail closed).
	ErrUnavailable = errors.New("credential store is unavailable")
)

// Store keeps credentials in Redis. It is safe for concurrent use; Close
// stops its Pub/Sub listener.
type Store struct {
	rdb redis.UniversalClient
	o   Options

	mu      sync.RWMutex
	cache   map[string]cacheEntry // id -> record, younger than o.CacheTTL
	misses  map[string]time.Time  // id -> when Redis said "no such id"
	touched map[string]time.Time  // id -> last last_used_at write by this process
	group   singleflight.Group
	// gate skips Redis for a moment after it failed (internal/redisback).
	gate *redisback.Gate

	// secretChecks counts secretMatches calls: every Verify of a
	// well-formed token makes exactly one, whether its id exists or not.
	secretChecks atomic.Uint64

	cancel context.CancelFunc
	done   chan struct{}
}

type cacheEntry struct {
	c  *Credential
	at time.Time
}

const maxCacheEntries = 10000

// New returns a Store on rdb and starts listening for invalidations from
// other processes. Call Close when done.
func New(rdb redis.UniversalClient, o Options) *Store {
	o.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{rdb: rdb, o: o, cache: map[string]cacheEntry{}, misses: map[string]time.Time{}, touched: map[string]time.Time{},
		cancel: cancel, done: make(chan struct{})}
	s.gate = redisback.NewGate(redisback.GateOptions{
		Backoff: o.RedisBackoff,
		OnDown: func(err error, window time.Duration) {
			o.Logger.Warn("credentials: Redis unavailable; integration credentials are refused (fail closed)", "error", err, "retry_after", window)
		},
		OnUp: func(downFor time.Duration) { o.Logger.Info("credentials: Redis answers again", "down_for", downFor) },
	})
	go s.listen(ctx)
	return s
}

// Close stops the invalidation listener. It does not close rdb.
func (s *Store) Close() error {
	s.cancel()
	<-s.done
	return nil
}

func (s *Store) key(id string) string { return s.o.Prefix + ":{cred}:c:" + id }
func (s *Store) idsKey() string       { return s.o.Prefix + ":{cred}:ids" }
func (s *Store) channel() string      { return s.o.Prefix + ":{cred}:events" }
func unavailable(err error) error     { return fmt.Errorf("%w: %w", ErrUnavailable, err) }

// errBackoff is the cause of a read skipped while Redis recently failed.
var errBackoff = errors.New("redis failed moments ago; not asked again yet")

func notFound(id string) *envelope.Error {
	return envelope.Errorf(envelope.CodeNotFound, "No credential has the id %s.", quote(id))
}

// Create validates req, stores a new credential and returns its View with
// the secret, which is never shown again. Errors are *envelope.Error:
// VALIDATION_FAILED (with field details), STORE_UNAVAILABLE or INTERNAL.
func (s *Store) Create(ctx context.Context, req CreateRequest) (View, error) {
	now := s.o.Now()
	c, err := s.validate(req, now)
	if err != nil {
		return View{}, err
	}
	if c.ID, err = newID(); err != nil {
		return View{}, envelope.Wrap(envelope.CodeInternal, "Internal error", err)
	}
	token, err := newToken(c.Type, c.ID)
	if err != nil {
		return View{}, envelope.Wrap(envelope.CodeInternal, "Internal error", err)
	}
	c.hash = hashToken(token)
	key := s.key(c.ID)
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, c.fields())
		if !c.ExpiresAt.IsZero() {
			p.PExpireAt(ctx, key, c.ExpiresAt.Add(s.o.Retention))
		}
		p.SAdd(ctx, s.idsKey(), c.ID)
		return nil
	})
	if err != nil {
		return View{}, storeError(ctx, err)
	}
	s.o.Logger.Info("credential created", "credential_id", c.ID, "type", c.Type, "scopes", c.Scopes, "created_by", req.CreatedBy)
	v := c.View(now)
	v.Secret = token
	return v, nil
}

// List returns every stored credential (without secrets), oldest first.
func (s *Store) List(ctx context.Context) ([]View, error) {
	cs, err := s.all(ctx)
	if err != nil {
		return nil, storeError(ctx, err)
	}
	now := s.o.Now()
	out := make([]View, len(cs))
	for i, c := range cs {
		out[i] = c.View(now)
	}
	return out, nil
}

// all reads every record, dropping ids whose record has expired away.
func (s *Store) all(ctx context.Context) ([]*Credential, error) {
	ids, err := s.rdb.SMembers(ctx, s.idsKey()).Result()
	if err != nil {
		return nil, err
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.key(id))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []*Credential
	var gone []any
	for i, cmd := range cmds {
		if c, ok := decode(ids[i], cmd.Val()); ok {
			out = append(out, c)
		} else if len(cmd.Val()) == 0 {
			gone = append(gone, ids[i])
		}
	}
	if len(gone) > 0 {
		_ = s.rdb.SRem(ctx, s.idsKey(), gone...).Err()
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get returns the stored credential id, bypassing the cache. It returns
// ErrUnknown or an ErrUnavailable wrap.
func (s *Store) Get(ctx context.Context, id string) (*Credential, error) {
	if !ValidID(id) {
		return nil, ErrUnknown
	}
	if s.gate.Down() {
		return nil, unavailable(errBackoff)
	}
	m, err := s.rdb.HGetAll(ctx, s.key(id)).Result()
	s.gate.Report(ctx, err)
	if err != nil {
		return nil, unavailable(err)
	}
	c, ok := decode(id, m)
	if !ok {
		return nil, ErrUnknown
	}
	return c, nil
}

// Revoke revokes id at once on every process and returns the revoked
// credential. Revoking twice keeps the first revocation time. Errors are
// *envelope.Error: NOT_FOUND or STORE_UNAVAILABLE (503).
func (s *Store) Revoke(ctx context.Context, id string) (View, error) {
	if !ValidID(id) {
		return View{}, notFound(id)
	}
	now := s.o.Now()
	n, err := revokeScript.Run(ctx, s.rdb, []string{s.key(id)}, now.UnixMilli(), s.o.Retention.Milliseconds()).Int()
	if err != nil {
		return View{}, storeError(ctx, err)
	}
	if n == 0 {
		return View{}, notFound(id)
	}
	s.invalidate(ctx, id)
	c, err := s.Get(ctx, id)
	if err != nil {
		return View{}, storeError(ctx, err)
	}
	s.o.Logger.Info("credential revoked", "credential_id", id)
	return c.View(now), nil
}

// revokeScript sets revoked_at once and shortens the record's life to the
// retention; it returns 0 when the record does not exist.
var revokeScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local r = redis.call('HGET', KEYS[1], 'revoked_at')
if not r or r == '' then redis.call('HSET', KEYS[1], 'revoked_at', ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 or ttl > tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`)

// touchScript writes last_used_at only to an existing record, so a record
// that expired away is never resurrected.
var touchScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'last_used_at', ARGV[1]) end
return 0`)

// storeError is a failed Redis operation as the caller should see it: 503
// STORE_UNAVAILABLE, unless the caller's own context ended first (its
// client went away or its deadline passed), which says nothing about Redis.
func storeError(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return envelope.From(cerr)
	}
	return envelope.Wrap(envelope.CodeStoreUnavailable, "The credential store (Redis) is unavailable.", err)
}
