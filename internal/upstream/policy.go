package upstream

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// call is the state of one Client.Do. Its methods are the retryablehttp hooks
// for that call; retryablehttp runs them sequentially, so no locking.
type call struct {
	c         *Client
	req       Request
	method    string
	token     string    // the token on the request now (what Reject gets on a 401)
	retryable bool      // the method/key allow retrying transport errors and 429/5xx
	deadline  time.Time // zero: none

	attempts   int
	retries    int  // 429/5xx/transport retries taken (the 401 replay is not counted)
	authReplay bool // the 401 replay was taken
	reauth     bool // the next attempt must carry a fresh token
	wait       time.Duration
	tokenErr   error

	body     []byte
	bodyErr  error
	bodyRead bool
}

// retryableMethod: GET, HEAD, PUT, DELETE always; POST and PATCH only with an
// Idempotency-Key.
func retryableMethod(r Request) bool {
	switch strings.ToUpper(r.Method) {
	case "", http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	case http.MethodPost, http.MethodPatch:
		return r.IdempotencyKey != ""
	}
	return false
}

// retryableStatus lists the statuses worth another attempt.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (st *call) onAttempt(_ retryablehttp.Logger, _ *http.Request, _ int) {
	st.attempts++
	st.bodyRead, st.body, st.bodyErr = false, nil, nil
	st.c.opts.Counters.attempt()
}

// checkRetry is retryablehttp's CheckRetry. It decides, and computes the wait
// for backoff, so that a wait that would end after the deadline is never
// started: the call then ends with the last answer.
func (st *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil // the caller is gone or out of time; result() maps ctx errors
	}
	if err == nil && resp != nil && resp.StatusCode == http.StatusUnauthorized {
		if st.authReplay {
			return false, nil
		}
		if rerr := st.c.opts.Tokens.Reject(ctx, st.token); rerr != nil {
			st.c.log.LogAttrs(ctx, slog.LevelWarn, "upstream token reject failed",
				slog.String("request_id", st.req.RequestID), slog.Any("error", rerr))
		}
		st.authReplay, st.reauth, st.wait = true, true, 0
		return true, nil
	}
	if !st.retryable || st.retries >= st.c.opts.MaxRetries {
		return false, nil
	}
	var wait time.Duration
	switch {
	case err != nil:
		if !retryableTransport(err) {
			return false, nil
		}
		wait = st.jittered()
	case resp != nil && retryableStatus(resp.StatusCode):
		if ra, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			wait = min(ra, st.c.opts.RetryAfterCap)
		} else {
			wait = st.jittered()
		}
	default:
		return false, nil
	}
	if !st.deadline.IsZero() && time.Now().Add(wait).After(st.deadline) {
		st.c.log.LogAttrs(ctx, slog.LevelDebug, "upstream retry skipped: wait outlives deadline",
			slog.String("request_id", st.req.RequestID), slog.Duration("wait", wait))
		return false, nil
	}
	st.retries++
	st.wait = wait
	st.c.opts.Counters.retry()
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	st.c.log.LogAttrs(ctx, slog.LevelInfo, "upstream retry",
		slog.String("method", st.method), slog.String("path", st.req.Path),
		slog.String("request_id", st.req.RequestID), slog.Int("status", status),
		slog.Int("attempt", st.attempts), slog.Duration("wait", wait), slog.Any("error", err))
	return true, nil
}

// jittered is exponential backoff with full jitter: uniform in
// [0, min(RetryWaitMax, RetryWaitMin * 2^retries)].
func (st *call) jittered() time.Duration {
	return fullJitter(st.c.opts.RetryWaitMin, st.c.opts.RetryWaitMax, st.retries)
}

func fullJitter(lo, hi time.Duration, n int) time.Duration {
	ceil := hi
	if n < 62 {
		if d := lo << n; d > 0 && d < hi {
			ceil = d
		}
	}
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil + 1)
}

// backoff is retryablehttp's Backoff: the wait checkRetry chose.
func (st *call) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration {
	return st.wait
}

// prepareRetry is retryablehttp's PrepareRetry: after a 401 it puts a fresh
// token on the replay.
func (st *call) prepareRetry(r *http.Request) error {
	if !st.reauth {
		return nil
	}
	st.reauth = false
	tok, err := st.c.opts.Tokens.Token(r.Context())
	if err != nil {
		st.tokenErr = err
		return err
	}
	st.token = tok
	r.Header = r.Header.Clone() // the previous attempt's transport may still read the old map
	r.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// retryableTransport reports whether a transport error may be retried:
// everything (refused, reset, EOF, attempt timeout) except errors that will
// repeat identically.
func retryableTransport(err error) bool {
	if errors.Is(err, errTooLarge) {
		return false
	}
	msg := err.Error()
	for _, s := range []string{"unsupported protocol scheme", "invalid header", "stopped after", "certificate"} {
		if strings.Contains(msg, s) {
			return false
		}
	}
	return true
}

// retryAfter parses a Retry-After value: delta-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > 1<<31 {
			n = 1 << 31
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
