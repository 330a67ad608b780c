package nextcloud

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// GroupSource answers which groups a user is in (Client.UserGroups).
type GroupSource interface {
	UserGroups(ctx context.Context, user string) ([]string, error)
}

var _ GroupSource = (*Client)(nil)

// AdminsOptions configures Admins.
type AdminsOptions struct {
	// Redis shares answers between replicas; nil keeps them per process.
	Redis redis.UniversalClient
	// KeyPrefix is the app id (keys: "{<prefix>:nc}:admin:…").
	KeyPrefix string
	// TTL is the longest an answer of Nextcloud is used, on every replica
	// (default 30 s): a user removed from the admin group is refused at most
	// TTL after Nextcloud last said otherwise.
	TTL time.Duration
	// Timeout bounds one question to Nextcloud (default 5 s).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Admins answers "is this Nextcloud user an administrator?" from Nextcloud
// itself, for admin routes and admin occ actions (README.md "Nextcloud
// surfaces").
//
// Contract: an answer is Nextcloud's, at most TTL old, on every replica.
// The first replica to need an answer asks Nextcloud (one question per user
// at a time in a process: single flight) and stores it in Redis until
// answeredAt+TTL; other replicas read it from there, and every process
// keeps a copy that expires at the same instant, so a hit costs no Redis
// round trip and no replica uses an answer longer than any other. It fails
// closed: when Nextcloud cannot answer, IsAdmin returns an error
// (NEXTCLOUD_UNAVAILABLE), never an expired answer and never true. Redis
// failures only cost sharing.
type Admins struct {
	src GroupSource
	o   AdminsOptions
	sf  singleflight.Group

	mu    sync.RWMutex
	local map[string]verdict
	known map[string]time.Time // users Nextcloud confirmed as admins (process copy of the Redis set)
}

type verdict struct {
	admin bool
	until time.Time
	err   error // a failure, remembered briefly so an outage is not asked about per request
}

const (
	maxLocalVerdicts = 4096
	failureMemo      = time.Second
	knownAdminsTTL   = 30 * 24 * time.Hour
)

// NewAdmins returns Admins asking src.
func NewAdmins(src GroupSource, o AdminsOptions) *Admins {
	if o.TTL <= 0 {
		o.TTL = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = "weather_apis"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Admins{src: src, o: o, local: map[string]verdict{}, known: map[string]time.Time{}}
}

func (a *Admins) tag() string { return "{" + a.o.KeyPrefix + ":nc}" }

func (a *Admins) key(user string) string {
	sum := sha256.Sum256([]byte(user))
	return a.tag() + ":admin:" + hex.EncodeToString(sum[:16])
}

func (a *Admins) knownKey() string { return a.tag() + ":admins" }

// IsAdmin reports whether user is in Nextcloud's admin group. An empty user
// is never an admin. The error is an *envelope.Error NEXTCLOUD_UNAVAILABLE
// (503) naming why Nextcloud could not answer.
func (a *Admins) IsAdmin(ctx context.Context, user string) (bool, error) {
	if user == "" {
		return false, nil
	}
	now := time.Now()
	a.mu.RLock()
	v, ok := a.local[user]
	a.mu.RUnlock()
	if ok && now.Before(v.until) {
		return v.admin, v.err
	}
	ch := a.sf.DoChan(user, func() (any, error) { return a.resolve(context.WithoutCancel(ctx), user) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return false, r.Err
		}
		return r.Val.(bool), nil
	case <-ctx.Done():
		return false, unavailable(user, ctx.Err(), a.o.Timeout)
	}
}

// resolve reads the shared answer or asks Nextcloud. It runs detached from
// the first caller's cancellation (others may wait on it) but bounded by
// Timeout.
func (a *Admins) resolve(ctx context.Context, user string) (bool, error) {
	if v, ok := a.shared(ctx, user); ok {
		a.remember(user, v)
		return v.admin, nil
	}
	qctx, cancel := context.WithTimeout(ctx, a.o.Timeout)
	defer cancel()
	groups, err := a.src.UserGroups(qctx, user)
	answered := time.Now()
	var admin bool
	switch {
	case err == nil:
		admin = slices.Contains(groups, AdminGroup)
	case IsNotFound(err):
		admin = false // no such user
	default:
		e := unavailable(user, err, a.o.Timeout)
		a.o.Logger.Warn("Nextcloud could not confirm an administrator; refused (fail closed)", "user", user, "err", err.Error())
		a.remember(user, verdict{until: answered.Add(failureMemo), err: e})
		return false, e
	}
	v := verdict{admin: admin, until: answered.Add(a.o.TTL)}
	a.remember(user, v)
	a.store(ctx, user, v)
	return admin, nil
}

// shared returns the answer another process stored, if it is still valid.
func (a *Admins) shared(ctx context.Context, user string) (verdict, bool) {
	if a.o.Redis == nil {
		return verdict{}, false
	}
	rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	raw, err := a.o.Redis.Get(rctx, a.key(user)).Result()
	if err != nil {
		return verdict{}, false
	}
	flag, ms, ok := strings.Cut(raw, ":")
	until, perr := strconv.ParseInt(ms, 10, 64)
	if !ok || perr != nil || (flag != "0" && flag != "1") {
		return verdict{}, false
	}
	v := verdict{admin: flag == "1", until: time.UnixMilli(until)}
	if !time.Now().Before(v.until) || v.until.After(time.Now().Add(a.o.TTL)) {
		return verdict{}, false // expired, or longer than this process's TTL allows
	}
	return v, true
}

// store shares v until its expiry and maintains the known-admins set.
func (a *Admins) store(ctx context.Context, user string, v verdict) {
	if a.o.Redis == nil {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	flag := "0"
	if v.admin {
		flag = "1"
	}
	_, err := a.o.Redis.Pipelined(rctx, func(p redis.Pipeliner) error {
		p.Set(rctx, a.key(user), flag+":"+strconv.FormatInt(v.until.UnixMilli(), 10), time.Until(v.until))
		if v.admin {
			p.SAdd(rctx, a.knownKey(), user)
			p.Expire(rctx, a.knownKey(), knownAdminsTTL)
		} else {
			p.SRem(rctx, a.knownKey(), user)
		}
		return nil
	})
	if err != nil {
		a.o.Logger.Debug("cannot share an admin answer through Redis", "err", err.Error())
	}
}

func (a *Admins) remember(user string, v verdict) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.local) >= maxLocalVerdicts {
		now := time.Now()
		for k, old := range a.local {
			if !now.Before(old.until) {
				delete(a.local, k)
			}
		}
		if len(a.local) >= maxLocalVerdicts {
			a.local = map[string]verdict{}
		}
	}
	a.local[user] = v
	if v.err == nil {
		if v.admin {
			a.known[user] = time.Now()
		} else {
			delete(a.known, user)
		}
	}
}

// Known returns users Nextcloud recently confirmed as administrators (any
// replica's answers; this process's own when Redis is unavailable), most
// useful as candidates to ask for the admin group's members.
func (a *Admins) Known(ctx context.Context) []string {
	if a.o.Redis != nil {
		rctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		defer cancel()
		if users, err := a.o.Redis.SMembers(rctx, a.knownKey()).Result(); err == nil {
			slices.Sort(users)
			return users
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.known))
	for u := range a.known {
		out = append(out, u)
	}
	slices.Sort(out)
	return out
}

// unavailable is the fail-closed answer when Nextcloud could not say.
func unavailable(user string, err error, timeout time.Duration) *envelope.Error {
	return envelope.Wrap(envelope.CodeNextcloudUnavailable,
		fmt.Sprintf("Nextcloud could not confirm that %q is an administrator: %s. Try again in a moment.", user, Reason(err, timeout)), err)
}

// Reason says in a few words why a Nextcloud call failed (safe to show).
func Reason(err error, timeout time.Duration) string {
	var e *Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("it did not answer within %s", timeout)
	case IsUnauthorized(err):
		return "it refused weather_apis' AppAPI authentication (is the app enabled in AppAPI?)"
	case errors.As(err, &e) && e.Status == 0:
		if strings.Contains(e.Message, "deadline") || strings.Contains(e.Message, "Timeout") {
			return fmt.Sprintf("it did not answer within %s", timeout)
		}
		return "it is unreachable from weather_apis (check NEXTCLOUD_URL)"
	case errors.As(err, &e):
		return fmt.Sprintf("it answered HTTP %d (OCS status %d)", e.Status, e.StatusCode)
	}
	return "unexpected error"
}
