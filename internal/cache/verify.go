package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/jsonshape"
)

// EntryInfo describes one live entry.
type EntryInfo struct {
	Route         string        `json:"route"`
	RequestKey    string        `json:"request_key"`
	Request       string        `json:"request"` // normalised path?query, to re-fetch
	Status        int           `json:"status"`
	StoredAt      time.Time     `json:"stored_at"`
	TTL           time.Duration `json:"ttl"` // fresh life it was stored with
	SchemaVersion string        `json:"schema_version"`
	Hash          string        `json:"sha256"`
	Key           string        `json:"key"`
	Gen           string        `json:"generation"`
}

// maxListed bounds Entries.
const maxListed = 10000

// Entries lists the reachable entries of route ("" = all routes) under the
// current schema version and generations, read with SCAN (on every master
// of a Cluster). Entries whose record is unreadable are skipped; the read
// path deletes them when they are requested.
func (c *Cache) Entries(ctx context.Context, route string) ([]EntryInfo, error) {
	if route != "" && !safeName(route, 64) {
		return nil, envelope.Errorf(envelope.CodeBadRequest, "cache route %q is not a valid name", route)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*c.o.RedisTimeout)
	s, err := c.refreshCtl(rctx, nil)
	cancel()
	if err != nil {
		return nil, envelope.Wrap(envelope.CodeStoreUnavailable, "Redis is not reachable.", err)
	}
	keys, err := c.scan(ctx, c.keys.routePattern(s, route))
	if err != nil {
		c.redisFailed(ctx, err)
		return nil, envelope.Wrap(envelope.CodeStoreUnavailable, "Redis is not reachable.", err)
	}
	var out []EntryInfo
	for start := 0; start < len(keys); start += 100 {
		batch := keys[start:min(start+100, len(keys))]
		cmds := make([]*redis.StringCmd, len(batch))
		_, err := c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range batch {
				cmds[i] = p.Get(ctx, k)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, envelope.Wrap(envelope.CodeStoreUnavailable, "Redis is not reachable.", err)
		}
		for i, cmd := range cmds {
			if info, ok := c.info(s, batch[i], cmd); ok {
				out = append(out, info)
			}
		}
	}
	return out, nil
}

// info decodes the metadata of one scanned record; ok is false for records
// that vanished, belong to another generation or cannot be read.
func (c *Cache) info(s *ctlState, key string, cmd *redis.StringCmd) (EntryInfo, bool) {
	raw, err := cmd.Bytes()
	if err != nil {
		return EntryInfo{}, false
	}
	rest, ok := bytes.CutPrefix(raw, []byte(entryMagic))
	i := bytes.IndexByte(rest, '\n')
	if !ok || i < 0 {
		return EntryInfo{}, false
	}
	var m meta
	if json.Unmarshal(rest[:i], &m) != nil || m.Gen != s.gen(m.Route) || m.Versions != s.versionTok {
		return EntryInfo{}, false
	}
	return EntryInfo{Route: m.Route, RequestKey: m.ReqHash, Request: m.Request, Status: m.Status,
		StoredAt: time.UnixMilli(m.StoredAt), TTL: time.Duration(m.TTL) * time.Millisecond,
		SchemaVersion: m.Schema, Hash: m.Hash, Key: key, Gen: m.Gen}, true
}

// scan returns the keys matching pattern (lock keys excluded) on a single
// server or on every Cluster master.
func (c *Cache) scan(ctx context.Context, pattern string) ([]string, error) {
	var mu sync.Mutex
	var keys []string
	one := func(ctx context.Context, r redis.Cmdable) error {
		it := r.Scan(ctx, 0, pattern, 500).Iterator()
		for it.Next(ctx) {
			k := it.Val()
			if strings.HasSuffix(k, ":lock") {
				continue
			}
			mu.Lock()
			if len(keys) < maxListed {
				keys = append(keys, k)
			}
			mu.Unlock()
		}
		return it.Err()
	}
	if cc, ok := c.rdb.(*redis.ClusterClient); ok {
		err := cc.ForEachMaster(ctx, func(ctx context.Context, cl *redis.Client) error { return one(ctx, cl) })
		return keys, err
	}
	return keys, one(ctx, c.rdb)
}

// Verdicts of Verify.
const (
	VerdictSame      = "same"
	VerdictDifferent = "different"
	VerdictError     = "error"
)

