package diagnostics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/resources"
	"github.com/weather-apis/weather_apis/internal/testenv"
)

type enabled struct{}

func (enabled) Enabled() bool { return true }

// TestDoctorFollowsTheClientsPath: the doctor exercises every cached read
// route the way a client reads it. A backend layout that flows through
// (renamed keys under a new version, a nested farm state) is healthy; a
// schema answer that cannot be used is named in the contract layer with its
// evidence, and the doctor never says "healthy" meanwhile.
func TestDoctorFollowsTheClientsPath(t *testing.T) {
	w := newWorld(t, enabled{}, testenv.SharedDRF(t, testenv.DRFOptions{}))
	ctx := context.Background()
	for _, id := range []string{"2", "3"} {
		if _, err := w.res.Read(ctx, "farm_state", resources.Params{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if out := doctor(t, w); !strings.Contains(out, "Verdict: Every layer is healthy.") {
		t.Fatalf("doctor on a healthy stack:\n%s", out)
	}

	// Layouts nobody here scripted flow through: still healthy.
	w.drf.SetLayout(t, testenv.Layout{Schema: "renamed-keys", SchemaVersion: ptr("2"), FarmState: "ndvi-object"})
	d := diagnose(w)
	if c := findLayer(t, d, "cache"); c.State != diagnostics.StateOutdated {
		t.Errorf("cache layer right after the switch = %+v; want outdated (and fixed)", c)
	}
	d = diagnose(w)
	if !d.Healthy {
		t.Fatalf("a backend that evolved but answers usable JSON is not an outage: %s", d.Verdict)
	}
	routes := findLayer(t, d, "routes")
	if !strings.Contains(routes.Evidence["farm_schema"].(string), "schema 2") {
		t.Errorf("routes evidence = %v; want the schema read at version 2", routes.Evidence)
	}

	// The farm state goes back to a flat ndvi, with no version change: the
	// doctor's own probe round finds it, and what a client reads is the new
	// shape, not the cached nested one.
	if a, err := w.res.Read(ctx, "farm_state", resources.Params{ID: "2"}); err != nil || !strings.Contains(string(a.Body), `"mean"`) {
		t.Fatalf("nested state = %s, %v", a.Body, err)
	}
	w.drf.SetLayout(t, testenv.Layout{FarmState: "flat"})
	d = diagnose(w)
	c := findLayer(t, d, "contract")
	if drift, _ := c.Evidence["farm_state_last_drift"].(string); !strings.Contains(drift, "/ndvi changed from object to number") {
		t.Errorf("contract evidence after a shape change = %v", c.Evidence)
	}
	if a, _ := w.res.Read(ctx, "farm_state", resources.Params{ID: "2"}); !strings.Contains(string(a.Body), `"ndvi":0`) && !strings.Contains(string(a.Body), `"ndvi":-`) {
		t.Errorf("client read after the doctor = %s %s; want the flat shape", a.XCache, a.Body)
	}

	// The schema answer loses its schema_version: a client's read fails.
	w.drf.SetLayout(t, testenv.Layout{Schema: "no-version", SchemaVersion: ptr("3")})
	if _, err := w.res.Read(ctx, "farm_schema", resources.Params{Revalidate: true}); envelope.CodeOf(err) != envelope.CodeUpstreamBadResponse {
		t.Fatalf("client read = %v; want UPSTREAM_BAD_RESPONSE", err)
	}
	d = diagnose(w)
	if d.Healthy || !strings.Contains(d.Verdict, "The contract layer is down") || !strings.Contains(d.Verdict, "farm_schema") ||
		!strings.Contains(d.Verdict, "schema_version") {
		t.Fatalf("verdict while the schema route fails = %q", d.Verdict)
	}
	c = findLayer(t, d, "contract")
	if c.Evidence["failing_request"] != "GET /api/v1/admin/farms/schema" {
		t.Errorf("contract evidence = %v", c.Evidence)
	}
	if r := findLayer(t, d, "routes"); r.State != diagnostics.StateDown {
		t.Errorf("routes layer = %+v; want down", r)
	}
	out := doctor(t, w)
	if strings.Contains(out, "healthy") && strings.Contains(out, "Verdict: Every layer") {
		t.Fatalf("doctor said healthy while a route fails:\n%s", out)
	}
}

// TestRedisFailuresSayRedis: what fails because Redis is down says so
// (STORE_UNAVAILABLE), not that the farm service is unavailable.
func TestRedisFailuresSayRedis(t *testing.T) {
	w := newWorld(t, enabled{}, testenv.SharedDRF(t, testenv.DRFOptions{}))
	w.redis.Stop(t)
	_, err := w.admin.Flush(context.Background(), "")
	if e := envelope.From(err); e == nil || e.Code != envelope.CodeStoreUnavailable || envelope.StatusFor(e) != 503 || !strings.Contains(e.Message, "Redis") {
		t.Errorf("flush with Redis down = %v; want a 503 STORE_UNAVAILABLE naming Redis", err)
	}
	if _, err := w.admin.Verify(context.Background()); envelope.CodeOf(err) != envelope.CodeStoreUnavailable {
		t.Errorf("verify with Redis down = %v; want STORE_UNAVAILABLE", err)
	}
}

func diagnose(w world) diagnostics.Diagnosis { return w.doctor.Diagnose(context.Background()) }

func ptr[T any](v T) *T { return &v }
