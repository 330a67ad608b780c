// Package upstream is weather_apis' client for the DRF backend.
//
// It is built on github.com/hashicorp/go-retryablehttp, configured per call
// through its CheckRetry, Backoff, PrepareRetry and ErrorHandler hooks:
//
//   - only idempotent requests are retried (GET, HEAD, PUT, DELETE, and POST or
//     PATCH carrying an Idempotency-Key), only on connection errors, attempt
//     timeouts, 429, 502, 503 and 504;
//   - waits are exponential with full jitter; Retry-After is honoured but capped;
//     a wait that would outlive the caller's deadline is never started (the last
//     answer is kept instead);
//   - a 401 makes the client reject exactly the token it sent, fetch a token
//     again and replay the request once (safe for any method: DRF authenticates
//     before it processes anything);
//   - every failure leaves as an *envelope.Error (see errors.go); callers switch
//     on envelope.CodeOf(err).
//
// The Authorization header and tokens are never logged.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// TokenSource hands out the DRF access token to send. Reject is called with
// exactly the token DRF answered 401 to; it must drop that token (and only that
// one) so the next Token call returns a different one.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	Reject(ctx context.Context, token string) error
}

// Breaker guards the upstream. Allow returns an error while calls must not go
// out (circuit open); otherwise done must be called exactly once with whether
// the call failed in a way that counts against the upstream's health
// (connection errors, timeouts, 5xx, 429 — never 4xx client mistakes).
type Breaker interface {
	Allow(ctx context.Context) (done func(failure bool), err error)
}

// Options configure a Client. Zero durations take the defaults noted.
type Options struct {
	BaseURL        string        // DRF root, e.g. http://127.0.0.1:8000 (required)
	AttemptTimeout time.Duration // one attempt, body included (default 10s)
	RetryWaitMin   time.Duration // first backoff ceiling (default 100ms)
	RetryWaitMax   time.Duration // largest backoff ceiling (default 2s)
	RetryAfterCap  time.Duration // largest honoured Retry-After (default 5s)
	// MaxRetries is the number of retries after the first attempt: 0 means the
	// default (2), a negative value disables retries.
	MaxRetries int
	Tokens     TokenSource  // required
	Breaker    Breaker      // optional
	Logger     *slog.Logger // optional (default: discard)
	Counters   *Counters    // optional
	UserAgent  string       // optional (default "weather_apis")
	HTTP       *http.Client // optional transport owner; its Timeout is replaced by AttemptTimeout
	MaxBody    int64        // largest accepted response body (default 8 MiB)
}

// Request is one call to DRF. Path is appended to Options.BaseURL.
type Request struct {
	Method         string
	Path           string
	Query          url.Values
	Body           []byte // JSON; sent with Content-Type: application/json
	IdempotencyKey string // sent as Idempotency-Key; makes POST/PATCH retryable
	RequestID      string // forwarded as X-Request-Id
}

// Response is a successful (2xx) DRF answer.
type Response struct {
	Status int
	Header http.Header
	// Body is valid JSON, or empty for 204 / an empty DELETE answer, or
	// empty when NotJSON is set.
	Body          []byte
	SchemaVersion string // the X-Schema-Version header, as sent
	Attempts      int
	// NotJSON: a write was answered 2xx with a body that is not JSON (or is
	// empty where DRF sends one). The write happened: it is not an error.
	// Reads never return this; such a read answer is UPSTREAM_BAD_RESPONSE.
	NotJSON bool
}

// Client calls DRF. It is safe for concurrent use.
type Client struct {
	opts Options
	base *url.URL
	http *http.Client
	log  *slog.Logger
}

