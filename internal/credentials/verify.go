package credentials

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
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
//
// An unknown id and a wrong secret do the same work: the look-up is cached
// for CacheTTL whether or not the id exists, and the token is hashed and
// compared in constant time with the record's hash or, for an unknown id,
// with a dummy hash (secretMatches). Their answers take the same time, so
// the time does not tell whether an id exists. (A look-up that misses the
// cache costs a Redis read either way; an id in active use is more likely
// to be cached, which no cache can hide.)
func (s *Store) Verify(ctx context.Context, token string) (*Credential, error) {
	tok, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	c, err := s.lookup(ctx, tok.ID)
	if err != nil && !errors.Is(err, ErrUnknown) {
		return nil, err
	}
	if !s.secretMatches(c, tok.Type, token) {
		return nil, ErrUnknown
	}
	now := s.o.Now()
	switch {
	case !c.RevokedAt.IsZero():
		return c, ErrRevoked
	case !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt):
		return c, ErrExpired
	}
	s.touch(ctx, tok.ID, now)
	return c, nil
}

// dummyHash stands in for the hash of a credential that does not exist.
// It is random, so no token hashes to it.
var dummyHash = func() (h [sha256.Size]byte) {
	_, _ = rand.Read(h[:])
	return h
}()

// secretMatches reports whether token (already parsed as typ) is c's
// token. c may be nil (no such id): the token is then compared with
// dummyHash, so both cases hash once and compare hash and type once, in
// constant time. (The type is public: it is the token's prefix.)
func (s *Store) secretMatches(c *Credential, typ Type, token string) bool {
	ref, refType, found := &dummyHash, typ, 0
	if c != nil {
		ref, refType, found = &c.hash, c.Type, 1
	}
	s.secretChecks.Add(1)
	h := hashToken(token)
	hashOK := subtle.ConstantTimeCompare(h[:], ref[:])
	typeOK := subtle.ConstantTimeEq(typeCode(refType), typeCode(typ))
	return hashOK&typeOK&found == 1
}

// typeCode is a Type as a number, for a constant-time comparison.
func typeCode(t Type) int32 {
	if t == TypeAPIKey {
		return 1
	}
	return 2
}

// lookup returns id's record from the cache or Redis (one read per id at a
// time, shared by concurrent callers). ErrUnknown is cached like a record,
// for CacheTTL, in its own bounded map so that a flood of made-up ids cannot
// evict the records in use. A new id needs no invalidation of that cache:
// it is random and nobody knows it before Create returns it.
func (s *Store) lookup(ctx context.Context, id string) (*Credential, error) {
	if s.o.CacheTTL > 0 {
		now := s.o.Now()
		s.mu.RLock()
		e, ok := s.cache[id]
		missAt, missed := s.misses[id]
		s.mu.RUnlock()
		if ok && now.Sub(e.at) < s.o.CacheTTL {
			return e.c, nil
		}
		if missed && now.Sub(missAt) < s.o.CacheTTL {
			return nil, ErrUnknown
		}
	}
	v, err, _ := s.group.Do(id, func() (any, error) {
		at := s.o.Now()
		c, err := s.Get(context.WithoutCancel(ctx), id)
		if s.o.CacheTTL > 0 && (err == nil || errors.Is(err, ErrUnknown)) {
			s.mu.Lock()
			if err == nil {
				if len(s.cache) >= maxCacheEntries {
					clear(s.cache)
				}
				s.cache[id] = cacheEntry{c: c, at: at}
				delete(s.misses, id)
			} else {
				if len(s.misses) >= maxCacheEntries {
					clear(s.misses)
				}
				s.misses[id] = at
			}
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
	delete(s.misses, id)
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
				clear(s.misses)
				s.mu.Unlock()
			case *redis.Message:
				s.forget(m.Payload)
			}
		}
	}
}
