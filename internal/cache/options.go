package cache

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Options configures a Cache. Redis, AppID and AppVersion are required.
type Options struct {
	// Redis is a single server, Cluster or Sentinel client.
	Redis redis.UniversalClient
	// AppID namespaces every key (APP_ID); AppVersion is part of every entry
	// key, so a new build never reads entries written by an old one.
	AppID, AppVersion string
	// Logger receives state changes (Redis down/up, schema drift); nil: discard.
	Logger *slog.Logger
	// L1TTL bounds the life of an in-process copy (default 1 s; negative
	// disables L1). It is also how old the local copy of the control hash
	// (generations, schema version) may get before it is re-read.
	L1TTL time.Duration
	// L1MaxEntries bounds the L1 map (default 10000).
	L1MaxEntries int
	// L1MaxBytes bounds the bodies held in L1 (default 32 MiB).
	L1MaxBytes int64
	// AdmitWindow is how many distinct variants of unbounded queries the
	// doorkeeper remembers (RequestKey.OnRepeat; default 4096, memory about
	// 2 × 4096 × 100 bytes).
	AdmitWindow int
	// RedisTimeout bounds every Redis operation of a request (default 150 ms).
	RedisTimeout time.Duration
	// RedisBackoff is how long Redis is treated as down after a failure
	// (default 2 s).
	RedisBackoff time.Duration
	// StatsInterval is how often local counters are added to the shared
	// stats hash (default 10 s).
	StatsInterval time.Duration
	// DisablePubSub turns off pushed L1 invalidation (tests; L1 is then
	// bounded by L1TTL alone).
	DisablePubSub bool
	// Now is the clock for entry ages, L1 and control-hash freshness
	// (default time.Now). Locks, timeouts and back-off use real time.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.L1TTL == 0 {
		o.L1TTL = time.Second
	}
	if o.L1MaxEntries <= 0 {
		o.L1MaxEntries = 10000
	}
	if o.L1MaxBytes <= 0 {
		o.L1MaxBytes = 32 << 20
	}
	if o.AdmitWindow <= 0 {
		o.AdmitWindow = 4096
	}
	if o.RedisTimeout <= 0 {
		o.RedisTimeout = 150 * time.Millisecond
	}
	if o.RedisBackoff <= 0 {
		o.RedisBackoff = 2 * time.Second
	}
	if o.StatsInterval <= 0 {
		o.StatsInterval = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// maxEntryLife caps TTL+staleness of one entry; tombstones live this long,
// so an invalidated entry can never outlive its tombstone.
const maxEntryLife = 24 * time.Hour

// Policy is how one route is cached. Route and TTL are required.
type Policy struct {
	// Route names the route in keys, stats and flushes ([A-Za-z0-9._-], ≤64).
	Route string
	// TTL is the fresh life of an entry.
	TTL time.Duration
	// Jitter: each entry's fresh life is TTL minus a random part of Jitter
	// (default TTL/10; negative: none), so entries do not expire together.
	Jitter time.Duration
	// SWR: for this long after TTL an entry is served stale while one
	// background refresh runs.
	SWR time.Duration
	// StaleIfError: for this long after TTL an entry is served stale when
	// the upstream fails (5xx, timeout, bad answer, 429).
	StaleIfError time.Duration
	// MaxStale caps SWR and StaleIfError; past it an entry is never served.
	// Zero means max(SWR, StaleIfError). TTL+MaxStale is capped at 24 h.
	MaxStale time.Duration
	// NegativeTTL caches an upstream NOT_FOUND this long (no jitter, no
	// staleness); zero disables negative caching.
	NegativeTTL time.Duration
	// LockTTL is the lease of the cross-process load lock and the longest a
	// load may run (default 10 s).
	LockTTL time.Duration
	// WaitMax is how long a request waits for another process's load before
	// loading itself (default 3 s).
	WaitMax time.Duration
	// Check is the route's check of a 2xx answer before it is served or
	// stored (the generic rules of internal/jsonshape and, when the upstream
	// publishes one, its contract). An error refuses the answer; note is a
	// Cache-Status detail kept with a stored entry (for example a contract
	// violation reported but not enforced). nil checks only that the body
	// is JSON.
	Check func(f Fetched) (note string, err error)
	// Revalidate: the client asked for a fresh answer (Cache-Control:
	// no-cache). The upstream is asked (one call per key across this
	// process); the answer replaces the entry and is compared strictly with
	// it; if the upstream fails, the entry is served as stale-if-error.
	Revalidate bool
}

// check runs p.Check, or only a JSON check without one.
func (p Policy) check(f Fetched) (string, error) {
	if p.Check != nil {
		return p.Check(f)
	}
	if !json.Valid(f.Body) {
		return "", envelope.New(envelope.CodeUpstreamBadResponse, "The farm service answered with something that is not JSON.")
	}
	return "", nil
}

// norm returns p with defaults applied and an error for an unusable policy.
func (p Policy) norm() (Policy, error) {
	if !safeName(p.Route, 64) {
		return p, envelope.Errorf(envelope.CodeInternal, "cache policy: route %q is not a valid name", p.Route)
	}
	if p.TTL <= 0 {
		return p, envelope.Errorf(envelope.CodeInternal, "cache policy %s: TTL must be positive", p.Route)
	}
	if p.Jitter == 0 {
		p.Jitter = p.TTL / 10
	}
	if p.Jitter < 0 || p.Jitter >= p.TTL {
		p.Jitter = 0
	}
	if p.MaxStale <= 0 {
		p.MaxStale = max(p.SWR, p.StaleIfError)
	}
	p.MaxStale = min(p.MaxStale, maxEntryLife-p.TTL)
	p.SWR = max(0, min(p.SWR, p.MaxStale))
	p.StaleIfError = max(0, min(p.StaleIfError, p.MaxStale))
	if p.LockTTL <= 0 {
		p.LockTTL = 10 * time.Second
	}
	if p.WaitMax <= 0 {
		p.WaitMax = 3 * time.Second
	}
	return p, nil
}

// Fetched is one upstream answer.
type Fetched struct {
	Status int
	Body   []byte
	// SchemaVersion is the version the answer declares, read by the loader
	// before anything else (jsonshape.Declared), canonical; "" when none.
	// It labels the answer.
	SchemaVersion string
	// Observe is the upstream's schema version as this answer states it
	// (what every entry is keyed by; see Cache.ObserveSchemaVersion), ""
	// when the answer says nothing about it. The loader decides: the version
	// route's declaration, or the X-Schema-Version header of any answer; a
	// schema_version member in another route's record labels that answer
	// only.
	Observe string
	// Header is the raw X-Schema-Version header, for Policy.Check.
	Header string
	// Method and Path are the upstream request (path without query), and
	// Raw the body exactly as the upstream sent it (Body may have been
	// rewritten by the loader), for Policy.Check.
	Method, Path string
	Raw          []byte
}

// Loader fetches the answer from the upstream. Errors should be
// *envelope.Error; NOT_FOUND is negative-cached, others trigger
// stale-if-error where allowed and are otherwise returned unchanged.
type Loader func(ctx context.Context) (Fetched, error)

// safeName reports whether s is 1..n characters of [A-Za-z0-9._-].
func safeName(s string, n int) bool {
	if s == "" || len(s) > n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !safeByte(s[i]) {
			return false
		}
	}
	return true
}

func safeByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-'
}
