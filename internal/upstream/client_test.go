package upstream_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/upstream"
)

func TestRetriesOnlyListedStatuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status    int
		wantHits  int
		wantCode  envelope.Code
		wantHTTP  int
		retryable bool
	}{
		{429, 3, envelope.CodeUpstreamUnavailable, 503, true},
		{502, 3, envelope.CodeUpstreamUnavailable, 502, true},
		{503, 3, envelope.CodeUpstreamUnavailable, 503, true},
		{504, 3, envelope.CodeUpstreamUnavailable, 502, true},
		{500, 1, envelope.CodeUpstreamUnavailable, 502, true},
		{501, 1, envelope.CodeUpstreamUnavailable, 502, true},
		{400, 1, envelope.CodeValidationFailed, 422, false},
		{403, 1, envelope.CodeUpstreamUnavailable, 502, false},
		{404, 1, envelope.CodeNotFound, 404, false},
		{409, 1, envelope.CodeBadRequest, 409, false},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			d := newDRF(t, answer(tc.status, `{"name":["This field is required."]}`))
			c, ctr, _ := newClient(t, d.URL, nil)
			_, err := c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/api/v1/farms/"})
			e := envelope.From(err)
			if e == nil || e.Code != tc.wantCode || e.Status != tc.wantHTTP || e.Retryable != tc.retryable {
				t.Fatalf("GET answered %d: err = %+v; want %s/%d retryable=%v", tc.status, e, tc.wantCode, tc.wantHTTP, tc.retryable)
			}
			if d.hits() != tc.wantHits {
				t.Errorf("GET answered %d: upstream hits = %d; want %d", tc.status, d.hits(), tc.wantHits)
			}
			if s := ctr.Snapshot(); s.Attempts != int64(tc.wantHits) || s.Retries != int64(tc.wantHits-1) || s.Failures[tc.wantCode] != 1 {
				t.Errorf("counters = %+v; want attempts %d retries %d failure %s", s, tc.wantHits, tc.wantHits-1, tc.wantCode)
			}
		})
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	d := newDRF(t, answer(503, "busy"), answer(502, ""), answer(200, `{"ok":true}`, "X-Schema-Version", "7"))
	c, _, _ := newClient(t, d.URL, nil)
	resp, err := c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/api/v1/farms/", RequestID: "rid-1"})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.Attempts != 3 || resp.SchemaVersion != "7" || string(resp.Body) != `{"ok":true}` {
		t.Errorf("resp = %+v; want 3 attempts, schema 7, body ok", resp)
	}
	for i := range 3 {
		if got := d.req(i).Header.Get("X-Request-Id"); got != "rid-1" {
			t.Errorf("attempt %d X-Request-Id = %q; want rid-1", i, got)
		}
	}
}

func TestMethodsAndIdempotencyKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		method   string
		key      string
		wantHits int
	}{
		{"POST without key is not retried", "POST", "", 1},
		{"PATCH without key is not retried", "PATCH", "", 1},
		{"POST with key is retried", "POST", "k-1", 3},
		{"PATCH with key is retried", "PATCH", "k-2", 3},
		{"PUT is retried", "PUT", "", 3},
		{"DELETE is retried", "DELETE", "", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newDRF(t, answer(503, `{"detail":"down"}`))
			c, _, _ := newClient(t, d.URL, nil)
			_, err := c.Do(testCtx(t), upstream.Request{Method: tc.method, Path: "/x/", Body: []byte(`{"a":1}`), IdempotencyKey: tc.key})
			if envelope.CodeOf(err) != envelope.CodeUpstreamUnavailable {
				t.Fatalf("err = %v; want UPSTREAM_UNAVAILABLE", err)
			}
			if d.hits() != tc.wantHits {
				t.Fatalf("hits = %d; want %d", d.hits(), tc.wantHits)
			}
			for i := range d.hits() {
				r := d.req(i)
				if got := r.Header.Get("Idempotency-Key"); got != tc.key {
					t.Errorf("attempt %d Idempotency-Key = %q; want %q", i, got, tc.key)
				}
				if got := r.Header.Get("Content-Type"); got != "application/json" {
					t.Errorf("attempt %d Content-Type = %q", i, got)
				}
			}
		})
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	t.Run("reset is retried and maps to 502", func(t *testing.T) {
		d := newDRF(t, reset())
		c, _, _ := newClient(t, d.URL, nil)
		_, err := c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/x/"})
		if e := envelope.From(err); e.Code != envelope.CodeUpstreamUnavailable || e.Status != 502 || !e.Retryable {
			t.Fatalf("err = %+v; want UPSTREAM_UNAVAILABLE 502 retryable", e)
		}
		if d.hits() != 3 {
			t.Errorf("hits = %d; want 3", d.hits())
		}
	})
	t.Run("reset mid-body is retried", func(t *testing.T) {
		d := newDRF(t, resetMidBody(), answer(200, `{"count":1}`))
		c, _, _ := newClient(t, d.URL, nil)
		resp, err := c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/x/"})
		if err != nil || resp.Attempts != 2 {
			t.Fatalf("Do = %+v, %v; want success after 2 attempts", resp, err)
		}
	})
	t.Run("POST reset is not retried", func(t *testing.T) {
		d := newDRF(t, reset())
		c, _, _ := newClient(t, d.URL, nil)
		_, err := c.Do(testCtx(t), upstream.Request{Method: "POST", Path: "/x/", Body: []byte(`{}`)})
		if envelope.CodeOf(err) != envelope.CodeUpstreamUnavailable || d.hits() != 1 {
			t.Fatalf("err = %v, hits %d; want UPSTREAM_UNAVAILABLE after 1 hit", err, d.hits())
		}
	})
	t.Run("connection refused maps to 502", func(t *testing.T) {
		d := newDRF(t, answer(200, `{}`))
		url := d.URL
		d.Close()
		c, _, _ := newClient(t, url, nil)
		_, err := c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/x/"})
		if e := envelope.From(err); e.Code != envelope.CodeUpstreamUnavailable || e.Status != 502 {
			t.Fatalf("err = %+v; want UPSTREAM_UNAVAILABLE 502", e)
		}
	})
}

