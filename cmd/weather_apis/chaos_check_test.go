package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// The invariants of the chaos test, checked after the run over every
// answer recorded, and the printed table.
//
//  1. envelope: every answer is an envelope with a truthful status
//     (chaosEnvelopeProblem). A request without any answer is a violation
//     too, unless it went to the replica being killed while it was down.
//  2. openapi: every answer matches the served OpenAPI document (the
//     harness's validator, as Direct and Proxy use it).
//  3. version: no answer of an older schema version or shape later than
//     the probe bound after a layout switch. For every switch, DRF's answer
//     to each read key is read straight from DRF; an answer to a request
//     sent between switch+chaosBound and the next switch (and answered
//     before it) must, when 2xx, have the shape print and the version DRF
//     declares now, and must not be a 2xx at all when DRF's answer is one
//     the generic rules refuse (the no-version schema). A 2xx write in that
//     window must be labelled with the version DRF declares.
//  4. stale: no 5xx that a healthy upstream plus a stale entry could have
//     avoided. Precisely (checkAvoidable): a read answered 5xx is a
//     violation when (a) no DRF, Redis or replica fault was in effect at
//     any time between its sending and its answer, and (b) the same key
//     had, before the request was sent, a 2xx answer that proves an entry
//     in Redis (X-Cache HIT, or MISS with Cache-Status "stored") no more
//     than the cache TTL (5 m) earlier, with nothing between that answer
//     and this request that makes such an entry unreachable: no layout
//     switch (from the switch to chaosBound after it), no Redis fault
//     (until 2 s after its end: the epoch rotation, README "Redis
//     restarted"), and no write that invalidates the key (from its sending
//     to its answer, or WEATHER_APIS_UPSTREAM_WRITE_SETTLE (60 s) plus 5 s
//     after it when it failed, for a write whose outcome is unknown holds
//     caching that long). STORE_UNAVAILABLE and NEXTCLOUD_UNAVAILABLE are
//     not counted (a cache entry cannot stand in for Redis's credentials
//     or Nextcloud's admin check); they are listed in the run's notes.
//  5. writes: no lost acknowledged write. After the load stopped and every
//     fault healed, DRF is read directly with a DRF token: every
//     observation POST answered 2xx exists exactly once (its station is a
//     unique marker) with the id the answer gave; the state of every farm
//     a writer PUT is the last acknowledged PUT's or one sent after it
//     (a PUT replaces the farm's one state, deploy/drf README.md).

const (
	chaosSettle   = 60*time.Second + 5*time.Second // WEATHER_APIS_UPSTREAM_WRITE_SETTLE (default) plus slack
	chaosEpoch    = 2 * time.Second                // after a Redis fault's end: epoch rotation in every process
	chaosFreshTTL = 5 * time.Minute                // WEATHER_APIS_CACHE_TTL (default)
	chaosExamples = 6                              // violations shown in full per invariant
	// chaosL1 is how long a replica may answer HIT from its own memory
	// without Redis: WEATHER_APIS_CACHE_L1_TTL (1 s) plus slack.
	chaosL1 = 1250 * time.Millisecond
)

// chaosInvariant counts one invariant's checks.
type chaosInvariant struct {
	name              string
	checked, violated int
	examples          []string
}

// check counts one check; msg (called only for the first violations)
// describes a violation.
func (inv *chaosInvariant) check(ok bool, msg func() string) {
	inv.checked++
	if !ok {
		inv.violated++
		if len(inv.examples) < chaosExamples {
			inv.examples = append(inv.examples, msg())
		}
	}
}

// chaosMsg is a lazily formatted violation message.
func chaosMsg(format string, args ...any) func() string {
	return func() string { return fmt.Sprintf(format, args...) }
}

type chaosReport struct {
	c                                        *chaosEnv
	envelope, openapi, version, stale, write *chaosInvariant
	notes                                    []string
}

