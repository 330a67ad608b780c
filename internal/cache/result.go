package cache

import (
	"strconv"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// X-Cache values.
const (
	XCacheHit    = "HIT"
	XCacheMiss   = "MISS"
	XCacheStale  = "STALE"
	XCacheBypass = "BYPASS"
)

// Cache-Status detail tokens.
const (
	DetailRedisDown    = "redis-down"
	DetailSWR          = "stale-while-revalidate"
	DetailStaleIfError = "stale-if-error"
	DetailNegative     = "negative"
	DetailInvalid      = "invalid-entry" // a stored entry failed validation and was dropped
	DetailWritePending = "write-pending" // not stored: a write whose outcome is unknown may still land
	DetailRevalidated  = "revalidated"   // the client asked for a fresh answer (Cache-Control: no-cache)
)

// cacheName is the cache's name in Cache-Status.
const cacheName = "weather_apis"

// Result describes one answer of Get. Body is shared with the cache and other
// callers: it must not be modified.
type Result struct {
	Body          []byte
	Status        int
	SchemaVersion string          // upstream schema version the data was produced under
	Source        envelope.Source // upstream, cache or stale
	XCache        string          // HIT, MISS, STALE or BYPASS
	Age           time.Duration   // since the answer was fetched from the upstream
	TTL           time.Duration   // remaining fresh life; negative when stale, 0 when not stored
	StoredAt      time.Time       // when the answer was fetched (zero for BYPASS)
	Collapsed     bool            // answered by another request's upstream call
	Key           string          // the entry key (debugging; holds no secret)
	FwdStatus     int             // status of the upstream call made for this answer (0: none)
	Stored        bool            // the upstream answer was stored
	Detail        string          // Cache-Status detail token ("" for none)

	noStale bool   // the answer showed a newer version or shape: never serve the older entry
	print   string // hash of the answer's shape fingerprint ("" unknown)
}

// CacheStatus renders the RFC 9211 Cache-Status header value, e.g.
//
//	weather_apis; hit; ttl=42
//	weather_apis; fwd=uri-miss; fwd-status=200; stored
//	weather_apis; fwd=stale; fwd-status=503; ttl=-12; detail=stale-if-error
//	weather_apis; fwd=bypass; fwd-status=200; detail=redis-down
func (r Result) CacheStatus() string {
	b := make([]byte, 0, 96)
	b = append(b, cacheName...)
	switch r.XCache {
	case XCacheHit:
		b = append(b, "; hit"...)
		b = appendParam(b, "ttl", int(r.TTL/time.Second))
	case XCacheStale:
		b = append(b, "; fwd=stale"...)
		b = appendParam(b, "fwd-status", r.FwdStatus)
		b = appendParam(b, "ttl", int(r.TTL/time.Second))
	case XCacheBypass:
		b = append(b, "; fwd=bypass"...)
		b = appendParam(b, "fwd-status", r.FwdStatus)
	default:
		b = append(b, "; fwd=uri-miss"...)
		b = appendParam(b, "fwd-status", r.FwdStatus)
		if r.Stored {
			b = append(b, "; stored"...)
		}
	}
	if r.Collapsed {
		b = append(b, "; collapsed"...)
	}
	if r.Detail != "" {
		b = append(b, "; detail="...)
		b = append(b, r.Detail...)
	}
	return string(b)
}

func appendParam(b []byte, name string, v int) []byte {
	if name == "fwd-status" && v == 0 {
		return b
	}
	b = append(b, "; "...)
	b = append(b, name...)
	b = append(b, '=')
	return strconv.AppendInt(b, int64(v), 10)
}
