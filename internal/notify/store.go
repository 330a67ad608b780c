package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// What a claim decided.
const (
	claimSame    = 0 // admins were last told this state: nothing to do
	claimLimited = 1 // a notification for this signal went out less than MinInterval ago
	claimSend    = 2 // this caller must send (it holds the claim token)
	claimSilent  = 3 // recorded without a notification (an event's end)
)

// The record of one signal: what admins were last told (s), when (at, unix
// ms), and the holder of the last claim (tok) with what it replaced (ps,
// pat) so a failed send can be given back. One hash per signal, all under
// one Cluster hash tag.
//
// claimScript — KEYS: record. ARGV: desired, now ms, min interval ms,
// token, ttl ms, silent (1: record without sending; not rate limited and
// leaves "at").
var claimScript = redis.NewScript(`
local s = redis.call('HGET', KEYS[1], 's') or 'ok'
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '0')
if s == ARGV[1] then return {0, s, at} end
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], 's', ARGV[1], 'tok', '')
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {3, s, at}
end
if tonumber(ARGV[2]) - at < tonumber(ARGV[3]) then return {1, s, at} end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'at', ARGV[2], 'tok', ARGV[4], 'ps', s, 'pat', at)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {2, s, at}`)

// releaseScript gives a claim back after its notification could not be
// sent, so the next observation (on any replica) tries again. KEYS: record.
// ARGV: token.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'tok') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', redis.call('HGET', KEYS[1], 'ps') or 'ok', 'at', redis.call('HGET', KEYS[1], 'pat') or '0', 'tok', '')
return 1`)

// adoptScript records what this process told admins while Redis was
// unreachable, unless a newer notification is recorded. KEYS: record.
// ARGV: state, at ms, ttl ms.
var adoptScript = redis.NewScript(`
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '0')
if at >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'at', ARGV[2], 'tok', '')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

// record is the process's copy of one signal's record.
type record struct {
	sent     string
	at       time.Time
	tok      string
	unsynced bool // decided locally while Redis was unreachable
}

// store decides, across replicas, who tells admins about a signal. With
// Redis it is one atomic compare-and-set per decision; without (Redis is
// unreachable, or there is none) each process decides alone with the same
// rules, and records its decisions in Redis once it answers again.
type store struct {
	rdb    redis.UniversalClient
	nc     configStore // nil: no mirror
	tag    string
	min    time.Duration
	ttl    time.Duration
	mu     sync.Mutex
	recs   map[string]*record
	shared bool // the last decision went through Redis
}

// configStore is the ExApp's config in Nextcloud (nextcloud.Client).
type configStore interface {
	AppConfigValues(ctx context.Context, keys ...string) (map[string]string, error)
	SetAppConfig(ctx context.Context, key, value string) error
}

func newStore(rdb redis.UniversalClient, nc configStore, prefix string, min, ttl time.Duration) *store {
	return &store{rdb: rdb, nc: nc, tag: "{" + prefix + ":nc}", min: min, ttl: ttl, recs: map[string]*record{}}
}

// mirrorKey is the ExApp config key mirroring signal's last announcement,
// "<state>@<unix ms>".
func mirrorKey(signal string) string { return "notify_" + signal }

// mirror records an announcement in Nextcloud (best effort), so that
// replicas that cannot reach Redis still agree what admins were told.
func (s *store) mirror(ctx context.Context, signal, state string, at time.Time) {
	if s.nc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = s.nc.SetAppConfig(ctx, mirrorKey(signal), state+"@"+strconv.FormatInt(at.UnixMilli(), 10))
}

