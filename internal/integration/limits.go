package integration

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"
)

// Failure limits. Three count independently; none needs the others:
//
//   - Per address (Options.Limiter, Redis, shared by every replica): every
//     failed identification except a missing credential or a store outage.
//     A blocked address gets 429 before its credential is looked at, even a
//     valid one: the address is the sender's own (or, fail closed, the one
//     unknownAddrKey bucket; see clientAddr).
//   - Per credential id (Options.Limiter under "id:<id>"): every
//     unrecognised credential (reason "unknown": no such id, or a wrong
//     secret) counts against the id it names, whether or not that id
//     exists, so the 429 pattern tells nothing about existence either. This
//     limit works without any client address (HaRP).
//   - Per instance (an in-process token bucket, UnknownMax per
//     UnknownWindow): every unrecognised credential, whatever its address or
//     id, so spraying many ids from many addresses is throttled too. It
//     needs neither an address nor Redis.
//
// The last two refuse only wrong credentials: a valid credential is never
// refused by them. We chose that over "block the id, right secret included"
// because credential ids are public (the token's first part, the admin
// list, logs): a lock-out by id would let anyone who has seen an id lock its
// integration out for good with a few requests per window, and an
// integration still sending its old secret after a rotation would lock out
// its new one. What the variant gives up is nothing real: a secret is 256
// random bits, so no number of online guesses finds it; the limits exist to
// bound the load and the noise of guessing (no Redis write once the bucket
// is empty) and to make it visible as 429s and log lines.

// idKeyPrefix namespaces per-id keys in the failure limiter; an address key
// (an IP address or an IPv6 prefix) never starts with it.
const idKeyPrefix = "id:"

// addrBlocked returns the 429 for a blocked address key, else nil. Limiter
// errors are logged and let the request through (fail open: the credential
// check itself fails closed).
func (a *Authenticator) addrBlocked(ctx context.Context, r *http.Request, addrKey string) error {
	if a.o.Limiter == nil || addrKey == "" {
		return nil
	}
	wait, err := a.o.Limiter.Blocked(ctx, addrKey)
	if err != nil {
		a.o.Logger.Warn("integration auth: failure limiter unavailable, not limiting", "error", err)
		return nil
	}
	if wait == 0 {
		return nil
	}
	a.o.Logger.Info("integration auth rejected", "reason", ReasonRateLimited, "addr", addrKey, "path", r.URL.Path)
	if addrKey == unknownAddrKey {
		return rateLimited(wait, limitUnknown)
	}
	return rateLimited(wait, limitAddress)
}

// failed logs a failed identification and counts it (except a missing
// credential, which guesses nothing, and a store outage). It returns err,
// or a RATE_LIMITED error when an unrecognised credential meets the
// per-instance or the per-id limit.
func (a *Authenticator) failed(ctx context.Context, r *http.Request, addrKey string, p Principal, err error) error {
	reason := ReasonOf(err)
	a.o.Logger.Info("integration auth rejected", "reason", reason, "kind", p.Kind,
		"credential_id", p.logID(), "addr", addrKey, "path", r.URL.Path)
	if reason == ReasonMissing || reason == ReasonStoreDown {
		return err
	}
	if a.o.Limiter != nil && addrKey != "" {
		if wait, lerr := a.o.Limiter.Fail(ctx, addrKey); lerr != nil {
			a.o.Logger.Warn("integration auth: cannot count failure", "error", lerr)
		} else if wait > 0 {
			a.o.Logger.Warn("integration auth: address blocked after repeated failures", "addr", addrKey, "for", wait.Round(time.Second))
		}
	}
	if reason != ReasonUnknown {
		return err
	}
	if wait := a.unknown.take(a.o.Now()); wait > 0 {
		a.o.Logger.Info("integration auth rejected", "reason", ReasonRateLimited, "limit", "instance", "path", r.URL.Path)
		return rateLimited(wait, limitInstance)
	}
	if wait := a.failID(ctx, p.claimedID); wait > 0 {
		a.o.Logger.Info("integration auth rejected", "reason", ReasonRateLimited, "limit", "credential", "credential_id", p.claimedID, "path", r.URL.Path)
		return rateLimited(wait, limitID)
	}
	return err
}

// failID returns how long id is blocked for wrong credentials, or counts
// this failure against it and returns 0. So the first Limiter.Max wrong
// credentials for an id in a window are 401s and the rest 429s.
func (a *Authenticator) failID(ctx context.Context, id string) time.Duration {
	if a.o.Limiter == nil || id == "" {
		return 0
	}
	key := idKeyPrefix + id
	wait, err := a.o.Limiter.Blocked(ctx, key)
	if err == nil && wait == 0 {
		_, err = a.o.Limiter.Fail(ctx, key)
	}
	if err != nil {
		a.o.Logger.Warn("integration auth: cannot count failure per credential", "error", err)
		return 0
	}
	return wait
}

// bucket is a token bucket local to this process: max tokens, refilled at
// max per window. It starts full.
type bucket struct {
	mu       sync.Mutex
	max      float64
	perToken float64 // nanoseconds to refill one token
	tokens   float64
	last     time.Time
}

func newBucket(max int, window time.Duration, now time.Time) *bucket {
	return &bucket{max: float64(max), perToken: float64(window) / float64(max), tokens: float64(max), last: now}
}

// take takes a token and returns 0, or returns how long until one is
// available (taking none).
func (b *bucket) take(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.max, b.tokens+float64(d)/b.perToken)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration(math.Ceil((1 - b.tokens) * b.perToken))
}
