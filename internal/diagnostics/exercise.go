package diagnostics

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/weather-apis/weather_apis/internal/cache"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/routetable"
)

// routeRun is one cached read route exercised through the client's read
// path (resources.Service.Read: the cache, the upstream, every check).
type routeRun struct {
	Route   routetable.Route
	Request string // our path and query, as a client would call it ("" not exercised)
	Why     string // why it was not exercised
	Status  int
	XCache  string
	Source  string
	Version string
	Err     *envelope.Error
	Shape   *cache.RouteShape
	Took    time.Duration
}

// failed reports whether the client got an error a healthy system would
// not give: a 5xx (a 404 of a sample that no longer exists is not one).
func (r routeRun) failed() bool { return r.Err != nil && envelope.StatusFor(r.Err) >= 500 }

// refused reports whether the answer broke the route's checks.
func (r routeRun) refused() bool {
	return r.Err != nil && r.Err.Code == envelope.CodeUpstreamBadResponse
}

// exercise reads every cached read route as a client would. A route with an
// id or query is read with the request the cache last stored for it (its
// sample) or, when nothing could be stored, the request that last failed.
func (ls *Layers) exercise(ctx context.Context, shapes []cache.RouteShape) []routeRun {
	byRoute := map[string]*cache.RouteShape{}
	for i := range shapes {
		byRoute[shapes[i].Route] = &shapes[i]
	}
	var runs []routeRun
	for _, name := range routetable.CachedReads() {
		r, _ := routetable.Lookup(name)
		run := routeRun{Route: r, Shape: byRoute[name]}
		p, ok := sampleParams(r, run.Shape)
		if !ok {
			run.Why = "no request of this route was seen yet"
			runs = append(runs, run)
			continue
		}
		run.Request = clientPath(r, p)
		p.RequestID = "doctor"
		start := time.Now()
		a, err := ls.d.Reads.Read(ctx, name, p)
		run.Took = time.Since(start)
		run.Status, run.XCache, run.Source, run.Version = a.Status, a.XCache, string(a.Source), a.SchemaVersion
		if err != nil {
			run.Err = envelope.From(err)
			run.Status = envelope.StatusFor(run.Err)
		}
		runs = append(runs, run)
	}
	return runs
}

// sampleParams picks the parameters to exercise r with.
func sampleParams(r routetable.Route, sh *cache.RouteShape) (resources.Params, bool) {
	var requests []string
	if sh != nil {
		if sh.Problem != nil {
			requests = append(requests, sh.Problem.Request)
		}
		if sh.Sample != "" {
			requests = append(requests, sh.Sample)
		}
	}
	for _, req := range requests {
		path, q, err := cache.SplitRequest(req)
		if err != nil {
			continue
		}
		if id, ok := r.MatchUpstream(path); ok {
			return resources.Params{ID: id, Query: q}, true
		}
	}
	if !r.HasID() {
		return resources.Params{}, true
	}
	return resources.Params{}, false
}

// clientPath is the path and query a client calls for p on r.
func clientPath(r routetable.Route, p resources.Params) string {
	path := strings.ReplaceAll(r.Path, ":id", p.ID)
	if len(p.Query) > 0 {
		path += "?" + url.Values(p.Query).Encode()
	}
	return r.Method + " " + path
}