func TestRetryAfterIsCapped(t *testing.T) {
	// Without the cap the first wait would be an hour and the 5 s deadline would
	// make the client give up with the 503.
	for _, ra := range []string{"3600", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)} {
		d := newDRF(t, answer(503, `{}`, "Retry-After", ra), answer(200, `{"ok":1}`))
		c, _, _ := newClient(t, d.URL, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := c.Do(ctx, upstream.Request{Method: "GET", Path: "/x/"})
		cancel()
		if err != nil || resp.Attempts != 2 {
			t.Fatalf("Retry-After %q: Do = %+v, %v; want success on attempt 2", ra, resp, err)
		}
	}
}

func TestDeadline(t *testing.T) {
	t.Run("a wait that outlives the deadline is not started", func(t *testing.T) {
		d := newDRF(t, answer(503, `<html>down</html>`, "Retry-After", "30", "Content-Type", "text/html"))
		c, ctr, _ := newClient(t, d.URL, func(o *upstream.Options) { o.RetryAfterCap = time.Minute })
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := c.Do(ctx, upstream.Request{Method: "GET", Path: "/x/"})
		e := envelope.From(err)
		if e.Code != envelope.CodeUpstreamUnavailable || e.Status != 503 || !strings.Contains(e.Message, "HTML") {
			t.Fatalf("err = %+v; want the last answer: UPSTREAM_UNAVAILABLE 503 mentioning HTML", e)
		}
		if strings.Contains(e.Message, "<html>") || !strings.Contains(e.Cause.Error(), "<html>down</html>") {
			t.Errorf("snippet must be in Cause only: message %q cause %v", e.Message, e.Cause)
		}
		if ctr.Snapshot().Attempts != 1 {
			t.Errorf("attempts = %d; want 1", ctr.Snapshot().Attempts)
		}
		if ctx.Err() != nil {
			t.Errorf("Do returned only after the deadline")
		}
	})
	t.Run("a hanging upstream ends at the deadline with 504", func(t *testing.T) {
		d := newDRF(t, hang())
		c, _, _ := newClient(t, d.URL, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		_, err := c.Do(ctx, upstream.Request{Method: "GET", Path: "/x/"})
		if e := envelope.From(err); e.Code != envelope.CodeUpstreamTimeout || e.Status != 504 {
			t.Fatalf("err = %+v; want UPSTREAM_TIMEOUT 504", e)
		}
	})
	t.Run("the attempt timeout maps to 504", func(t *testing.T) {
		d := newDRF(t, hang())
		c, _, _ := newClient(t, d.URL, func(o *upstream.Options) { o.AttemptTimeout = 50 * time.Millisecond; o.MaxRetries = -1 })
		_, err := c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/x/"})
		if e := envelope.From(err); e.Code != envelope.CodeUpstreamTimeout || d.hits() != 1 {
			t.Fatalf("err = %+v hits %d; want UPSTREAM_TIMEOUT after 1 hit", e, d.hits())
		}
	})
}

func TestUnauthorizedRejectsAndReplaysOnce(t *testing.T) {
	t.Parallel()
	auth401 := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-2" {
			answer(201, `{"id":1}`)(w, r)
			return
		}
		answer(401, `{"detail":"Given token not valid for any token type","code":"token_not_valid"}`)(w, r)
	}
	t.Run("fresh token succeeds", func(t *testing.T) {
		d := newDRF(t, auth401)
		ts := &tokens{seq: []string{"tok-1", "tok-2"}}
		c, _, logs := newClient(t, d.URL, func(o *upstream.Options) { o.Tokens = ts })
		resp, err := c.Do(testCtx(t), upstream.Request{Method: "POST", Path: "/x/", Body: []byte(`{}`)})
		if err != nil || resp.Status != 201 || resp.Attempts != 2 {
			t.Fatalf("Do = %+v, %v; want 201 after 2 attempts", resp, err)
		}
		if len(ts.rejected) != 1 || ts.rejected[0] != "tok-1" {
			t.Errorf("rejected = %v; want [tok-1]", ts.rejected)
		}
		if strings.Contains(logs.String(), "tok-") {
			t.Errorf("a token reached the log: %s", logs.String())
		}
	})
	t.Run("second 401 is an error", func(t *testing.T) {
		d := newDRF(t, answer(401, `{"detail":"no"}`))
		ts := &tokens{seq: []string{"tok-1", "tok-3"}}
		c, _, _ := newClient(t, d.URL, func(o *upstream.Options) { o.Tokens = ts })
		_, err := c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/x/"})
		e := envelope.From(err)
		if e.Code != envelope.CodeUpstreamUnavailable || e.Status != 502 || !strings.Contains(e.Message, "service account") {
			t.Fatalf("err = %+v; want UPSTREAM_UNAVAILABLE 502 about the service account", e)
		}
		if d.hits() != 2 || len(ts.rejected) != 1 {
			t.Errorf("hits = %d rejected = %v; want 2 hits, 1 reject", d.hits(), ts.rejected)
		}
		if got := d.req(1).Header.Get("Authorization"); got != "Bearer tok-3" {
			t.Errorf("replay Authorization = %q; want the new token", got)
		}
	})
}