func (c *chaosEnv) evaluate(t *testing.T) *chaosReport {
	t.Helper()
	r := &chaosReport{c: c,
		envelope: &chaosInvariant{name: "every answer an envelope with a truthful status"},
		openapi:  &chaosInvariant{name: "every answer matches the OpenAPI document"},
		version:  &chaosInvariant{name: "no older schema version/shape after the probe bound"},
		stale:    &chaosInvariant{name: "no 5xx a healthy DRF plus a cached entry avoids"},
		write:    &chaosInvariant{name: "no lost acknowledged write (checked in DRF)"},
	}
	answers := c.snapshot()
	sort.SliceStable(answers, func(i, j int) bool { return answers[i].sent.Before(answers[j].sent) })

	excused := 0
	for _, a := range answers {
		if a.err != nil {
			if c.killedDuring(a) {
				excused++
				continue
			}
			r.envelope.check(false, chaosMsg("%s: no answer: %v", c.describe(a), a.err))
			continue
		}
		r.envelope.check(a.problem == "", chaosMsg("%s: %s", c.describe(a), a.problem))
		r.openapi.check(a.openapi == "", chaosMsg("%s: %s", c.describe(a), a.openapi))
	}
	r.note("%d requests, %d answers without a request to a killed replica; status %v; X-Cache %v; 5xx codes %v",
		len(answers), len(answers)-excused, chaosTally(answers, func(a *chaosAnswer) string {
			if a.err != nil {
				return "none"
			}
			return strconv.Itoa(a.status)
		}), chaosTally(answers, func(a *chaosAnswer) string { return a.xcache }),
		chaosTally(answers, func(a *chaosAnswer) string {
			if a.err == nil && a.status >= 500 {
				return string(a.code)
			}
			return ""
		}))
	if excused > 0 {
		r.note("%d requests sent to a replica while it was being killed got no answer (not counted)", excused)
	}
	st := c.s.DRF.Stats(t) // the counters survive the demo's restarts
	r.note("DRF counted %d requests, %d token obtains, %d refreshes, injected faults by kind %v",
		st.RequestsTotal, st.TokenObtain, st.TokenRefresh, st.FaultsByKind)
	c.checkVersions(r, answers)
	c.checkAvoidable(r, answers)
	c.checkWrites(t, r, answers)
	c.recoveries(answers)
	return r
}

func (r *chaosReport) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// killedDuring reports whether a's replica was killed (or not yet back)
// while a was in flight.
func (c *chaosEnv) killedDuring(a *chaosAnswer) bool {
	for _, f := range c.faults {
		if f.kind == "replica_kill" && f.replica == a.replica && a.sent.Before(f.end) && a.done.After(f.start) {
			return true
		}
	}
	return false
}

// checkVersions: invariant 3.
func (c *chaosEnv) checkVersions(r *chaosReport, answers []*chaosAnswer) {
	for _, a := range answers {
		if !a.ok() || a.problem != "" {
			continue
		}
		k := sort.Search(len(c.switches), func(i int) bool { return c.switches[i].at.After(a.sent) }) - 1
		if k < 0 || a.sent.Before(c.switches[k].at.Add(chaosBound)) {
			continue // before the first switch, or in transition
		}
		sw := c.switches[k]
		if k+1 < len(c.switches) && a.done.After(c.switches[k+1].at) {
			continue // DRF switched again while it was in flight
		}
		since := a.sent.Sub(sw.at).Round(time.Millisecond)
		if a.write != nil {
			r.version.check(a.schema == sw.declared, chaosMsg("%s sent %v after the switch to %s: labelled version %s; DRF declares %s",
				c.describe(a), since, sw, a.schema, sw.declared))
			continue
		}
		w := sw.want[a.key]
		switch {
		case !w.accepted:
			r.version.check(false, chaosMsg("%s sent %v after the switch to %s: 2xx (version %s, print %s) although DRF's answer is refused now (%s): an older body",
				c.describe(a), since, sw, a.schema, a.print, w.why))
		case a.print != w.print:
			r.version.check(false, chaosMsg("%s sent %v after the switch to %s: print %s (version %s, X-Cache %s); DRF answers print %s",
				c.describe(a), since, sw, a.print, a.schema, a.xcache, w.print))
		case w.declared != "" && a.schema != w.declared:
			r.version.check(false, chaosMsg("%s sent %v after the switch to %s: labelled version %s; DRF declares %s",
				c.describe(a), since, sw, a.schema, w.declared))
		default:
			r.version.check(true, nil)
		}
	}
}

// chaosSpan is a time interval.
type chaosSpan struct{ from, to time.Time }

