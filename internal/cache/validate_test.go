package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

const (
	schemaV1 = `{"schema_version":1,"fields":[{"name":"name","type":"string"}]}`
	schemaV2 = `{"schema_version":2,"sections":[{"id":"a","fields":[{"name":"name","type":"string"}]}]}`
)

// rewrite returns a record like raw with its metadata changed by fm and its
// body replaced by body (nil: kept); rehash recomputes the sha256.
func rewrite(t *testing.T, raw []byte, fm func(*meta), body []byte, rehash bool) []byte {
	t.Helper()
	rest, _ := bytes.CutPrefix(raw, []byte(entryMagic))
	i := bytes.IndexByte(rest, '\n')
	var m meta
	if err := json.Unmarshal(rest[:i], &m); err != nil {
		t.Fatal(err)
	}
	if body == nil {
		body = rest[i+1:]
	}
	if fm != nil {
		fm(&m)
	}
	if rehash {
		return encodeEntry(&m, body)
	}
	mj, _ := json.Marshal(m)
	return append(append(append([]byte(entryMagic), mj...), '\n'), body...)
}

// TestCorruptedEntriesAreNeverServed tampers with a stored entry in every way
// that matters; each must be deleted, counted and answered by a fresh load.
func TestCorruptedEntriesAreNeverServed(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, raw []byte) []byte
	}{
		{"body changed, hash kept", func(t *testing.T, raw []byte) []byte {
			return rewrite(t, raw, nil, []byte(schemaV2), false)
		}},
		{"body not JSON, hash kept valid", func(t *testing.T, raw []byte) []byte {
			return rewrite(t, raw, nil, []byte(`<html>oops</html>`), true)
		}},
		{"app version changed", func(t *testing.T, raw []byte) []byte {
			return rewrite(t, raw, func(m *meta) { m.AppVersion = "0.9.0" }, nil, true)
		}},
		{"written under another schema version", func(t *testing.T, raw []byte) []byte {
			return rewrite(t, raw, func(m *meta) { m.Versions = "s2.c-" }, nil, true)
		}},
		{"written under another generation", func(t *testing.T, raw []byte) []byte {
			return rewrite(t, raw, func(m *meta) { m.Gen = "x.0.0" }, nil, true)
		}},
		{"envelope format changed", func(t *testing.T, raw []byte) []byte {
			return rewrite(t, raw, func(m *meta) { m.Envelope = 99 }, nil, true)
		}},
		{"uncacheable status", func(t *testing.T, raw []byte) []byte {
			return rewrite(t, raw, func(m *meta) { m.Status = 500 }, nil, true)
		}},
		{"not a record", func(*testing.T, []byte) []byte { return []byte(schemaV1) }},
		{"truncated", func(_ *testing.T, raw []byte) []byte { return raw[:len(raw)/2] }},
	}
	r := testenv.StartRedis(t)
	rdb := mustClient(t, r)
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rdb.FlushAll(ctx)
			clk := newClock()
			writer := mustCache(t, r, clk, noPubSub)
			p := policy("farm_schema")
			p.Check = schemaRules
			req := reqKey("/api/v1/admin/farms/schema")
			u := newUpstream(schemaV1)
			first := mustGet(t, writer, p, req, u)
			raw, err := rdb.Get(ctx, first.Key).Bytes()
			if err != nil {
				t.Fatalf("stored entry %s: %v", first.Key, err)
			}
			if err := rdb.Set(ctx, first.Key, tc.tamper(t, raw), time.Hour).Err(); err != nil {
				t.Fatal(err)
			}

			reader := mustCache(t, r, clk, noPubSub) // no L1 copy: reads the tampered record
			got := mustGet(t, reader, p, req, u)
			want(t, got, XCacheMiss, envelope.SourceUpstream, schemaV1)
			if got.Detail != DetailInvalid || u.calls.Load() != 2 {
				t.Errorf("detail=%q calls=%d; want %q and a second load", got.Detail, u.calls.Load(), DetailInvalid)
			}
			st, _ := reader.Stats(ctx)
			if st.Routes["farm_schema"].ValidationFailures != 1 {
				t.Errorf("validation_failures = %d; want 1", st.Routes["farm_schema"].ValidationFailures)
			}
			want(t, mustGet(t, mustCache(t, r, clk), p, req, u), XCacheHit, envelope.SourceCache, schemaV1)
		})
	}
}

