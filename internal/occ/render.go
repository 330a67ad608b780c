// Package occ runs the weather_apis:* occ commands that AppAPI forwards to
// the ExApp (internal/exapp.OccCommands registers them) and renders their
// console text. It prints the same reports the admin routes answer as JSON.
package occ

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/weather-apis/weather_apis/internal/cacheadmin"
	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/exapp"
)

// CacheAdmin administers the cache (*cacheadmin.Admin).
type CacheAdmin interface {
	Stats(ctx context.Context) (cacheadmin.StatsReport, error)
	Flush(ctx context.Context, route string) (cacheadmin.FlushReport, error)
	Verify(ctx context.Context) (cacheadmin.VerifyReport, error)
}

// Doctor runs the complete diagnosis (*diagnostics.Doctor).
type Doctor interface {
	Diagnose(ctx context.Context) diagnostics.Diagnosis
}

// Credentials manages integration credentials (*credentials.Store).
type Credentials interface {
	Create(ctx context.Context, req credentials.CreateRequest) (credentials.View, error)
	List(ctx context.Context) ([]credentials.View, error)
	Revoke(ctx context.Context, id string) (credentials.View, error)
}

// Runner runs the occ commands.
type Runner struct {
	cache  CacheAdmin
	doctor Doctor
	creds  Credentials
}

// New returns a Runner; every dependency is required.
func New(c CacheAdmin, d Doctor, cr Credentials) *Runner {
	return &Runner{cache: c, doctor: d, creds: cr}
}

// RunOcc runs the occ command whose handler path is cmd (see
// exapp.OccCommands) and returns console text. An error's message is safe
// to show on the console.
func (r *Runner) RunOcc(ctx context.Context, cmd string, in exapp.OccInput) (string, error) {
	switch cmd {
	case "cache/stats":
		st, err := r.cache.Stats(ctx)
		if err != nil {
			return "", plainErr(err)
		}
		return renderStats(st), nil
	case "cache/flush":
		route, _ := in.Options["route"].(string)
		f, err := r.cache.Flush(ctx, route)
		if err != nil {
			return "", plainErr(err)
		}
		return fmt.Sprintf("Flushed: %s (old entries are unreachable at once and expire by their TTL)\n", f.Flushed), nil
	case "cache/verify":
		v, err := r.cache.Verify(ctx)
		if err != nil {
			return "", plainErr(err)
		}
		return renderVerify(v), nil
	case "doctor":
		return renderDiagnosis(r.doctor.Diagnose(ctx)), nil
	case "credentials/create", "credentials/list", "credentials/revoke":
		return r.credentials(ctx, strings.TrimPrefix(cmd, "credentials/"), in)
	}
	return "", fmt.Errorf("unknown command %q", cmd)
}

func plainErr(err error) error {
	return fmt.Errorf("%s", envelope.From(err).Message)
}

func renderStats(r cacheadmin.StatsReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cache (schema version %s, generation %d, shared across processes: %v)\n", orDash(r.Cache.SchemaVersion), r.Cache.Generation, r.Cache.Shared)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTE\tHITS\tMISSES\tSTALE\tBYPASS\tVALIDATION FAILURES\tINVALIDATIONS\tUPSTREAM LOADS\tCOLLAPSED")
	routes := make([]string, 0, len(r.Cache.Routes))
	for k := range r.Cache.Routes {
		routes = append(routes, k)
	}
	sort.Strings(routes)
	for _, k := range routes {
		c := r.Cache.Routes[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", k, c.Hits, c.Misses, c.Stale, c.Bypass, c.ValidationFailures, c.Invalidations, c.Loads, c.Collapsed)
	}
	t := r.Cache.Total
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", t.Hits, t.Misses, t.Stale, t.Bypass, t.ValidationFailures, t.Invalidations, t.Loads, t.Collapsed)
	tw.Flush()
	fmt.Fprintf(&b, "\nUpstream (this process): calls %d, attempts %d, retries %d\n", r.Upstream.Calls, r.Upstream.Attempts, r.Upstream.Retries)
	fmt.Fprintf(&b, "DRF token (this process): obtains %d, refreshes %d, waited for another process %d, local fallbacks %d\n",
		r.Token.Obtains, r.Token.Refreshes, r.Token.LockWaits, r.Token.Fallbacks)
	return b.String()
}

func renderVerify(r cacheadmin.VerifyReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Checked %d cached entries: %d same, %d different (deleted), %d could not be re-read\n", r.Checked, r.Same, r.Different, r.Errors)
	if len(r.Entries) == 0 {
		return b.String()
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTE\tREQUEST\tVERDICT\tCACHED SCHEMA\tFRESH SCHEMA\tNOTE")
	for _, d := range r.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Entry.Route, d.Entry.Request, d.Verdict, orDash(d.Entry.SchemaVersion), orDash(d.FreshSchemaVersion), d.Error)
	}
	tw.Flush()
	return b.String()
}

func renderDiagnosis(d diagnostics.Diagnosis) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LAYER\tSTATE\tSUMMARY")
	for _, l := range d.Layers {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Layer, strings.ToUpper(l.State), l.Summary)
	}
	tw.Flush()
	b.WriteString("\n")
	for _, l := range d.Layers {
		keys := make([]string, 0, len(l.Evidence))
		for k := range l.Evidence {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%v", k, l.Evidence[k]))
		}
		fmt.Fprintf(&b, "%s: %s\n", l.Layer, strings.Join(parts, " "))
	}
	b.WriteString("\nVerdict: " + d.Verdict + "\n")
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