// Drift is Verify's verdict on one entry.
type Drift struct {
	Entry              EntryInfo `json:"entry"`
	Verdict            string    `json:"verdict"` // same, different or error
	FreshHash          string    `json:"fresh_sha256,omitempty"`
	FreshSchemaVersion string    `json:"fresh_schema_version,omitempty"`
	Error              string    `json:"error,omitempty"` // client-safe message of the refetch error
}

// Refetch reads the current upstream answer for an entry, as the route's
// loader would (same transformation of the body, version read first).
type Refetch func(ctx context.Context, e EntryInfo) (Fetched, error)

// Verify compares every reachable 2xx entry with a fresh upstream read
// (four at a time). An entry whose body differs (as JSON, not byte for byte)
// or whose schema version differs is deleted, published as invalidated and
// counted as drift; a different schema version is also observed, and a
// different shape (compared strictly: it is the same request) bumps the
// route's generation like any shape drift. Negative entries are not
// compared.
func (c *Cache) Verify(ctx context.Context, refetch Refetch) ([]Drift, error) {
	entries, err := c.Entries(ctx, "")
	if err != nil {
		return nil, err
	}
	var todo []EntryInfo
	for _, e := range entries {
		if e.Status != 404 {
			todo = append(todo, e)
		}
	}
	out := make([]Drift, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, e := range todo {
		g.Go(func() error {
			out[i] = c.verifyOne(gctx, e, refetch)
			return nil
		})
	}
	_ = g.Wait()
	return out, nil
}

func (c *Cache) verifyOne(ctx context.Context, e EntryInfo, refetch Refetch) Drift {
	d := Drift{Entry: e}
	f, err := refetch(ctx, e)
	if err != nil {
		d.Verdict, d.Error = VerdictError, envelope.From(err).Message
		return d
	}
	body, version := f.Body, f.SchemaVersion
	sum := sha256.Sum256(body)
	d.FreshHash, d.FreshSchemaVersion = hex.EncodeToString(sum[:]), version
	d.Verdict = VerdictSame
	// Read once, before a verdict of different deletes the entry.
	stored, serr := c.storedBody(ctx, e.Key)
	if version != "" && version != e.SchemaVersion || d.FreshHash != e.Hash && (serr != nil || !sameJSON(stored, body)) {
		d.Verdict = VerdictDifferent
	}
	if d.Verdict == VerdictSame {
		return d
	}
	c.stats.inc(e.Route, cDrift)
	rctx, cancel := context.WithTimeout(ctx, c.o.RedisTimeout)
	defer cancel()
	if err := c.apply(rctx, pendingOp{route: e.Route, hashes: []string{e.RequestKey}}); err != nil {
		d.Error = "The entry could not be deleted."
	}
	c.l1.drop(e.Route, e.RequestKey)
	if f.Observe != "" {
		_ = c.ObserveSchemaVersion(ctx, f.Observe)
	}
	if serr == nil {
		c.verifyShape(ctx, e, stored, body)
	}
	return d
}

// verifyShape compares the stored body of e with fresh strictly and records
// drift of the route when their shapes differ.
func (c *Cache) verifyShape(ctx context.Context, e EntryInfo, stored, fresh []byte) {
	sp, err1 := jsonshape.Of(stored)
	fp, err2 := jsonshape.Of(fresh)
	if err1 != nil || err2 != nil {
		return
	}
	changes := jsonshape.Compare(sp, fp, true)
	if len(changes) == 0 {
		return
	}
	s := c.ctl.Load()
	if s == nil || e.Gen != s.gen(e.Route) {
		return
	}
	_, _ = c.recordShape(ctx, e.Route, e.Gen, fp, Sample{Request: e.Request, Print: fp, StoredAt: c.now().UnixMilli()}, true,
		ShapeDrift{At: c.now(), Cause: "verify", Request: e.Request, Changes: jsonshape.Describe(changes, 6), From: sp.Hash(), To: fp.Hash()})
}

// storedBody returns the body of the record under key.
func (c *Cache) storedBody(ctx context.Context, key string) ([]byte, error) {
	raw, err := c.rdb.Get(ctx, key).Bytes()
	if err != nil {
		return nil, err
	}
	rest, _ := bytes.CutPrefix(raw, []byte(entryMagic))
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return nil, errInvalid
	}
	return rest[i+1:], nil
}

// sameJSON reports whether two bodies are the same JSON value (ignoring
// whitespace and member order).
func sameJSON(stored, fresh []byte) bool {
	var a, b any
	if json.Unmarshal(stored, &a) != nil || json.Unmarshal(fresh, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