// mirrored reads what the mirror says admins were last told (ok false:
// nothing recorded or Nextcloud cannot say).
func (s *store) mirrored(ctx context.Context, signal string) (state string, at time.Time, ok bool) {
	if s.nc == nil {
		return "", time.Time{}, false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	vals, err := s.nc.AppConfigValues(ctx, mirrorKey(signal))
	if err != nil {
		return "", time.Time{}, false
	}
	st, ms, found := strings.Cut(vals[mirrorKey(signal)], "@")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !found || err != nil || st == "" {
		return "", time.Time{}, false
	}
	return st, time.UnixMilli(n), true
}

func (s *store) key(signal string) string { return s.tag + ":notify:" + signal }

func (s *store) rec(signal string) *record {
	r := s.recs[signal]
	if r == nil {
		r = &record{sent: StateOK}
		s.recs[signal] = r
	}
	return r
}

// claim decides for signal moving to desired at now; with claimSend the
// caller must send and then call release on failure. silent records an
// event's end without a notification.
func (s *store) claim(ctx context.Context, signal, desired string, now time.Time, silent bool) (int, string) {
	if s.rdb != nil {
		if d, tok, err := s.claimShared(ctx, signal, desired, now, silent); err == nil {
			s.setShared(true)
			return d, tok
		}
		s.setShared(false)
	}
	// Redis cannot decide. Replicas then agree through the mirror in
	// Nextcloud, which has no compare-and-set: a replica about to announce
	// waits a random moment (replicas that saw the same failure at the
	// same time spread out), adopts what another replica recorded
	// meanwhile, and records its own announcement before sending it.
	if sent, _ := s.last(signal); sent == desired || s.nc == nil {
		return s.claimLocal(signal, desired, now, silent)
	}
	s.adoptMirror(ctx, signal)
	if d, _ := s.peekLocal(signal, desired, now, silent); d != claimSend {
		return s.claimLocal(signal, desired, now, silent)
	}
	select {
	case <-time.After(mirrorJitter()):
	case <-ctx.Done():
		return claimLimited, ""
	}
	s.adoptMirror(ctx, signal)
	d, tok := s.claimLocal(signal, desired, now, silent)
	if d == claimSend {
		s.mirror(ctx, signal, desired, now)
	}
	return d, tok
}

// mirrorJitter is the random wait before an announcement decided without
// Redis (a variable so tests could shorten it; up to 1 s).
var mirrorJitter = func() time.Duration { return time.Duration(mrand.Int64N(int64(time.Second))) }

// adoptMirror takes the mirror's record when it is newer than this
// process's.
func (s *store) adoptMirror(ctx context.Context, signal string) {
	st, at, ok := s.mirrored(ctx, signal)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.rec(signal); at.After(r.at) {
		r.sent, r.at, r.unsynced = st, at, true
	}
}

// claimLocal decides by this process's record alone.
func (s *store) claimLocal(signal, desired string, now time.Time, silent bool) (int, string) {
	return s.decideLocal(signal, desired, now, silent, true)
}

// peekLocal is what claimLocal would decide, without recording it.
func (s *store) peekLocal(signal, desired string, now time.Time, silent bool) (int, string) {
	return s.decideLocal(signal, desired, now, silent, false)
}

func (s *store) decideLocal(signal, desired string, now time.Time, silent, commit bool) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rec(signal)
	switch {
	case r.sent == desired:
		return claimSame, ""
	case silent:
		if commit {
			r.sent, r.unsynced = desired, true
		}
		return claimSilent, ""
	case now.Sub(r.at) < s.min:
		return claimLimited, ""
	case !commit:
		return claimSend, ""
	}
	r.tok = token()
	r.sent, r.at, r.unsynced = desired, now, true
	return claimSend, r.tok
}

func (s *store) claimShared(ctx context.Context, signal, desired string, now time.Time, silent bool) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.sync(ctx, signal); err != nil {
		return 0, "", err
	}
	tok := token()
	sil := "0"
	if silent {
		sil = "1"
	}
	res, err := claimScript.Run(ctx, s.rdb, []string{s.key(signal)}, desired, now.UnixMilli(), s.min.Milliseconds(), tok, s.ttl.Milliseconds(), sil).Slice()
	if err != nil || len(res) != 3 {
		if err == nil {
			err = redis.Nil
		}
		return 0, "", err
	}
	d, _ := res[0].(int64)
	prevAt, _ := res[2].(int64)
	s.mu.Lock()
	r := s.rec(signal)
	switch d {
	case claimSend:
		r.sent, r.at, r.tok = desired, now, tok
	case claimSilent:
		r.sent = desired
	default:
		r.sent, r.at = res[1].(string), time.UnixMilli(prevAt)
	}
	s.mu.Unlock()
	if d != claimSend {
		tok = ""
	}
	return int(d), tok, nil
}

// sync records a local decision in Redis (newest wins).
func (s *store) sync(ctx context.Context, signal string) error {
	s.mu.Lock()
	r := *s.rec(signal)
	s.mu.Unlock()
	if !r.unsynced {
		return nil
	}
	if err := adoptScript.Run(ctx, s.rdb, []string{s.key(signal)}, r.sent, r.at.UnixMilli(), s.ttl.Milliseconds()).Err(); err != nil {
		return err
	}
	s.mu.Lock()
	s.rec(signal).unsynced = false
	s.mu.Unlock()
	return nil
}

// release gives back a claim whose notification could not be sent.
func (s *store) release(ctx context.Context, signal, tok string, prevSent string, prevAt time.Time) {
	s.mu.Lock()
	r := s.rec(signal)
	mine := r.tok == tok
	if mine {
		r.sent, r.at, r.tok = prevSent, prevAt, ""
	}
	shared := s.shared
	s.mu.Unlock()
	if mine && !shared {
		// decided without Redis: claim recorded it in the mirror before
		// sending; take that back too, or every replica would adopt an
		// announcement nobody received
		s.mirror(ctx, signal, prevSent, prevAt)
	}
	if s.rdb != nil && shared {
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_ = releaseScript.Run(ctx, s.rdb, []string{s.key(signal)}, tok).Err()
	}
}

// last returns what admins were last told about signal, as this process
// knows it.
func (s *store) last(signal string) (string, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rec(signal)
	return r.sent, r.at
}

func (s *store) setShared(v bool) {
	s.mu.Lock()
	s.shared = v
	s.mu.Unlock()
}

func token() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
