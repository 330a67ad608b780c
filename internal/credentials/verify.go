package credentials

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Verify checks token and returns its credential (shared: do not modify).
// It returns ErrMalformed or ErrChecksum without touching Redis, ErrUnknown
// (no such id, or a wrong secret), ErrRevoked, ErrExpired, or an
// ErrUnavailable wrap when Redis cannot be read and no cache entry younger
// than CacheTTL exists (fail closed). Revoked and expired are reported only
// after the secret matched, so an id alone reveals nothing.
func (s *Store) Verify(ctx context.Context, token string) (*Credential, error) {
	typ, id, err := Parse(token)
	if err != nil {
		return nil, err
	}
	c, err := s.lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	h := hashToken(token)
	if c.Type != typ || subtle.ConstantTimeCompare(h[:], c.hash[:]) != 1 {
		return nil, ErrUnknown
	}
	now := s.o.Now()
	switch {
	case !c.RevokedAt.IsZero():
		return c, ErrRevoked
	case !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt):
		return c, ErrExpired
	}
	s.touch(ctx, id, now)
	return c, nil
}

// lookup returns id's record from the cache or Redis (one read per id at a
// time, shared by concurrent callers).
func (s *Store) lookup(ctx context.Context, id string) (*Credential, error) {
	if s.o.CacheTTL > 0 {
		s.mu.RLock()
		e, ok := s.cache[id]
		s.mu.RUnlock()
		if ok && s.o.Now().Sub(e.at) < s.o.CacheTTL {
			return e.c, nil
		}
	}
	v, err, _ := s.group.Do(id, func() (any, error) {
		at := s.o.Now()
		c, err := s.Get(context.WithoutCancel(ctx), id)
		if err == nil && s.o.CacheTTL > 0 {
			s.mu.Lock()
			if len(s.cache) >= maxCacheEntries {
				clear(s.cache)
			}
			s.cache[id] = cacheEntry{c: c, at: at}
			s.mu.Unlock()
		}
		return c, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*Credential), nil
}

// touch records a use in Redis at most every TouchEvery per id and process.
// Failures are logged, never returned: a use is not refused for them.
func (s *Store) touch(ctx context.Context, id string, now time.Time) {
	s.mu.RLock()
	last, ok := s.touched[id]
	s.mu.RUnlock()
	if ok && now.Sub(last) < s.o.TouchEvery {
		return
	}
	s.mu.Lock()
	if last, ok := s.touched[id]; ok && now.Sub(last) < s.o.TouchEvery {
		s.mu.Unlock()
		return
	}
	if len(s.touched) >= maxCacheEntries {
		clear(s.touched)
	}
	s.touched[id] = now
	s.mu.Unlock()
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := touchScript.Run(tctx, s.rdb, []string{s.key(id)}, now.UnixMilli()).Err(); err != nil && !errors.Is(err, redis.Nil) {
		s.o.Logger.Debug("cannot record credential use", "credential_id", id, "error", err)
	}
}

// invalidate drops id from this process's cache and tells every other
// process to do the same.
func (s *Store) invalidate(ctx context.Context, id string) {
	s.forget(id)
	if err := s.rdb.Publish(ctx, s.channel(), id).Err(); err != nil {
		// Other processes still drop their entry within CacheTTL.
		s.o.Logger.Warn("cannot publish credential invalidation", "credential_id", id, "error", err)
	}
}

func (s *Store) forget(id string) {
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
}

// listen drops cache entries named on the invalidation channel. On every
// (re)subscription the whole cache is dropped, since messages published
// while disconnected are lost.
func (s *Store) listen(ctx context.Context) {
	defer close(s.done)
	ps := s.rdb.Subscribe(ctx, s.channel())
	defer ps.Close()
	ch := ps.ChannelWithSubscriptions(redis.WithChannelSize(256))
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			switch m := m.(type) {
			case *redis.Subscription:
				s.mu.Lock()
				clear(s.cache)
				s.mu.Unlock()
			case *redis.Message:
				s.forget(m.Payload)
			}
		}
	}
}