// checkAvoidable: invariant 4 (see the rule at the top of this file).
func (c *chaosEnv) checkAvoidable(r *chaosReport, answers []*chaosAnswer) {
	byKey := make([][]*chaosAnswer, len(c.reads))
	evidence := make([][]*chaosAnswer, len(c.reads))
	for _, a := range answers {
		if a.write != nil || a.err != nil {
			continue
		}
		byKey[a.key] = append(byKey[a.key], a)
		if a.ok() && (a.xcache == "HIT" || a.xcache == "MISS" && strings.Contains(a.cacheStatus, "; stored")) {
			evidence[a.key] = append(evidence[a.key], a)
		}
	}
	other := 0
	outside := map[string]int{}
	var latest time.Duration // after the end of the last DRF fault before it
	for _, a := range answers {
		if a.write == nil && a.err == nil && a.status >= 500 && c.faultDuring(a.sent, a.done) == nil {
			outside[string(a.code)+" "+a.xcache]++
			if a.code == envelope.CodeUpstreamUnavailable {
				var last time.Time
				for _, f := range c.faults {
					if f.layer == layerDRF && f.end.Before(a.sent) && f.end.After(last) {
						last = f.end
					}
				}
				if !last.IsZero() {
					latest = max(latest, a.sent.Sub(last))
				}
			}
		}
	}
	if len(outside) > 0 {
		r.note("5xx reads with no DRF, Redis or replica fault in effect (code, X-Cache): %v; the last UPSTREAM_UNAVAILABLE of them sent %v after a DRF fault ended (breaker cooldown, README \"Circuit open\"; never for a key with a cached entry: invariant 4)",
			outside, latest.Round(time.Millisecond))
	}
	for k, q := range c.reads {
		ev := evidence[k]
		sort.Slice(ev, func(i, j int) bool { return ev[i].done.Before(ev[j].done) })
		inval := c.invalidations(q, answers)
		for _, a := range byKey[k] {
			if c.faultDuring(a.sent, a.done) != nil {
				continue
			}
			n := sort.Search(len(ev), func(i int) bool { return ev[i].done.After(a.sent) })
			if n == 0 {
				continue
			}
			e := ev[n-1]
			if a.sent.Sub(e.done) > chaosFreshTTL || c.unreachableBetween(e, a, inval) {
				continue
			}
			avoidable := a.status >= 500 && a.code != envelope.CodeStoreUnavailable && a.code != envelope.CodeNextcloudUnavailable
			if a.status >= 500 && !avoidable {
				other++
			}
			r.stale.check(!avoidable, chaosMsg("%s: %d %s with no fault in effect, although %s (request_id %s) answered 2xx X-Cache %s (%s) %v before it was sent and nothing since made that entry unreachable",
				c.describe(a), a.status, a.code, e.chaosReq, e.reqID, e.xcache, e.cacheStatus, a.sent.Sub(e.done).Round(time.Millisecond)))
		}
	}
	if other > 0 {
		r.note("%d STORE_UNAVAILABLE/NEXTCLOUD_UNAVAILABLE answers outside every fault to keys with a cached entry (not counted)", other)
	}
}

