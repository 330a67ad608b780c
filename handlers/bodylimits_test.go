package handlers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/weather-apis/weather_apis/handlers"
)

// TestWriteBodyLimits: write bodies that nest deeper than 32 levels or carry
// a number longer than 64 characters are refused locally with 400, before
// anything goes upstream; bodies at the limits pass.
func TestWriteBodyLimits(t *testing.T) {
	writes := 0
	h := newServer(t, func(d *handlers.Deps) {
		d.MaxBodyBytes = 1 << 20
		inner := d.Resources.(*fakeResources).WriteFn
		d.Resources.(*fakeResources).WriteFn = func(ctx context.Context, route string, p handlers.Params, body []byte) (handlers.Answer, error) {
			writes++
			return inner(ctx, route, p, body)
		}
	})
	nest := func(n int) string { return strings.Repeat("[", n) + "1" + strings.Repeat("]", n) }
	cases := []struct {
		name, body string
		want       int
	}{
		{"32 levels", `{"a":` + nest(31) + `}`, 201},
		{"33 levels", `{"a":` + nest(32) + `}`, 400},
		{"deep objects", strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1000), 400},
		{"64-character number", `{"ndvi":` + strings.Repeat("9", 64) + `}`, 201},
		{"65-character number", `{"ndvi":` + strings.Repeat("9", 65) + `}`, 400},
		{"5000-digit integer", `{"farm":` + strings.Repeat("1", 5000) + `}`, 400},
		{"long string is fine", `{"name":"` + strings.Repeat("x", 5000) + `"}`, 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := writes
			rec := do(t, h, req{method: "POST", path: "/api/v1/admin/farms", body: tc.body, user: admin,
				headers: map[string]string{"Content-Type": "application/json"}})
			if rec.Code != tc.want {
				t.Fatalf("status %d; want %d: %s", rec.Code, tc.want, rec.Body)
			}
			w := mustEnvelope(t, rec)
			if tc.want == 400 {
				if writes != before || w.Error == nil || w.Error.Code != "BAD_REQUEST" {
					t.Errorf("refused body went upstream (%d writes) or wrong error %+v", writes-before, w.Error)
				}
			}
		})
	}
}