// contractLayer says whether the upstream's answers still match what
// weather_apis checks (the generic rules and, when published, the
// upstream's own contract), with the evidence: versions, shape changes,
// contract hash and the last violation.
func (ls *Layers) contractLayer(runs []routeRun, shapes []cache.RouteShape, shapesErr error) Layer {
	cs := ls.d.Reads.Contract()
	l := Layer{Layer: "contract", State: StateOK, Summary: "The upstream's answers match what weather_apis checks.", Evidence: map[string]any{
		"contract_configured": cs.Configured, "contract_mode": cs.Mode,
	}}
	if cs.Configured {
		l.Evidence["contract_source"], l.Evidence["contract_hash"], l.Evidence["contract_operations"] = cs.Source, cs.Hash, cs.Operations
	}
	if shapesErr != nil {
		l.Evidence["shapes_error"] = envelope.From(shapesErr).Message
	}
	var recentViolation *cache.Violation
	var violRoute string
	for _, sh := range shapes {
		prefix := sh.Route + "_"
		if sh.Print != "" {
			l.Evidence[prefix+"print"] = sh.Print
		}
		if sh.DriftCount > 0 {
			l.Evidence[prefix+"drift_count"] = sh.DriftCount
		}
		if sh.LastDrift != nil {
			l.Evidence[prefix+"last_drift"] = fmt.Sprintf("%s (%s, %s → %s, %s)", sh.LastDrift.Changes, sh.LastDrift.Cause,
				sh.LastDrift.From, sh.LastDrift.To, sh.LastDrift.At.UTC().Format(time.RFC3339))
		}
		if sh.Violations > 0 {
			l.Evidence[prefix+"contract_violations"] = sh.Violations
		}
		if v := sh.LastViolation; v != nil {
			l.Evidence[prefix+"last_violation"] = fmt.Sprintf("%s at %s (%s)", v.Text, v.Request, v.At.UTC().Format(time.RFC3339))
			if time.Since(v.At) < 10*time.Minute && (recentViolation == nil || v.At.After(recentViolation.At)) {
				recentViolation, violRoute = v, sh.Route
			}
		}
		if sh.Probe != nil {
			l.Evidence[prefix+"probe"] = sh.Probe.Outcome
		}
	}
	for _, run := range runs {
		if !run.refused() {
			continue
		}
		l.State = StateDown
		l.Summary = fmt.Sprintf("The %s answers (%s) no longer match the contract: %s", run.Route.Name, strings.ToLower(run.Route.Summary), run.Err.Message)
		l.Evidence["failing_request"] = run.Request
		if run.Version != "" {
			l.Evidence["failing_schema_version"] = run.Version
		}
		l.Advice = "The backend changed what it answers; weather_apis serves nothing older than the change. Ask the backend team, or check WEATHER_APIS_UPSTREAM_CONTRACT_MODE (report never blocks)."
		return l
	}
	switch {
	case cs.Configured && cs.Error != "":
		l.State, l.Summary = StateDegraded, "The upstream's published contract cannot be read: "+cs.Error
		l.Advice = "Check WEATHER_APIS_UPSTREAM_OPENAPI_PATH (or the file given); answers are checked by the generic rules alone meanwhile."
	case recentViolation != nil:
		l.State = StateDegraded
		l.Summary = fmt.Sprintf("The %s answers break the upstream's published contract (%s mode): %s", violRoute, cs.Mode, recentViolation.Text)
		l.Advice = "The answers are served, labelled detail=contract-violation in Cache-Status. DRF's generated documents are often imprecise; tell the backend team which one is wrong."
	}
	return l
}

// routesLayer is every cached read route as a client gets it.
func (ls *Layers) routesLayer(runs []routeRun) Layer {
	l := Layer{Layer: "routes", State: StateOK, Summary: "Every cached read route answers a client.", Evidence: map[string]any{}}
	for _, run := range runs {
		if run.Request == "" {
			l.Evidence[run.Route.Name] = "not exercised: " + run.Why
			continue
		}
		desc := fmt.Sprintf("%s → %d", run.Request, run.Status)
		if run.XCache != "" {
			desc += " " + run.XCache
		}
		if run.Version != "" {
			desc += " schema " + run.Version
		}
		if run.Err != nil {
			desc += " " + string(run.Err.Code) + ": " + run.Err.Message
		}
		l.Evidence[run.Route.Name] = desc
		if run.failed() && l.State == StateOK {
			l.State = StateDown
			l.Summary = fmt.Sprintf("%s answers %d %s: %s", run.Request, run.Status, run.Err.Code, run.Err.Message)
			l.Advice = "This is what a client gets now; the layers above say why."
		}
	}
	return l
}
