package exapp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/internal/exapp"
)

type fakeContribution struct {
	calls    []string
	failWith error
}

func (f *fakeContribution) Register(context.Context) error {
	f.calls = append(f.calls, "register")
	return f.failWith
}

func (f *fakeContribution) Unregister(context.Context) error {
	f.calls = append(f.calls, "unregister")
	return f.failWith
}

// TestContributionsAreOptional: a contribution (setup checks) registers on
// enable after everything else; its failure does not fail the enable, and
// is reported on disable.
func TestContributionsAreOptional(t *testing.T) {
	t.Parallel()
	nc := &fakeNC{}
	c := &fakeContribution{}
	lc := exapp.New(exapp.Options{NC: nc, Contributions: []exapp.Contribution{c}})
	ctx := context.Background()
	if err := lc.SetEnabled(ctx, true); err != nil || !lc.Enabled() {
		t.Fatalf("enable = %v", err)
	}
	if err := lc.SetEnabled(ctx, false); err != nil {
		t.Fatalf("disable = %v", err)
	}
	if strings.Join(c.calls, ",") != "register,unregister" {
		t.Errorf("calls = %v", c.calls)
	}
	c.failWith = errors.New("cannot opt in")
	if err := lc.SetEnabled(ctx, true); err != nil || !lc.Enabled() {
		t.Errorf("enable with a failing contribution = %v; want success", err)
	}
	if err := lc.SetEnabled(ctx, false); err == nil || !strings.Contains(err.Error(), "cannot opt in") {
		t.Errorf("disable with a failing contribution = %v; want it reported", err)
	}
}