func TestSuccessBodies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		method   string
		step     step
		wantCode envelope.Code
	}{
		{"json object", "GET", answer(200, `{"a":1}`), ""},
		{"json list", "GET", answer(200, `[1]`), ""},
		{"empty 204 on DELETE", "DELETE", answer(204, ``), ""},
		{"empty 200 on DELETE", "DELETE", answer(200, ``), ""},
		{"empty 200 on GET", "GET", answer(200, ``), envelope.CodeUpstreamBadResponse},
		{"html 200", "GET", answer(200, `<html>login</html>`, "Content-Type", "text/html"), envelope.CodeUpstreamBadResponse},
		{"truncated json", "GET", answer(200, `{"a":`), envelope.CodeUpstreamBadResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := newDRF(t, tc.step)
			c, _, _ := newClient(t, d.URL, nil)
			_, err := c.Do(testCtx(t), upstream.Request{Method: tc.method, Path: "/x/"})
			if got := envelope.CodeOf(err); got != tc.wantCode {
				t.Fatalf("code = %q (%v); want %q", got, err, tc.wantCode)
			}
		})
	}
}

func TestBreaker(t *testing.T) {
	t.Parallel()
	cases := []struct {
		step        step
		wantFailure bool
	}{
		{answer(200, `{}`), false},
		{answer(404, `{"detail":"Not found."}`), false},
		{answer(400, `{"name":["bad"]}`), false},
		{answer(403, `{"detail":"no"}`), false},
		{answer(503, `{}`), true},
		{answer(500, `{}`), true},
		{answer(429, `{}`), true},
		{reset(), true},
	}
	for i, tc := range cases {
		d := newDRF(t, tc.step)
		b := &breakerSpy{}
		c, _, _ := newClient(t, d.URL, func(o *upstream.Options) { o.Breaker = b })
		_, _ = c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/x/"})
		if len(b.outcomes) != 1 || b.outcomes[0] != tc.wantFailure {
			t.Errorf("case %d: breaker outcomes = %v; want [%v]", i, b.outcomes, tc.wantFailure)
		}
	}
	d := newDRF(t, answer(200, `{}`))
	c, _, _ := newClient(t, d.URL, func(o *upstream.Options) { o.Breaker = &breakerSpy{open: true} })
	_, err := c.Do(testCtx(t), upstream.Request{Method: "GET", Path: "/x/"})
	if e := envelope.From(err); e.Code != envelope.CodeUpstreamUnavailable || e.Status != 503 || !strings.Contains(e.Message, "circuit open") {
		t.Fatalf("open breaker: err = %+v; want UPSTREAM_UNAVAILABLE 503 circuit open", e)
	}
	if d.hits() != 0 {
		t.Errorf("open breaker let %d requests through", d.hits())
	}
}