// New validates opts and returns a Client.
func New(opts Options) (*Client, error) {
	if opts.Tokens == nil {
		return nil, errors.New("upstream: Options.Tokens is required")
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("upstream: invalid BaseURL %q: want http(s)://host[:port]", opts.BaseURL)
	}
	setDefault(&opts.AttemptTimeout, 10*time.Second)
	setDefault(&opts.RetryWaitMin, 100*time.Millisecond)
	setDefault(&opts.RetryWaitMax, 2*time.Second)
	setDefault(&opts.RetryAfterCap, 5*time.Second)
	if opts.RetryWaitMax < opts.RetryWaitMin {
		opts.RetryWaitMax = opts.RetryWaitMin
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = 2
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 8 << 20
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "weather_apis"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := cleanhttp.DefaultPooledClient()
	if opts.HTTP != nil {
		c := *opts.HTTP
		hc = &c
	}
	hc.Timeout = opts.AttemptTimeout
	return &Client{opts: opts, base: base, http: hc, log: log}, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Do sends req and returns the 2xx answer, or an *envelope.Error.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	c.opts.Counters.call()
	var done func(bool)
	if c.opts.Breaker != nil {
		d, err := c.opts.Breaker.Allow(ctx)
		if err != nil {
			e := envelope.Wrap(envelope.CodeUpstreamUnavailable,
				"The farm service is failing; calls are paused for a moment (circuit open).", fmt.Errorf("%w: %w", errNotSent, err)).
				WithStatus(http.StatusServiceUnavailable)
			c.opts.Counters.failure(e.Code)
			return nil, e
		}
		done = d
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		e := envelope.From(err)
		c.opts.Counters.failure(e.Code)
		c.log.LogAttrs(ctx, slog.LevelWarn, "upstream call failed",
			slog.String("method", req.Method), slog.String("path", req.Path),
			slog.String("request_id", req.RequestID), slog.String("code", string(e.Code)),
			slog.Int("status", e.Status), slog.Any("cause", e.Cause))
		if done != nil {
			done(countsAsFailure(e))
		}
		return nil, e
	}
	if done != nil {
		done(false)
	}
	return resp, nil
}

// countsAsFailure reports whether e says the upstream is unhealthy (and not
// that the request or our credentials were wrong, or the caller gave up).
func countsAsFailure(e *envelope.Error) bool {
	switch e.Code {
	case envelope.CodeUpstreamTimeout:
		return true
	case envelope.CodeUpstreamUnavailable:
		return e.Retryable
	}
	return false
}

func (c *Client) do(ctx context.Context, req Request) (*Response, error) {
	tok, err := c.opts.Tokens.Token(ctx)
	if err != nil {
		return nil, tokenError(err)
	}
	rreq, err := c.newRequest(ctx, req, tok)
	if err != nil {
		return nil, envelope.Wrap(envelope.CodeInternal, "Internal error", err)
	}
	st := &call{c: c, req: req, method: rreq.Method, token: tok, retryable: retryableMethod(req), deadline: deadlineOf(ctx)}
	rreq.SetResponseHandler(st.readBody)
	rc := &retryablehttp.Client{
		HTTPClient:     c.http,
		RetryWaitMin:   c.opts.RetryWaitMin,
		RetryWaitMax:   c.opts.RetryWaitMax,
		RetryMax:       c.opts.MaxRetries + 1, // +1: the single replay after a 401; CheckRetry enforces both budgets
		RequestLogHook: st.onAttempt,
		CheckRetry:     st.checkRetry,
		Backoff:        st.backoff,
		PrepareRetry:   st.prepareRetry,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
	}
	hresp, err := rc.Do(rreq)
	if hresp != nil && !st.bodyRead {
		// The retry budget ran out on a retryable status: its body was not read yet.
		_ = st.readBody(hresp)
	}
	if err != nil && st.tokenErr != nil {
		return nil, tokenError(st.tokenErr)
	}
	return c.result(ctx, st, hresp, err)
}

func (c *Client) newRequest(ctx context.Context, req Request, tok string) (*retryablehttp.Request, error) {
	u := *c.base
	u.Path = c.base.Path + "/" + strings.TrimLeft(req.Path, "/")
	if len(req.Query) > 0 {
		u.RawQuery = req.Query.Encode()
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	var body any
	if req.Body != nil {
		body = req.Body
	}
	rreq, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	h := rreq.Header
	h.Set("Accept", "application/json")
	h.Set("User-Agent", c.opts.UserAgent)
	h.Set("Authorization", "Bearer "+tok)
	if req.Body != nil {
		h.Set("Content-Type", "application/json")
	}
	if req.IdempotencyKey != "" {
		h.Set("Idempotency-Key", req.IdempotencyKey)
	}
	if req.RequestID != "" {
		h.Set("X-Request-Id", req.RequestID)
	}
	return rreq, nil
}

// result turns the final answer of the retry loop into a Response or an error.
func (c *Client) result(ctx context.Context, st *call, hresp *http.Response, err error) (*Response, error) {
	if err != nil {
		return nil, transportError(ctx, err)
	}
	if st.bodyErr != nil {
		return nil, transportError(ctx, st.bodyErr)
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return nil, statusError(hresp.StatusCode, hresp.Header, st.body)
	}
	if err := checkSuccessBody(st.method, hresp.StatusCode, hresp.Header, st.body); err != nil {
		if isRead(st.method) {
			return nil, err
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "upstream accepted a write but answered something that is not JSON",
			slog.String("method", st.method), slog.String("path", st.req.Path), slog.Int("status", hresp.StatusCode))
		return &Response{Status: hresp.StatusCode, Header: hresp.Header.Clone(), NotJSON: true,
			SchemaVersion: hresp.Header.Get("X-Schema-Version"), Attempts: st.attempts}, nil
	}
	return &Response{
		Status:        hresp.StatusCode,
		Header:        hresp.Header.Clone(),
		Body:          st.body,
		SchemaVersion: hresp.Header.Get("X-Schema-Version"),
		Attempts:      st.attempts,
	}, nil
}

// readBody is the retryablehttp response handler: it reads (bounded) and
// closes the final answer's body. A read error goes back through CheckRetry,
// so a connection reset mid-body is retried like any connection error.
func (st *call) readBody(resp *http.Response) error {
	defer resp.Body.Close()
	st.bodyRead = true
	b, err := io.ReadAll(io.LimitReader(resp.Body, st.c.opts.MaxBody+1))
	if err != nil {
		st.body, st.bodyErr = nil, err
		return err
	}
	if int64(len(b)) > st.c.opts.MaxBody {
		st.body, st.bodyErr = nil, errTooLarge
		return nil // not retryable; reported by result
	}
	st.body, st.bodyErr = b, nil
	return nil
}

var errTooLarge = errors.New("upstream response body exceeds the size limit")

// isRead reports whether method only reads.
func isRead(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}

func deadlineOf(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}
