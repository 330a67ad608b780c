package upstream

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

func TestFullJitterStaysUnderCap(t *testing.T) {
	t.Parallel()
	lo, hi := 10*time.Millisecond, 300*time.Millisecond
	for n := range 80 {
		ceil := hi
		if n < 10 && lo<<n < hi {
			ceil = lo << n
		}
		for range 200 {
			if d := fullJitter(lo, hi, n); d < 0 || d > ceil {
				t.Fatalf("fullJitter(n=%d) = %v; want within [0, %v]", n, d, ceil)
			}
		}
	}
}

func TestRetryAfterParse(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tc := range cases {
		got, ok := retryAfter(tc.in, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStatusErrorTable(t *testing.T) {
	t.Parallel()
	html := http.Header{"Content-Type": {"text/html"}}
	cases := []struct {
		name        string
		status      int
		hdr         http.Header
		body        string
		code        envelope.Code
		httpStatus  int
		msgContains string
		details     any
	}{
		{"field errors", 400, nil, `{"name":["This field is required."]}`, envelope.CodeValidationFailed, 422, "fields",
			map[string]any{"name": []any{"This field is required."}}},
		{"non-field list", 400, nil, `["bad"]`, envelope.CodeValidationFailed, 422, "fields",
			map[string]any{"non_field_errors": []any{"bad"}}},
		{"parse error detail", 400, nil, `{"detail":"JSON parse error"}`, envelope.CodeBadRequest, 400, "JSON parse error",
			map[string]any{"detail": "JSON parse error"}},
		{"html 400", 400, html, `<html>bad</html>`, envelope.CodeBadRequest, 400, "rejected", nil},
		{"401", 401, nil, `{"detail":"x"}`, envelope.CodeUpstreamUnavailable, 502, "service account", nil},
		{"403", 403, nil, `{"detail":"x"}`, envelope.CodeUpstreamUnavailable, 502, "service account", nil},
		{"404 with detail", 404, nil, `{"detail":"No Farm matches the given query."}`, envelope.CodeNotFound, 404, "No Farm matches",
			map[string]any{"detail": "No Farm matches the given query."}},
		{"404 html", 404, html, `<h1>Not Found</h1>`, envelope.CodeNotFound, 404, "Not found", nil},
		{"410", 410, nil, `{}`, envelope.CodeNotFound, 404, "Not found", map[string]any{}},
		{"409", 409, nil, `{"detail":"busy"}`, envelope.CodeBadRequest, 409, "busy", map[string]any{"detail": "busy"}},
		{"413", 413, nil, ``, envelope.CodePayloadTooLarge, 413, "too large", nil},
		{"429", 429, nil, `{"detail":"slow down"}`, envelope.CodeUpstreamUnavailable, 503, "rate limiting", nil},
		{"500 json", 500, nil, `{"detail":"oops"}`, envelope.CodeUpstreamUnavailable, 502, "failed", nil},
		{"502 html", 502, html, `<html><body>Bad Gateway</body></html>`, envelope.CodeUpstreamUnavailable, 502, "HTML", nil},
		{"503 html without content type", 503, nil, `<!doctype html><p>maintenance`, envelope.CodeUpstreamUnavailable, 503, "HTML", nil},
		{"503 text", 503, nil, `service unavailable`, envelope.CodeUpstreamUnavailable, 503, "not JSON", nil},
		{"504 empty", 504, nil, ``, envelope.CodeUpstreamUnavailable, 502, "failed", nil},
		{"302", 302, nil, ``, envelope.CodeUpstreamBadResponse, 502, "unexpected status", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.hdr
			if h == nil {
				h = http.Header{"Content-Type": {"application/json"}}
			}
			e := statusError(tc.status, h, []byte(tc.body))
			if e.Code != tc.code || e.Status != tc.httpStatus || !strings.Contains(e.Message, tc.msgContains) {
				t.Errorf("statusError(%d, %q) = %s/%d %q; want %s/%d containing %q", tc.status, tc.body, e.Code, e.Status, e.Message, tc.code, tc.httpStatus, tc.msgContains)
			}
			if !reflect.DeepEqual(e.Details, tc.details) {
				t.Errorf("details = %#v; want %#v", e.Details, tc.details)
			}
			if ub, ok := e.Cause.(*upstreamBody); !ok || ub.snippet != tc.body {
				t.Errorf("cause %v does not keep the upstream body", e.Cause)
			}
			if strings.Contains(e.Message, "<") {
				t.Errorf("message %q leaks markup", e.Message)
			}
		})
	}
}
