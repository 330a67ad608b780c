// Package cache is weather_apis' Redis read-through cache for upstream (DRF)
// answers. It exists because of one bug: a shared cache kept serving a farm
// schema in the old shape after the backend changed (README.md "Why"). The
// backend's shapes are not the cache's to know; its contracts are about
// versions, shapes in general, and time:
//
//   - Only what the route's Policy.Check accepts is stored or served (the
//     generic rules of internal/jsonshape and the backend's published
//     contract, chosen by the caller). Every entry read from Redis is checked
//     against its key (metadata, sha256 of the body, JSON); an entry that
//     fails is deleted, counted as a validation failure and treated as a miss.
//   - The version an answer declares is a fact before any check (store.go,
//     observe.go): a new one makes every older entry unreachable at once in
//     every process, for ever, even when that answer is refused; an answer
//     requested before another process recorded a newer version cannot undo
//     it. An entry of an older version or shape is never served, not even as
//     stale-if-error.
//   - Shape drift without a version (drift.go): a stored answer whose member
//     changed kind, or the same request answered with other members, bumps
//     the route's generation, counted and recorded with what changed. The
//     probe (probe.go) re-reads one stored request of every route every half
//     probe interval to find drift that no request brings.
//   - Every answer says where it came from: Result.Source (envelope.Source),
//     Result.XCache (HIT, MISS, STALE, BYPASS) and Result.CacheStatus (RFC 9211).
//   - Keys are versioned: app id, app version, envelope.FormatVersion, the
//     upstream schema version and contract hash, a generation (epoch, global,
//     per route), route and a hash of the normalised request. A version or
//     contract change, Flush and InvalidateRoute make old entries unreachable
//     in O(1); they age out by TTL. Every key the package writes has a TTL.
//   - Writes invalidate at once: Invalidate sets a per-request tombstone that
//     is checked on every Redis read and by the store of any load that began
//     before it, so a load racing a write cannot re-cache the old answer;
//     InvalidateNegatives ends cached NOT_FOUNDs (a create), WriteUncertain
//     holds storing while a write of unknown outcome may still land.
//   - Redis going back in time (a restore, a restart from an old dump, a
//     failover to a lagging replica) rotates the epoch (identity.go, ctl.go).
//   - Staleness is opt-in and bounded (RFC 5861): stale-while-revalidate with
//     one background refresh, stale-if-error on upstream failure, never past
//     Policy.MaxStale; stale answers are always labelled Source stale.
//   - Stampedes collapse: singleflight inside a process and a Redis lock
//     (SET NX PX) across processes; waiters take stale data when there is some,
//     else poll for the entry, then load themselves after Policy.WaitMax.
//   - The in-process L1 copy lives at most Options.L1TTL and only while the
//     Pub/Sub subscriber that pushes invalidations is confirmed alive; a read
//     that raced an invalidation is not copied into it (l1.go, invalidate.go).
//   - Redis trouble is not an outage: on a Redis error the request calls the
//     loader directly (BYPASS) and Redis is treated as down for
//     Options.RedisBackoff, so later requests do not each wait for a timeout.
//
// Key layout (components are sanitised to [A-Za-z0-9._-]):
//
//	wa:<app>:<appver>:e<envelope>:s<schema>.c<contract>:<epoch>.<gen>.<routegen>:<route>:{<route>:<hash>}   entry
//	<entry key>:lock                                  per-entry load lock
//	wa:<app>:tomb:{<route>:<hash>}                    invalidation tombstone
//	wa:{<app>}:ctl                                    hash: the control state (keys.go, ctlState)
//	wa:{<app>}:shape:<route>                          hash: the route's print, sample, drift, probe, problems
//	wa:{<app>}:probe                                  probe lease
//	wa:<app>:stats                                    hash: <route>|<counter>
//	wa:<app>:inv                                      Pub/Sub channel
//
// The {…} hash tags keep an entry, its lock and its tombstone in one Redis
// Cluster slot, and the control and shape hashes in another, so each Lua
// script touches one slot.
//
// The go-redis client should be built with ContextTimeoutEnabled: true;
// otherwise a frozen Redis blocks a request for the client's ReadTimeout
// instead of Options.RedisTimeout (New logs a warning). New adds a dial hook
// to it (identity.go).
package cache