// invalidations are the merged spans during which a write may have made
// an entry of q unreachable (see the rule at the top of this file).
func (c *chaosEnv) invalidations(q evoReq, answers []*chaosAnswer) []chaosSpan {
	var spans []chaosSpan
	for _, a := range answers {
		w := a.write
		if w == nil {
			continue
		}
		hits := w.route == "observation_create" && q.route == "observation_list" ||
			w.route == "farm_state_put" && q.route == "farm_state" && q.path == fmt.Sprintf("/api/v1/farms/%d/state", w.farm)
		if !hits {
			continue
		}
		to := a.done
		if !a.ok() {
			to = to.Add(chaosSettle)
		}
		spans = append(spans, chaosSpan{a.sent, to})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from.Before(spans[j].from) })
	var merged []chaosSpan
	for _, s := range spans {
		if n := len(merged); n > 0 && !s.from.After(merged[n-1].to) {
			if s.to.After(merged[n-1].to) {
				merged[n-1].to = s.to
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// unreachableBetween reports whether something between evidence e and
// answer a may have made e's entry unreachable.
func (c *chaosEnv) unreachableBetween(e, a *chaosAnswer, inval []chaosSpan) bool {
	for _, sw := range c.switches {
		if sw.at.Before(a.done) && sw.at.Add(chaosBound).After(e.sent) {
			return true
		}
	}
	for _, f := range c.faults {
		if f.layer == layerRedis && f.start.Before(a.done) && f.end.Add(chaosEpoch).After(e.sent) {
			return true
		}
	}
	n := sort.Search(len(inval), func(i int) bool { return inval[i].to.After(e.sent) })
	return n < len(inval) && inval[n].from.Before(a.done)
}

// faultDuring returns a DRF, Redis or replica fault in effect at some time
// between from and to, or nil.
func (c *chaosEnv) faultDuring(from, to time.Time) *chaosFault {
	for _, f := range c.faults {
		if f.layer != layerNone && f.start.Before(to) && f.end.After(from) {
			return f
		}
	}
	return nil
}

// chaosObservation is one observation in a DRF list page (plain layout).
type chaosObservation struct {
	ID      int64  `json:"id"`
	Station string `json:"station"`
}

// checkWrites: invariant 5, through DRF directly.
func (c *chaosEnv) checkWrites(t *testing.T, r *chaosReport, answers []*chaosAnswer) {
	t.Helper()
	if l := c.s.DRF.Layout(t); l.Observation != "plain" || l.FarmState != "flat" {
		t.Fatalf("DRF is not back in its base layout at the end: %+v", l)
	}
	stations := map[string][]int64{}
	for w := range chaosWriters {
		farm := chaosObsFarm0 + w
		for page := 1; ; page++ {
			up := c.e.upstream(t, "GET", fmt.Sprintf("/api/v1/observations/?farm=%d&page=%d", farm, page), nil)
			var p struct {
				Next    *string            `json:"next"`
				Results []chaosObservation `json:"results"`
			}
			if up.status != 200 || json.Unmarshal(up.body, &p) != nil {
				t.Fatalf("DRF observations of farm %d page %d: %d %.300s", farm, page, up.status, up.body)
			}
			for _, o := range p.Results {
				stations[o.Station] = append(stations[o.Station], o.ID)
			}
			if p.Next == nil {
				break
			}
		}
	}
	finals := map[int]string{}
	for w := range chaosWriters {
		farm := chaosStateFarm0 + w
		up := c.e.upstream(t, "GET", fmt.Sprintf("/api/v1/farms/%d/state", farm), nil)
		var st struct{ Source string }
		if up.status != 200 || json.Unmarshal(up.body, &st) != nil {
			t.Fatalf("DRF state of farm %d: %d %.300s", farm, up.status, up.body)
		}
		finals[farm] = st.Source
	}

	lastAck := map[int]*chaosAnswer{}
	var obs, acked, dupUnacked, landedUnacked, puts int
	for _, a := range answers {
		w := a.write
		if w == nil {
			continue
		}
		switch w.route {
		case "observation_create":
			obs++
			ids := stations[w.marker]
			if !a.ok() {
				if len(ids) > 1 {
					dupUnacked++
				}
				if len(ids) > 0 {
					landedUnacked++
				}
				continue
			}
			acked++
			r.write.check(len(ids) == 1 && (a.dataID == 0 || ids[0] == a.dataID), chaosMsg("%s: acknowledged %d (id %d), DRF holds station %s %d times %v", c.describe(a), a.status, a.dataID, w.marker, len(ids), ids))
		case "farm_state_put":
			puts++
			if a.ok() && (lastAck[w.farm] == nil || w.n > lastAck[w.farm].write.n) {
				lastAck[w.farm] = a
			}
		}
	}
	marker := regexp.MustCompile(`^chaos-(\d+)-(\d+)$`)
	for farm, a := range lastAck {
		m := marker.FindStringSubmatch(finals[farm])
		n := -1
		if m != nil && m[1] == strconv.Itoa(a.write.writer) {
			n, _ = strconv.Atoi(m[2])
		}
		// Each acknowledged PUT is checked: all but the last were replaced
		// by a later acknowledged one; the last must be DRF's state unless a
		// later PUT (sent after it, unacknowledged) replaced it.
		for _, b := range answers {
			if b.write != nil && b.write.route == "farm_state_put" && b.write.farm == farm && b.ok() && b != a {
				r.write.check(true, nil)
			}
		}
		r.write.check(n >= a.write.n, chaosMsg("%s: the last acknowledged state PUT of farm %d (source %s); DRF's state has source %q",
			c.describe(a), farm, a.write.marker, finals[farm]))
	}
	r.note("writes: %d observation POSTs (%d acknowledged, %d unacknowledged that landed anyway, %d landed twice); %d state PUTs (%d acknowledged)",
		obs, acked, landedUnacked, dupUnacked, puts, r.write.checked-acked)
}

// recoveries fills each fault's recovery: from its heal to the answer of
// the first successful read that needed the healed layer (done - heal):
//
//   - DRF faults and token_expiry: a 2xx read whose source is upstream;
//   - Redis faults: a 2xx read stored in Redis (X-Cache MISS, "stored") or
//     read from it (HIT, sent later than an L1 copy can live);
//   - replica_kill: a 2xx answer of the restarted replica;
//   - layout: for every read key whose answer the switch back changed, a
//     2xx read in the base layout's print and version; the last of them.
func (c *chaosEnv) recoveries(answers []*chaosAnswer) {
	byDone := slices.Clone(answers)
	sort.Slice(byDone, func(i, j int) bool { return byDone[i].done.Before(byDone[j].done) })
	first := func(f *chaosFault, match func(a *chaosAnswer) bool) *chaosAnswer {
		for _, a := range byDone {
			if a.ok() && a.problem == "" && !a.sent.Before(f.heal) && match(a) {
				return a
			}
		}
		return nil
	}
	for _, f := range c.faults {
		var by *chaosAnswer
		switch f.layer {
		case layerDRF:
			by = first(f, func(a *chaosAnswer) bool { return a.write == nil && a.source == envelope.SourceUpstream })
		case layerRedis:
			by = first(f, func(a *chaosAnswer) bool {
				return a.write == nil && (a.xcache == "MISS" && strings.Contains(a.cacheStatus, "; stored") ||
					a.xcache == "HIT" && a.sent.After(f.heal.Add(chaosL1)))
			})
		case layerReplica:
			by = first(f, func(a *chaosAnswer) bool { return a.replica == f.replica })
		case layerNone:
			k := slices.IndexFunc(c.switches, func(sw *chaosSwitch) bool { return sw.at.Equal(f.heal) })
			if k < 1 {
				continue
			}
			now, before := c.switches[k], c.switches[k-1]
			f.recovered = true
			for key, w := range now.want {
				if w == before.want[key] {
					continue
				}
				a := first(f, func(a *chaosAnswer) bool {
					return a.write == nil && a.key == key && a.print == w.print && a.schema == w.declared
				})
				if a == nil {
					f.recovered, by = false, nil
					break
				}
				if by == nil || a.done.After(by.done) {
					by = a
				}
			}
			if !f.recovered {
				continue
			}
		}
		if by != nil {
			f.recovered, f.recovery, f.by = true, by.done.Sub(f.heal), by.reqID
		}
	}
}

// describe names an answer for a report: when, what, where, what came
// back, which faults were in effect, and the replica's log lines for it.
// It is formatted (and the logs searched) only when printed.
func (c *chaosEnv) describe(a *chaosAnswer) fmt.Stringer { return chaosDescription{c, a} }

type chaosDescription struct {
	c *chaosEnv
	a *chaosAnswer
}

func (d chaosDescription) String() string {
	c, a := d.c, d.a
	var b strings.Builder
	fmt.Fprintf(&b, "+%.3fs %s (request_id %s", a.sent.Sub(c.t0).Seconds(), a.chaosReq, a.reqID)
	if a.write != nil {
		fmt.Fprintf(&b, ", Idempotency-Key %s", a.idemKey)
	}
	fmt.Fprintf(&b, ", answered after %v", a.done.Sub(a.sent).Round(time.Millisecond))
	if a.err == nil {
		fmt.Fprintf(&b, ": %d %s source %s X-Cache %s Cache-Status %q version %s", a.status, a.code, a.source, a.xcache, a.cacheStatus, a.schema)
	}
	b.WriteString(")")
	var active []string
	for _, f := range c.faults {
		if f.start.Before(a.done) && f.end.After(a.sent) {
			active = append(active, fmt.Sprintf("%s (%s, +%.1fs..+%.1fs)", f.kind, f.detail, f.start.Sub(c.t0).Seconds(), f.end.Sub(c.t0).Seconds()))
		}
	}
	if len(active) > 0 {
		fmt.Fprintf(&b, "; faults in effect: %s", strings.Join(active, ", "))
	} else {
		b.WriteString("; no fault in effect")
	}
	if a.excerpt != "" {
		fmt.Fprintf(&b, "; body %.300s", a.excerpt)
	}
	if lines := c.logs(a.replica, a.reqID); len(lines) > 0 {
		fmt.Fprintf(&b, "\n\t\tlog: %s", strings.Join(lines[:min(len(lines), 5)], "\n\t\tlog: "))
	}
	return b.String()
}

// table renders the run's table.
func (r *chaosReport) table() string {
	c := r.c
	var b strings.Builder
	fmt.Fprintf(&b, "chaos run: seed %d, %v of faults (%d), %d answers\n\n", c.seed, c.duration, len(c.faults), len(c.answers))
	fmt.Fprintf(&b, "%-16s %5s %14s %13s %14s\n", "fault", "count", "mean recovery", "max recovery", "not recovered")
	for _, kind := range chaosKinds {
		var n, missing int
		var sum, worst time.Duration
		for _, f := range c.faults {
			if f.kind != kind {
				continue
			}
			n++
			if !f.recovered {
				missing++
				continue
			}
			sum += f.recovery
			worst = max(worst, f.recovery)
		}
		mean, top := "-", "-"
		if n > missing {
			mean = fmt.Sprintf("%.2fs", (sum / time.Duration(n-missing)).Seconds())
			top = fmt.Sprintf("%.2fs", worst.Seconds())
		}
		fmt.Fprintf(&b, "%-16s %5d %14s %13s %14d\n", kind, n, mean, top, missing)
	}
	b.WriteString("\nrecovery: from the heal to the answer of the first successful read that needed the healed layer\n" +
		"(DRF faults: a read from upstream; Redis: a read stored in or read from Redis; replica: an answer of the restarted\n" +
		"replica; layout: every changed key read in the base layout)\n\n")
	fmt.Fprintf(&b, "%-54s %8s %8s\n", "invariant", "checked", "violated")
	for _, inv := range []*chaosInvariant{r.envelope, r.openapi, r.version, r.stale, r.write} {
		fmt.Fprintf(&b, "%-54s %8d %8d\n", inv.name, inv.checked, inv.violated)
	}
	b.WriteString("\n")
	for _, n := range r.notes {
		b.WriteString("note: " + n + "\n")
	}
	return b.String()
}

// fail reports every violated invariant with its first examples.
func (r *chaosReport) fail(t *testing.T, c *chaosEnv) {
	t.Helper()
	for _, inv := range []*chaosInvariant{r.envelope, r.openapi, r.version, r.stale, r.write} {
		if inv.checked == 0 {
			t.Errorf("%s: nothing checked; the load did not run", inv.name)
		}
		if inv.violated == 0 {
			continue
		}
		t.Errorf("%s: %d of %d violated; the first:\n\t%s", inv.name, inv.violated, inv.checked, strings.Join(inv.examples, "\n\t"))
	}
	if t.Failed() {
		t.Logf("replay: WEATHER_APIS_CHAOS_SEED=%d WEATHER_APIS_CHAOS_DURATION=%v", c.seed, c.duration)
	}
}

// chaosTally counts answers by key ("" not counted).
func chaosTally(answers []*chaosAnswer, key func(*chaosAnswer) string) map[string]int {
	m := map[string]int{}
	for _, a := range answers {
		if k := key(a); k != "" {
			m[k]++
		}
	}
	return m
}

// dump writes every fault and answer as JSON lines to path (offsets in
// seconds since the load started).
func (c *chaosEnv) dump(t *testing.T, path string) {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	off := func(at time.Time) float64 { return at.Sub(c.t0).Seconds() }
	for _, f := range c.faults {
		_ = enc.Encode(map[string]any{"fault": f.kind, "detail": f.detail, "start": off(f.start), "heal": off(f.heal), "end": off(f.end),
			"recovered": f.recovered, "recovery": f.recovery.Seconds(), "by": f.by})
	}
	for _, sw := range c.switches {
		_ = enc.Encode(map[string]any{"switch": sw.String(), "at": off(sw.at)})
	}
	for _, a := range c.snapshot() {
		m := map[string]any{"seq": a.seq, "request_id": a.reqID, "req": a.String(), "worker": a.workerID, "sent": off(a.sent),
			"done": off(a.done), "status": a.status, "code": a.code, "source": a.source, "x_cache": a.xcache,
			"cache_status": a.cacheStatus, "version": a.schema, "print": a.print, "problem": a.problem, "openapi": a.openapi, "body": a.excerpt}
		if a.err != nil {
			m["error"] = a.err.Error()
		}
		_ = enc.Encode(m)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Errorf("WEATHER_APIS_CHAOS_DUMP: %v", err)
	}
}
