package testenv

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// get sends an authenticated GET and returns status, headers and body.
func get(t *testing.T, url, access string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

func schemaShape(t *testing.T, body string) (version int, sections, fields bool) {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("schema is not a JSON object: %v", err)
	}
	if err := json.Unmarshal(doc["schema_version"], &version); err != nil {
		t.Fatalf("schema_version: %v", err)
	}
	_, sections = doc["sections"]
	_, fields = doc["fields"]
	return version, sections, fields
}

func TestDRF(t *testing.T) {
	d := StartDRF(t, DRFOptions{AccessTTL: time.Minute})
	access, refresh := d.Token(t)
	if access == "" || refresh == "" {
		t.Fatalf("empty token pair")
	}
	schemaURL := d.URL() + "/api/v1/admin/farms/schema"

	resp, body, err := get(t, schemaURL, access)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("schema v1: %v %v", err, resp)
	}
	if v, sections, fields := schemaShape(t, body); v != 1 || sections || !fields {
		t.Errorf("v1 shape: version %d sections %v fields %v", v, sections, fields)
	}
	if len(body) < 5000 {
		t.Errorf("schema is %d bytes, want about 6 KB", len(body))
	}

	d.SetSchema(t, 2)
	resp, body, err = get(t, schemaURL, access)
	if err != nil || resp.Header.Get("X-Schema-Version") != "2" {
		t.Fatalf("schema v2: %v %v", err, resp)
	}
	if v, sections, fields := schemaShape(t, body); v != 2 || !sections || fields {
		t.Errorf("v2 shape: version %d sections %v fields %v", v, sections, fields)
	}

	d.SetFaults(t, Faults{FailRate: 1, HTMLErrors: true, Paths: "^/api/v1/farms/"})
	resp, body, err = get(t, d.URL()+"/api/v1/farms/", access)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "503 Service Temporarily Unavailable") {
		t.Errorf("html fault: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp, _, err := get(t, schemaURL, access); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("paths regexp should spare the schema: %v %v", err, resp)
	}
	d.ClearFaults(t)
	if resp, _, err := get(t, d.URL()+"/api/v1/farms/", access); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("after ClearFaults: %v %v", err, resp)
	}

	s := d.Stats(t)
	if s.TokenObtain != 1 || s.Requests["GET /api/v1/admin/farms/schema"] != 3 ||
		s.Requests["GET /api/v1/farms/"] != 2 || s.Faults["GET /api/v1/farms/"] != 1 || s.FaultsByKind["fail"] != 1 {
		t.Errorf("stats: %+v", s)
	}
	d.ResetStats(t)
	if s := d.Stats(t); s.RequestsTotal != 0 || s.TokenObtain != 0 {
		t.Errorf("stats after reset: %+v", s)
	}
}

func TestDRFFaultKinds(t *testing.T) {
	d := StartDRF(t, DRFOptions{})
	access, _ := d.Token(t)
	url := d.URL() + "/api/v1/farms/1/"
	cases := []struct {
		name   string
		faults Faults
		status int    // 0: the connection must fail
		header string // "Name: value" the answer must carry
	}{
		{"json 502", Faults{FailRate: 1, FailStatus: 502}, 502, "Content-Type: application/json"},
		{"rate limit", Faults{RateLimit: true, RetryAfter: 3}, 429, "Retry-After: 3"},
		{"reset", Faults{ResetConnections: true}, 0, ""},
		{"max faults spent", Faults{FailRate: 1, MaxFaults: 1}, 200, "X-Schema-Version: 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d.SetFaults(t, tc.faults)
			if tc.faults.MaxFaults > 0 {
				_, _, _ = get(t, url, access) // spends the one fault
			}
			resp, _, err := get(t, url, access)
			if tc.status == 0 {
				if err == nil || !errors.Is(err, syscall.ECONNRESET) && !strings.Contains(err.Error(), "EOF") {
					t.Fatalf("want a reset connection, got %v %v", err, resp)
				}
				return
			}
			if err != nil || resp.StatusCode != tc.status {
				t.Fatalf("want %d, got %v %v", tc.status, err, resp)
			}
			name, value, _ := strings.Cut(tc.header, ": ")
			if got := resp.Header.Get(name); !strings.HasPrefix(got, value) {
				t.Errorf("%s = %q, want %q", name, got, value)
			}
		})
	}
	d.ClearFaults(t)
	if resp, _, err := get(t, url, access); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("workers must survive resets: %v %v", err, resp)
	}
}

func TestDRFRestartKeepsDatabase(t *testing.T) {
	d := StartDRF(t, DRFOptions{Workers: 1})
	d.SetSchema(t, 2)
	d.SetFaults(t, Faults{FailRate: 1})
	d.Stop(t)
	d.Start(t)
	access, _ := d.Token(t) // faults were cleared by the restart, or this fails
	resp, _, err := get(t, d.URL()+"/api/v1/admin/farms/schema", access)
	if err != nil || resp.Header.Get("X-Schema-Version") != "2" {
		t.Fatalf("schema version after restart: %v %v", err, resp)
	}
}
