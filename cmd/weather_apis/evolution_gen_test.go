package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/weather-apis/weather_apis/internal/jsonshape"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

// The generator of evolutions: random transforms of the DRF demo built from
// what its answers actually contain, so that every op finds its member.

// evoEvolution is one generated evolution: rules per upstream route and the
// version overrides.
type evoEvolution struct {
	Rules         []testenv.TransformRule
	Version       *string
	VersionHeader *bool
}

func (ev evoEvolution) transforms() testenv.Transforms {
	return testenv.Transforms{Rules: ev.Rules, Version: ev.Version, VersionHeader: ev.VersionHeader}
}

// String is a compact description for failure messages, e.g.
// "GET /api/v1/farms/{id}/state: rename ndvi→evo1_0, retype tiles[].z→string; version=7 header=false".
func (ev evoEvolution) String() string {
	var parts []string
	for _, r := range ev.Rules {
		var ops []string
		for _, o := range r.Ops {
			switch o.Op {
			case "rename":
				ops = append(ops, "rename "+o.Path+"→"+o.To)
			case "nest":
				ops = append(ops, "nest "+o.Path+"→{"+o.Into+"}")
			case "retype":
				ops = append(ops, "retype "+o.Path+"→"+o.Type)
			case "add":
				var v bytes.Buffer
				enc := json.NewEncoder(&v)
				enc.SetEscapeHTML(false)
				_ = enc.Encode(o.Value)
				ops = append(ops, "add "+o.Path+"="+strings.TrimSpace(v.String()))
			default:
				ops = append(ops, o.Op+" "+o.Path)
			}
		}
		route := strings.NewReplacer(`\`, "", "^", "", "$", "").Replace(r.Route)
		parts = append(parts, route+": "+strings.Join(ops, ", "))
	}
	s := strings.Join(parts, "; ")
	if s == "" {
		s = "no rule"
	}
	v, h := "unchanged", "unchanged"
	if ev.Version != nil {
		v = *ev.Version
	}
	if ev.VersionHeader != nil {
		h = strconv.FormatBool(*ev.VersionHeader)
	}
	return s + "; version=" + v + " header=" + h
}

// evoRoute is the transform route regexp of an upstream template.
func evoRoute(template string) string { return "^" + regexp.QuoteMeta(template) + "$" }

// evoCand is a member path (the DRF demo's notation) with its kinds.
type evoCand struct {
	path  string
	kinds jsonshape.Kinds
}

// evoPaths returns every path of a JSON value in the DRF demo's notation
// (dot-separated members, "[]" for every element) with the kinds seen
// there, null excluded; elements of a list are folded together. Members
// whose names the notation cannot spell are left out.
func evoPaths(body []byte) map[string]jsonshape.Kinds {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	out := map[string]jsonshape.Kinds{}
	if dec.Decode(&v) != nil {
		return out
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		add := func(k jsonshape.Kinds) {
			if path != "" {
				out[path] |= k
			}
		}
		switch x := v.(type) {
		case map[string]any:
			add(jsonshape.KObject)
			for k, c := range x {
				if k == "" || strings.ContainsAny(k, ".[]") {
					continue
				}
				if path == "" {
					walk(c, k)
				} else {
					walk(c, path+"."+k)
				}
			}
		case []any:
			add(jsonshape.KArray)
			for _, c := range x {
				walk(c, path+"[]")
			}
		case string:
			add(jsonshape.KString)
		case json.Number:
			add(jsonshape.KNumber)
		case bool:
			add(jsonshape.KBool)
		}
	}
	walk(v, "")
	return out
}

// evoCandidates returns the paths that every body has, with the same
// non-null kinds in all of them, sorted.
//
// Why every body: the probe re-reads one request per route (its sample),
// and the sample is whichever request was stored first. A change that
// shows in some answers of a route but not in the sample's (a member that
// is null or a list that is empty there) is only found when those answers
// are loaded again, which the 10 min TTL keeps from happening during the
// test; an op on a path every answer has with a value changes every answer
// of the route, the sample's included.
func evoCandidates(bodies [][]byte) []evoCand {
	var common map[string]jsonshape.Kinds
	for _, b := range bodies {
		ps := evoPaths(b)
		if common == nil {
			common = ps
			continue
		}
		for p, k := range common {
			if ps[p] != k {
				delete(common, p)
			}
		}
	}
	out := make([]evoCand, 0, len(common))
	for p, k := range common {
		if k != 0 {
			out = append(out, evoCand{p, k})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// evoDepth is the nesting depth of a path (members and list levels).
func evoDepth(p string) int { return strings.Count(p, ".") + strings.Count(p, "[]") }

// evoRelated reports whether one path is the other or lies under it.
func evoRelated(a, b string) bool {
	under := func(x, root string) bool {
		return x == root || strings.HasPrefix(x, root+".") || strings.HasPrefix(x, root+"[]")
	}
	return under(a, b) || under(b, a)
}

// evoPick picks a candidate that satisfies ok and is unrelated to every
// touched path: first a depth uniformly (so that top-level members are as
// likely as deep ones), then a path of that depth.
func evoPick(rng *rand.Rand, cands []evoCand, touched []string, ok func(evoCand) bool) (evoCand, bool) {
	byDepth := map[int][]evoCand{}
	for _, c := range cands {
		free := ok(c)
		for _, t := range touched {
			free = free && !evoRelated(c.path, t)
		}
		if free {
			byDepth[evoDepth(c.path)] = append(byDepth[evoDepth(c.path)], c)
		}
	}
	if len(byDepth) == 0 {
		return evoCand{}, false
	}
	depths := make([]int, 0, len(byDepth))
	for d := range byDepth {
		depths = append(depths, d)
	}
	sort.Ints(depths)
	list := byDepth[depths[rng.IntN(len(depths))]]
	return list[rng.IntN(len(list))], true
}

var evoTypes = []struct {
	name string
	kind jsonshape.Kinds
}{{"string", jsonshape.KString}, {"number", jsonshape.KNumber}, {"bool", jsonshape.KBool}, {"object", jsonshape.KObject}, {"array", jsonshape.KArray}}

// evoValues are the values an add op adds: never null (a null member is no
// change of shape for weather_apis, but would change the print hash), and
// some of them links to the upstream (its address, which weather_apis must
// rewrite out of every answer wherever it appears).
func evoValues(upstreamURL string) []any {
	return []any{42, "evolved", true, map[string]any{"k": 1, "s": "x"}, []any{1, 2},
		upstreamURL + "/api/v1/farms/3/", map[string]any{"href": upstreamURL + "/api/v1/observations/?farm=3&page=2"}}
}

// evoOps generates 1..maxOps ops on an answer whose paths are cands; names of
// new members are unique to the iteration.
func evoOps(rng *rand.Rand, iter int, tag string, cands []evoCand, maxOps int, values []any) []testenv.TransformOp {
	var ops []testenv.TransformOp
	var touched []string
	member := func(c evoCand) bool { return !strings.HasSuffix(c.path, "[]") }
	for k := range 1 + rng.IntN(maxOps) {
		name := fmt.Sprintf("evo%d%s_%d", iter, tag, k)
		var op testenv.TransformOp
		switch rng.IntN(5) {
		case 0:
			c, ok := evoPick(rng, cands, touched, member)
			if !ok {
				continue
			}
			op = testenv.TransformOp{Op: "rename", Path: c.path, To: name}
		case 1:
			c, ok := evoPick(rng, cands, touched, func(evoCand) bool { return true })
			if !ok {
				continue
			}
			op = testenv.TransformOp{Op: "nest", Path: c.path, Into: name}
		case 2:
			c, ok := evoPick(rng, cands, touched, func(evoCand) bool { return true })
			if !ok {
				continue
			}
			var other []string
			for _, ty := range evoTypes {
				if c.kinds&ty.kind == 0 {
					other = append(other, ty.name)
				}
			}
			op = testenv.TransformOp{Op: "retype", Path: c.path, Type: other[rng.IntN(len(other))]}
		case 3:
			// A new member of the top-level object or of an object every
			// answer has.
			parent := ""
			if rng.IntN(2) == 0 {
				if c, ok := evoPick(rng, cands, touched, func(c evoCand) bool { return c.kinds == jsonshape.KObject }); ok {
					parent = c.path
				}
			}
			path := name
			if parent != "" {
				path = parent + "." + name
			}
			op = testenv.TransformOp{Op: "add", Path: path, Value: values[rng.IntN(len(values))]}
		default:
			c, ok := evoPick(rng, cands, touched, member)
			if !ok {
				continue
			}
			op = testenv.TransformOp{Op: "remove", Path: c.path}
		}
		ops = append(ops, op)
		touched = append(touched, op.Path)
	}
	return ops
}

// evoVersionMember changes the member that declares the version: on the
// schema route (the one route that must declare it in its body) it is
// retyped, renamed, nested or removed; or a farm starts declaring a version
// of its own in its body, which contradicts the header when one is sent.
func evoVersionMember(rng *rand.Rand, iter int) testenv.TransformRule {
	const member = "schema_version"
	schema := evoRoute(evoTemplate("farm_schema"))
	switch rng.IntN(6) {
	case 0:
		return testenv.TransformRule{Route: schema, Ops: []testenv.TransformOp{{Op: "retype", Path: member, Type: "string"}}}
	case 1:
		return testenv.TransformRule{Route: schema, Ops: []testenv.TransformOp{{Op: "retype", Path: member, Type: []string{"bool", "object", "array"}[rng.IntN(3)]}}}
	case 2:
		return testenv.TransformRule{Route: schema, Ops: []testenv.TransformOp{{Op: "rename", Path: member, To: fmt.Sprintf("evo%dv", iter)}}}
	case 3:
		return testenv.TransformRule{Route: schema, Ops: []testenv.TransformOp{{Op: "nest", Path: member, Into: "value"}}}
	case 4:
		return testenv.TransformRule{Route: schema, Ops: []testenv.TransformOp{{Op: "remove", Path: member}}}
	}
	return testenv.TransformRule{Route: evoRoute(evoTemplate("farm_detail")),
		Ops: []testenv.TransformOp{{Op: "add", Path: member, Value: fmt.Sprintf("farm-%d", iter)}}}
}

// evoGenerate builds iteration iter's evolution from the current answers of
// the upstream at upstreamURL to reqs (cur, same order). With writes, the
// state PUT and the observation POST get rules too, generated from what
// they answer: a farm state, and one observation.
func evoGenerate(rng *rand.Rand, iter int, reqs []evoReq, cur []evoUp, writes bool, upstreamURL string) evoEvolution {
	var ev evoEvolution
	values := evoValues(upstreamURL)
	switch rng.IntN(4) {
	case 1:
		v := strconv.Itoa(100 + iter)
		ev.Version = &v
	case 2:
		v := fmt.Sprintf("evo-%d", iter)
		ev.Version = &v
	case 3:
		v := fmt.Sprintf("%d.0", 200+iter) // declared as "2xx": canonical form
		ev.Version = &v
	}
	switch rng.IntN(4) {
	case 2:
		ev.VersionHeader = new(false)
	case 3:
		ev.VersionHeader = new(true)
	}

	bodies := map[string][][]byte{}
	var templates []string
	for i, q := range reqs {
		if _, seen := bodies[q.template]; !seen {
			templates = append(templates, q.template)
		}
		bodies[q.template] = append(bodies[q.template], cur[i].body)
	}
	n := 1 + rng.IntN(3)
	if rng.IntN(6) == 0 && (ev.Version != nil || ev.VersionHeader != nil) {
		n = 0 // a version change alone
	}
	for _, k := range rng.Perm(len(templates))[:n] {
		tpl := templates[k]
		if ops := evoOps(rng, iter, "r"+strconv.Itoa(k), evoCandidates(bodies[tpl]), 3, values); len(ops) > 0 {
			ev.Rules = append(ev.Rules, testenv.TransformRule{Route: evoRoute(tpl), Ops: ops})
		}
	}
	if rng.IntN(4) == 0 {
		ev.Rules = append(ev.Rules, evoVersionMember(rng, iter))
	}
	if writes {
		var states, items [][]byte
		for i, q := range reqs {
			switch q.route {
			case "farm_state":
				states = append(states, cur[i].body)
			case "observation_list":
				var page struct{ Results []json.RawMessage }
				if json.Unmarshal(cur[i].body, &page) == nil && len(page.Results) > 0 {
					items = append(items, page.Results[0])
				}
			}
		}
		ops := evoOps(rng, iter, "w", evoCandidates(states), 2, values)
		if rng.IntN(4) == 0 {
			// The write's answer declares a version of its own in its body
			// (contradicting the header when one is sent): the write was
			// applied all the same.
			ops = append(ops, testenv.TransformOp{Op: "add", Path: "schema_version", Value: fmt.Sprintf("write-%d", iter)})
		}
		if len(ops) > 0 {
			ev.Rules = append(ev.Rules, testenv.TransformRule{Route: evoRoute(evoTemplate("farm_state_put")), Ops: ops})
		}
		if ops := evoOps(rng, iter, "p", evoCandidates(items), 2, values); len(ops) > 0 {
			ev.Rules = append(ev.Rules, testenv.TransformRule{Route: evoRoute(evoTemplate("observation_create")), Ops: ops})
		}
	}
	return ev
}
