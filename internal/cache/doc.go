// Package cache is weather_apis' Redis read-through cache for upstream (DRF)
// answers. It exists because of one bug: a shared cache kept serving a farm
// schema in the old shape after the backend changed (shared/seed/
// when-redis-lies.txt). Its contracts:
//
//   - Wrong shapes are never served. Only 2xx JSON that passes the route's
//     shape check is stored; every entry read from Redis is checked again
//     (metadata against the key, sha256 of the body, shape check). An entry
//     that fails is deleted, counted as a validation failure and treated as a
//     miss.
//   - Every answer says where it came from: Result.Source (envelope.Source),
//     Result.XCache (HIT, MISS, STALE, BYPASS) and Result.CacheStatus (RFC 9211).
//   - Keys are versioned: app id, app version, envelope.FormatVersion, the
//     current upstream schema version, a generation (epoch, global, per route),
//     route and a hash of the normalised request. A schema change, Flush and
//     InvalidateRoute make old entries unreachable in O(1); they age out by TTL.
//     Every key the package writes has a TTL (entries, locks, tombstones,
//     control hash, stats hash).
//   - Writes invalidate at once: Invalidate sets a per-request tombstone that
//     is checked on every Redis read and by the store of any load that began
//     before it, so a load racing a write cannot re-cache the old answer.
//   - Staleness is opt-in and bounded (RFC 5861): stale-while-revalidate with
//     one background refresh, stale-if-error on upstream failure, never past
//     Policy.MaxStale; stale answers are always labelled Source stale.
//   - Stampedes collapse: singleflight inside a process and a Redis lock
//     (SET NX PX) across processes; waiters take stale data when there is some,
//     else poll for the entry, then load themselves after Policy.WaitMax.
//   - The in-process L1 copy lives at most Options.L1TTL; invalidations are
//     also pushed over Redis Pub/Sub, which only makes them faster.
//   - Redis trouble is not an outage: on a Redis error the request calls the
//     loader directly (BYPASS) and Redis is treated as down for
//     Options.RedisBackoff, so later requests do not each wait for a timeout.
//
// Key layout (components are sanitised to [A-Za-z0-9._-]):
//
//	wa:<app>:<appver>:e<envelope>:s<schema>:<epoch>.<gen>.<routegen>:<route>:{<route>:<hash>}   entry
//	<entry key>:lock                                  per-entry load lock
//	wa:<app>:tomb:{<route>:<hash>}                    invalidation tombstone
//	wa:<app>:ctl                                      hash: epoch, g, r:<route>, schema
//	wa:<app>:stats                                    hash: <route>|<counter>
//	wa:<app>:probe                                    schema probe lease
//	wa:<app>:inv                                      Pub/Sub channel
//
// The {…} hash tag keeps an entry, its lock and its tombstone in one Redis
// Cluster slot, so the store script may touch them together.
//
// The go-redis client should be built with ContextTimeoutEnabled: true;
// otherwise a frozen Redis blocks a request for the client's ReadTimeout
// instead of Options.RedisTimeout (New logs a warning).
package cache