func TestSchemaVersionChangeMakesOldEntriesUnreachable(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a := mustCache(t, r, clk)
	b := mustCache(t, r, clk) // with Pub/Sub
	ps := policy("farm_schema")
	ps.Check = schemaRules
	pl := policy("farm_list")
	pl.Check = pageRules
	schemaReq, listReq := reqKey("/api/v1/admin/farms/schema"), reqKey("/api/v1/farms/", "page", "1")
	up := newUpstream(schemaV1)
	list := newUpstream(`{"count":0,"next":null,"previous":null,"results":[]}`)

	got := mustGet(t, a, ps, schemaReq, up)
	if got.SchemaVersion != "1" {
		t.Fatalf("schema version = %q; want 1 (from the body)", got.SchemaVersion)
	}
	mustGet(t, a, pl, listReq, list)
	heard(t, a, b)
	want(t, mustGet(t, b, ps, schemaReq, up), XCacheHit, envelope.SourceCache, schemaV1) // b has it in L1 now

	// The backend moves to v2; a fresh read after expiry notices it.
	up.set(schemaV2, nil)
	clk.Advance(ps.TTL + time.Second)
	got = mustGet(t, a, ps, schemaReq, up)
	want(t, got, XCacheMiss, envelope.SourceUpstream, schemaV2)
	if got.SchemaVersion != "2" || !got.Stored {
		t.Fatalf("after drift: schema=%q stored=%v; want 2, stored", got.SchemaVersion, got.Stored)
	}
	// Every entry of version 1 is unreachable at once, other routes too.
	if got := mustGet(t, a, pl, listReq, list); got.XCache != XCacheMiss {
		t.Errorf("farm list after the version change: %s; want MISS", got.XCache)
	}
	if st, _ := a.Stats(context.Background()); st.SchemaVersion != "2" {
		t.Errorf("cache keyed for schema %q; want 2", st.SchemaVersion)
	}
	// b learns it over Pub/Sub without waiting for its L1 to end.
	eventually(t, 3*time.Second, "instance b to serve v2", func() bool {
		return string(mustGet(t, b, ps, schemaReq, up).Body) == schemaV2
	})
	if n := up.calls.Load(); n != 2 {
		t.Errorf("schema loads = %d; want 2", n)
	}

	// The probe path: ObserveSchemaVersion alone switches every process.
	// Version 3 is a layout nobody here wrote: it flows through, labelled.
	v3 := `{"schema_version":3,"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`
	if err := b.ObserveSchemaVersion(context.Background(), "3"); err != nil {
		t.Fatal(err)
	}
	up.set(v3, nil)
	if got := mustGet(t, b, ps, schemaReq, up); got.XCache != XCacheMiss || got.SchemaVersion != "3" || string(got.Body) != v3 {
		t.Errorf("v3 on the observing process = %s %q %s; want a MISS of v3, never a cached v2", got.XCache, got.SchemaVersion, got.Body)
	}
	eventually(t, 3*time.Second, "instance a to serve v3", func() bool {
		return string(mustGet(t, a, ps, schemaReq, up).Body) == v3
	})
}

func TestFlushAndRouteFlush(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a := mustCache(t, r, clk)
	b := mustCache(t, r, clk, noPubSub)
	farms, obs := newUpstream(`{"id":1,"name":"a"}`), newUpstream(`{"id":2}`)
	pf, po := policy("farm"), policy("observation")
	rf, ro := reqKey("/f/1"), reqKey("/o/2")
	ctx := context.Background()
	mustGet(t, a, pf, rf, farms)
	mustGet(t, a, po, ro, obs)
	mustGet(t, b, pf, rf, farms)
	mustGet(t, b, po, ro, obs)

	if err := a.InvalidateRoute(ctx, "farm"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, a, pf, rf, farms); got.XCache != XCacheMiss {
		t.Errorf("farm after route flush = %s; want MISS", got.XCache)
	}
	if got := mustGet(t, a, po, ro, obs); got.XCache != XCacheHit {
		t.Errorf("observation after farm flush = %s; want HIT", got.XCache)
	}
	clk.Advance(1100 * time.Millisecond) // b has no Pub/Sub: its L1 and control copy end
	if got := mustGet(t, b, pf, rf, farms); got.XCache != XCacheHit || farms.calls.Load() != 2 {
		t.Errorf("b farm = %s calls=%d; want HIT of a's reload (2 calls)", got.XCache, farms.calls.Load())
	}

	if err := b.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(1100 * time.Millisecond)
	for _, c := range []*Cache{a, b} {
		if got := mustGet(t, c, po, ro, obs); got.XCache == XCacheHit && got.StoredAt.Before(clk.Now().Add(-time.Second)) {
			t.Errorf("observation after Flush served the old entry (%s)", got.CacheStatus())
		}
	}
	if n := obs.calls.Load(); n != 2 {
		t.Errorf("observation loads = %d; want 2 (one before, one after Flush)", n)
	}
}
