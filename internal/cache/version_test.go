package cache

import (
	"context"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// TestRejectedAnswerStillChangesTheVersion: an answer that declares a new
// version is a fact even when the route refuses it. The old version's
// entry is then never served again, not as HIT and not as STALE.
func TestRejectedAnswerStillChangesTheVersion(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	p := policy("farm_schema")
	p.Check, p.StaleIfError = schemaRules, time.Hour
	req := reqKey("/schema")
	u := newUpstream(`{"schema_version":1,"fields":[]}`)
	mustGet(t, a, p, req, u)
	heard(t, a, b)
	want(t, mustGet(t, b, p, req, u), XCacheHit, envelope.SourceCache, `{"schema_version":1,"fields":[]}`)

	// The backend moves to version 2, in a layout this route refuses (it
	// lost its schema_version member; only the header says 2).
	u.mu.Lock()
	u.body, u.version = `{"fields":[]}`, "2"
	u.mu.Unlock()
	clk.Advance(p.TTL + time.Second) // expired, within stale-if-error
	_, err := a.Get(context.Background(), p, req, u.load)
	if codeOf(err) != envelope.CodeUpstreamBadResponse {
		t.Fatalf("a: %v; want the refusal itself, never the version-1 entry as stale", err)
	}
	for _, c := range []*Cache{a, b} {
		eventually(t, 2*time.Second, "the version-1 entry to be unreachable", func() bool {
			res, err := c.Get(context.Background(), p, req, u.load)
			return codeOf(err) == envelope.CodeUpstreamBadResponse && res.Body == nil
		})
	}
	if st, _ := a.Stats(context.Background()); st.SchemaVersion != "2" {
		t.Errorf("schema version = %q; want 2", st.SchemaVersion)
	}
	// Same version, upstream failing: stale-if-error is allowed again, but
	// only within version 2 (nothing of version 1 comes back).
	u.mu.Lock()
	u.body = `{"schema_version":2,"sections":[]}`
	u.mu.Unlock()
	want(t, mustGet(t, a, p, req, u), XCacheMiss, envelope.SourceUpstream, `{"schema_version":2,"sections":[]}`)
	u.set("", envelope.New(envelope.CodeUpstreamUnavailable, "down"))
	clk.Advance(p.TTL + time.Second)
	got := mustGet(t, a, p, req, u)
	want(t, got, XCacheStale, envelope.SourceStale, `{"schema_version":2,"sections":[]}`)
	if got.SchemaVersion != "2" {
		t.Errorf("stale label = %q; want 2", got.SchemaVersion)
	}
}

// TestVersionNeverGoesBackToAnOlderAnswer: an answer requested before
// another process recorded a newer version must not undo it, and entries of
// a version stay unreachable if the upstream later goes back to it.
func TestVersionNeverGoesBackToAnOlderAnswer(t *testing.T) {
	r := testenv.StartRedis(t)
	clk := newClock()
	a, b := mustCache(t, r, clk), mustCache(t, r, clk)
	ctx := context.Background()
	p := policy("farm_list")
	p.Check = pageRules
	req := reqKey("/farms/")
	slow := newUpstream(`{"results":[{"id":1}]}`)
	slow.version = "1"
	slow.gate, slow.entered = make(chan struct{}), make(chan struct{}, 1)

	done := make(chan Result, 1)
	go func() { res, _ := a.Get(ctx, p, req, slow.load); done <- res }()
	<-slow.entered // a's load was sent under no version; it will say 1
	if err := b.ObserveSchemaVersion(ctx, "3"); err != nil {
		t.Fatal(err)
	}
	close(slow.gate)
	res := <-done
	if res.Stored {
		t.Errorf("an answer requested before version 3 was recorded was stored: %s", res.CacheStatus())
	}
	if s := a.snapshot(ctx); s.schema != "3" {
		t.Errorf("version after the late answer = %q; want 3 (older news must not undo it)", s.schema)
	}

	// v3 entry, then the upstream goes back to 1 and then to 3 again: the
	// v3 entry stored before must not come back.
	fresh := newUpstream(`{"results":[{"id":1,"v":3}]}`)
	fresh.version = "3"
	mustGet(t, a, p, req, fresh)
	back := newUpstream(`{"results":[{"id":1,"v":1}]}`)
	back.version = "1"
	clk.Advance(p.TTL + time.Second)
	want(t, mustGet(t, a, p, req, back), XCacheMiss, envelope.SourceUpstream, `{"results":[{"id":1,"v":1}]}`)
	if err := a.ObserveSchemaVersion(ctx, "3"); err != nil {
		t.Fatal(err)
	}
	again := newUpstream(`{"results":[{"id":1,"v":33}]}`)
	again.version = "3"
	for _, c := range []*Cache{a, b} {
		eventually(t, 2*time.Second, "version 3's new answer", func() bool {
			got := mustGet(t, c, p, req, again)
			if string(got.Body) == `{"results":[{"id":1,"v":3}]}` {
				t.Fatalf("after 3 → 1 → 3 the old version-3 entry came back: %s", got.CacheStatus())
			}
			return string(got.Body) == `{"results":[{"id":1,"v":33}]}`
		})
	}
}
