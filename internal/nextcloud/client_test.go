package nextcloud_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/appapi"
	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

var creds = appapi.Credentials{AppID: "weather_apis", AppVersion: "1.0.0", AAVersion: "32.0.0", Secret: "sekret"}

func ocs(w http.ResponseWriter, httpStatus, statuscode int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_ = json.NewEncoder(w).Encode(map[string]any{"ocs": map[string]any{"meta": map[string]any{"status": "ok", "statuscode": statuscode, "message": "m"}, "data": data}})
}

func newClient(t *testing.T, url string) *nextcloud.Client {
	t.Helper()
	c, err := nextcloud.New(nextcloud.Options{BaseURL: url, Creds: creds, MaxRetries: 2, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOCSHeadersAndEnvelope(t *testing.T) {
	t.Parallel()
	var got http.Header
	var gotQuery, gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotQuery = r.Header.Clone(), r.URL.RawQuery
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		ocs(w, 200, 100, []map[string]string{{"configkey": "upstream_url", "configvalue": "http://x"}})
	}))
	defer srv.Close()
	vals, err := newClient(t, srv.URL).AppConfigValues(nextcloud.WithRequestID(context.Background(), "rid-7"), "upstream_url")
	if err != nil {
		t.Fatalf("AppConfigValues: %v", err)
	}
	if vals["upstream_url"] != "http://x" {
		t.Errorf("values = %v", vals)
	}
	id, err := appapi.NewVerifier("weather_apis", "sekret").Verify(got)
	if err != nil {
		t.Errorf("request not signed correctly: %v", err)
	}
	if id.UserID != "" {
		t.Errorf("user = %q; want empty", id.UserID)
	}
	for k, want := range map[string]string{"OCS-APIRequest": "true", "Accept": "application/json", "AA-VERSION": "32.0.0", "AA-REQUEST-ID": "rid-7", "EX-APP-VERSION": "1.0.0"} {
		if got.Get(k) != want {
			t.Errorf("header %s = %q; want %q", k, got.Get(k), want)
		}
	}
	if !strings.Contains(gotQuery, "format=json") {
		t.Errorf("query %q lacks format=json", gotQuery)
	}
	if !strings.Contains(gotBody, `"configKeys":["upstream_url"]`) {
		t.Errorf("body = %s", gotBody)
	}
}

func TestOCSFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		status     int
		statuscode int
		body       string
		wantNF     bool
	}{
		{"v1 not found in meta", 200, 404, "", true},
		{"appapi auth failed", 401, 997, "", false},
		{"html answer", 200, 0, "<html>oops</html>", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.body != "" {
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, tc.body)
					return
				}
				ocs(w, tc.status, tc.statuscode, nil)
			}))
			defer srv.Close()
			err := newClient(t, srv.URL).Log(context.Background(), nextcloud.LevelWarn, "x")
			if err == nil {
				t.Fatalf("Log() = nil; want an error")
			}
			if nextcloud.IsNotFound(err) != tc.wantNF {
				t.Errorf("IsNotFound(%v) = %v; want %v", err, !tc.wantNF, tc.wantNF)
			}
		})
	}
}

func TestOCSRetriesTransientOnly(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		ocs(w, 200, 100, nil)
	}))
	defer srv.Close()
	if err := newClient(t, srv.URL).SetInitProgress(context.Background(), 50, ""); err != nil {
		t.Fatalf("SetInitProgress after two 503s = %v; want nil", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("calls = %d; want 3", n)
	}

	calls.Store(0)
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		ocs(w, 401, 997, nil)
	}))
	defer srv2.Close()
	if err := newClient(t, srv2.URL).SetInitProgress(context.Background(), 50, ""); err == nil {
		t.Fatalf("SetInitProgress with 401 = nil; want error")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("401 was retried: calls = %d; want 1", n)
	}
}

func TestLogHandlerShipsWarnings(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var shipped []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		shipped = append(shipped, m)
		mu.Unlock()
		ocs(w, 200, 100, nil)
	}))
	defer srv.Close()
	h := nextcloud.NewLogHandler(slog.NewTextHandler(io.Discard, nil), newClient(t, srv.URL), slog.LevelWarn)
	log := slog.New(h).With("route", "schema")
	log.Info("not shipped")
	log.Warn("upstream slow", "ms", 900)
	log.Error("upstream down")
	h.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(shipped) != 2 {
		t.Fatalf("shipped %d records; want 2: %v", len(shipped), shipped)
	}
	if shipped[0]["level"] != float64(nextcloud.LevelWarn) || !strings.Contains(shipped[0]["message"].(string), "route=schema") {
		t.Errorf("first shipped = %v", shipped[0])
	}
	if shipped[1]["level"] != float64(nextcloud.LevelError) {
		t.Errorf("second shipped level = %v; want error", shipped[1]["level"])
	}
}

// TestLogHandlerSaysWhatItDropped: records logged faster than Nextcloud
// takes them are dropped beyond the queue (logging never blocks), and
// nextcloud.log is then told how many were not sent.
func TestLogHandlerSaysWhatItDropped(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	var shipped []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // Nextcloud is slow: the queue fills
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		shipped = append(shipped, m["message"].(string))
		mu.Unlock()
		ocs(w, 200, 100, nil)
	}))
	defer srv.Close()
	h := nextcloud.NewLogHandler(slog.NewTextHandler(io.Discard, nil), newClient(t, srv.URL), slog.LevelWarn)
	log := slog.New(h)
	for i := range 400 { // more than the queue holds
		log.Warn("busy", "i", i)
	}
	close(release)
	h.Close()
	mu.Lock()
	defer mu.Unlock()
	var busy, said int
	for _, m := range shipped {
		switch {
		case strings.HasPrefix(m, "busy"):
			busy++
		case strings.Contains(m, "log records were not sent to nextcloud.log"):
			var n int
			_, _ = fmt.Sscanf(m, "%d", &n)
			said += n
		}
	}
	if busy+said != 400 || said == 0 {
		t.Fatalf("shipped %d of 400 records and said %d were dropped; want the two to add up, with some dropped", busy, said)
	}
}
