package envelope_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

func TestAppendJSONIsValidAndComplete(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  envelope.Envelope
	}{
		{"success with data", envelope.Envelope{Data: json.RawMessage(`{"a":1}`), Source: envelope.SourceCache, Version: envelope.Version{App: "1.0.0", Schema: "2"}, RequestID: "r1"}},
		{"error without data", envelope.Envelope{Error: envelope.New(envelope.CodeNotFound, "no \"such\" farm"), Source: envelope.SourceLocal, Version: envelope.Version{App: "1.0.0"}, RequestID: "r\n2"}},
		{"error with unencodable details", envelope.Envelope{Error: envelope.New(envelope.CodeInternal, "x").WithDetails(func() {}), Source: envelope.SourceLocal}},
		{"strings that need escaping", envelope.Envelope{Source: envelope.SourceCache, Version: envelope.Version{App: "1.0.0-\"beta\"\\x", Schema: "v<2>&\x00\x7fé\u2028"}, RequestID: "id\t\"q\""}},
		{"invalid UTF-8", envelope.Envelope{Source: envelope.SourceCache, Version: envelope.Version{App: "1", Schema: "\xff\xfe"}, RequestID: "\xc3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.env.AppendJSON(nil)
			var w envelope.Wire
			if err := json.Unmarshal(b, &w); err != nil {
				t.Fatalf("AppendJSON produced invalid JSON %q: %v", b, err)
			}
			var m map[string]json.RawMessage
			_ = json.Unmarshal(b, &m)
			for _, k := range []string{"data", "error", "source", "version", "request_id"} {
				if _, ok := m[k]; !ok {
					t.Errorf("member %q missing in %s", k, b)
				}
			}
			if w.Version.Envelope != envelope.FormatVersion {
				t.Errorf("version.envelope = %d; want %d", w.Version.Envelope, envelope.FormatVersion)
			}
			if (w.Error == nil) != (tc.env.Error == nil) {
				t.Errorf("error presence = %v; want %v", w.Error != nil, tc.env.Error != nil)
			}
			if tc.env.Version.Schema == "" && w.Version.Schema != nil {
				t.Errorf("schema = %q; want null", *w.Version.Schema)
			}
			// Strings round-trip exactly (invalid UTF-8 becomes U+FFFD, as
			// encoding/json does).
			want := func(s string) string { q, _ := json.Marshal(s); var u string; _ = json.Unmarshal(q, &u); return u }
			if w.RequestID != want(tc.env.RequestID) || w.Version.App != want(tc.env.Version.App) {
				t.Errorf("request_id, app = %q, %q; want %q, %q", w.RequestID, w.Version.App, want(tc.env.RequestID), want(tc.env.Version.App))
			}
			if s := tc.env.Version.Schema; s != "" && (w.Version.Schema == nil || *w.Version.Schema != want(s)) {
				t.Errorf("schema = %v; want %q", w.Version.Schema, want(s))
			}
		})
	}
}

func TestWriteHeaders(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Cache", "HIT")
	envelope.Write(rec, 404, envelope.Envelope{Error: envelope.New(envelope.CodeNotFound, "nope"), RequestID: "abc"})
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q; want no-store", got)
	}
	if got := rec.Header().Get("X-Request-Id"); got != "abc" {
		t.Errorf("X-Request-Id = %q; want abc", got)
	}
	if got := rec.Header().Get("X-Cache"); got != "HIT" {
		t.Errorf("caller header lost: X-Cache = %q", got)
	}
	if rec.Code != 404 {
		t.Errorf("status = %d; want 404", rec.Code)
	}
}

func TestFrom(t *testing.T) {
	t.Parallel()
	if got := envelope.From(errors.New("boom")); got.Code != envelope.CodeInternal || got.Message != "Internal error" {
		t.Errorf("From(plain) = %v; want INTERNAL with generic message", got)
	}
	inner := envelope.New(envelope.CodeForbidden, "no")
	wrapped := errors.Join(errors.New("ctx"), inner)
	if got := envelope.From(wrapped); got != inner {
		t.Errorf("From(wrapped) = %v; want the inner *Error", got)
	}
	if got := envelope.StatusFor(envelope.New(envelope.CodeUpstreamUnavailable, "x").WithStatus(503)); got != 503 {
		t.Errorf("StatusFor(WithStatus 503) = %d; want 503", got)
	}
}
