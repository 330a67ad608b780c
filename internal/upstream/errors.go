package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Messages are client-safe; what DRF actually said goes to Details (4xx JSON
// bodies, which are about the client's request) or Cause (everything else,
// for the log only).
const (
	msgNoAnswer    = "The farm service did not answer."
	msgTimeout     = "The farm service did not answer in time."
	msgRejected    = "The farm service refused weather_apis' service account (HTTP %d); check the upstream credentials and the account's permissions (a 401 even for a fresh token also points at DRF's token settings: signing key, clock)."
	msgHTML        = "The farm service answered with an HTML page instead of JSON (HTTP %d)."
	msgNotJSON     = "The farm service answered with something that is not JSON (HTTP %d)."
	msgFailed      = "The farm service failed (HTTP %d)."
	msgBusy        = "The farm service is rate limiting weather_apis (HTTP 429)."
	msgTokenFailed = "weather_apis could not obtain a token for the farm service."
)

// upstreamBody is a Cause carrying the start of an upstream body for the log.
type upstreamBody struct {
	status  int
	snippet string
}

func (b *upstreamBody) Error() string {
	return fmt.Sprintf("upstream HTTP %d, body: %q", b.status, b.snippet)
}

func bodyCause(status int, body []byte) error {
	const n = 256
	s := body
	if len(s) > n {
		s = s[:n]
	}
	return &upstreamBody{status: status, snippet: strings.ToValidUTF8(string(s), "?")}
}

// transportError maps an error of the HTTP exchange (no usable status).
func transportError(ctx context.Context, err error) *envelope.Error {
	if errors.Is(err, errTooLarge) {
		return envelope.Wrap(envelope.CodeUpstreamBadResponse, "The farm service answered with a body that is too large.", err)
	}
	if errors.Is(ctx.Err(), context.Canceled) && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return envelope.Wrap(envelope.CodeTimeout, "The request was cancelled.", err)
	}
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return envelope.Wrap(envelope.CodeUpstreamTimeout, msgTimeout, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() { // the per-attempt timeout
		return envelope.Wrap(envelope.CodeUpstreamTimeout, msgTimeout, err)
	}
	return envelope.Wrap(envelope.CodeUpstreamUnavailable, msgNoAnswer, err)
}

// tokenError maps a TokenSource failure (the request was not sent). An
// *envelope.Error keeps its code and message.
func tokenError(err error) *envelope.Error {
	var e *envelope.Error
	if errors.As(err, &e) {
		c := *e
		c.Cause = fmt.Errorf("%w: %w", errNotSent, err)
		return &c
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return envelope.Wrap(envelope.CodeUpstreamTimeout, msgTimeout, fmt.Errorf("%w: %w", errNotSent, err))
	}
	return envelope.Wrap(envelope.CodeUpstreamUnavailable, msgTokenFailed, fmt.Errorf("%w: %w", errNotSent, err))
}

// parsed is a decoded JSON error body (nil when the body is not JSON).
type parsed struct {
	value  any
	object map[string]any
	detail string
}

func parseBody(body []byte) parsed {
	var p parsed
	t := bytes.TrimSpace(body)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') || json.Unmarshal(t, &p.value) != nil {
		return parsed{}
	}
	p.object, _ = p.value.(map[string]any)
	if d, ok := p.object["detail"].(string); ok {
		p.detail = d
	}
	return p
}

func looksHTML(h http.Header, body []byte) bool {
	if strings.Contains(strings.ToLower(h.Get("Content-Type")), "html") {
		return true
	}
	t := bytes.TrimSpace(body)
	return len(t) > 0 && t[0] == '<'
}

// onlyDetail reports whether a DRF error object is a plain {"detail": ...}
// (plus DRF's "code"), not field errors.
func onlyDetail(o map[string]any) bool {
	for k := range o {
		if k != "detail" && k != "code" {
			return false
		}
	}
	return len(o) > 0
}

// errNotSent marks the cause of a failure that happened before the request
// left weather_apis (circuit open, no token): a write that failed this way
// certainly did not happen.
var errNotSent = errors.New("upstream: the request was not sent")

// NotSent reports whether err is a failure that happened before the request
// was sent, so that a write certainly did not happen upstream.
func NotSent(err error) bool { return errors.Is(err, errNotSent) }

// statusError maps a non-2xx DRF answer (after retries). The error's origin
// is the upstream: it relays what DRF (or a proxy in front of it) answered.
func statusError(status int, h http.Header, body []byte) *envelope.Error {
	return statusError0(status, h, body).WithOrigin(envelope.SourceUpstream)
}

func statusError0(status int, h http.Header, body []byte) *envelope.Error {
	p := parseBody(body)
	cause := bodyCause(status, body)
	withDetail := func(code envelope.Code, fallback string) *envelope.Error {
		msg := fallback
		if p.detail != "" {
			msg = p.detail
		}
		e := envelope.Wrap(code, msg, cause)
		if p.object != nil {
			e = e.WithDetails(p.object)
		}
		return e
	}
	switch {
	case status == http.StatusBadRequest:
		switch {
		case p.object != nil && onlyDetail(p.object):
			return withDetail(envelope.CodeBadRequest, "The farm service rejected the request.")
		case p.object != nil:
			return envelope.Wrap(envelope.CodeValidationFailed, "The farm service rejected some fields.", cause).WithDetails(p.object)
		case p.value != nil:
			return envelope.Wrap(envelope.CodeValidationFailed, "The farm service rejected some fields.", cause).
				WithDetails(map[string]any{"non_field_errors": p.value})
		}
		return envelope.Wrap(envelope.CodeBadRequest, "The farm service rejected the request.", cause)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e := envelope.Wrap(envelope.CodeUpstreamUnavailable, fmt.Sprintf(msgRejected, status), cause)
		e.Retryable = false
		return e
	case status == http.StatusNotFound || status == http.StatusGone:
		return withDetail(envelope.CodeNotFound, "Not found.").WithStatus(http.StatusNotFound)
	case status == http.StatusMethodNotAllowed:
		return withDetail(envelope.CodeMethodNotAllowed, "The farm service does not allow this method here.")
	case status == http.StatusRequestEntityTooLarge:
		return withDetail(envelope.CodePayloadTooLarge, "The request body is too large for the farm service.")
	case status == http.StatusTooManyRequests:
		return envelope.Wrap(envelope.CodeUpstreamUnavailable, msgBusy, cause).WithStatus(http.StatusServiceUnavailable)
	case status >= 400 && status <= 499:
		return withDetail(envelope.CodeBadRequest, "The farm service rejected the request.").WithStatus(status)
	case status >= 500:
		msg := fmt.Sprintf(msgFailed, status)
		if p.value == nil {
			msg = nonJSONMessage(status, h, body)
		}
		e := envelope.Wrap(envelope.CodeUpstreamUnavailable, msg, cause)
		if status == http.StatusServiceUnavailable {
			e = e.WithStatus(http.StatusServiceUnavailable)
		}
		e.Retryable = true
		return e
	}
	return envelope.Wrap(envelope.CodeUpstreamBadResponse, fmt.Sprintf("The farm service answered with an unexpected status (HTTP %d).", status), cause)
}

func nonJSONMessage(status int, h http.Header, body []byte) string {
	if looksHTML(h, body) {
		return fmt.Sprintf(msgHTML, status)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Sprintf(msgFailed, status)
	}
	return fmt.Sprintf(msgNotJSON, status)
}

// checkSuccessBody enforces that a 2xx answer is JSON; an empty body is
// accepted for 204 and for DELETE.
func checkSuccessBody(method string, status int, h http.Header, body []byte) error {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		if status == http.StatusNoContent || method == http.MethodDelete || method == http.MethodHead {
			return nil
		}
		return envelope.Wrap(envelope.CodeUpstreamBadResponse,
			fmt.Sprintf("The farm service answered with an empty body (HTTP %d).", status), bodyCause(status, body))
	}
	if method == http.MethodHead {
		return nil
	}
	if (t[0] != '{' && t[0] != '[') || !json.Valid(t) {
		return envelope.Wrap(envelope.CodeUpstreamBadResponse, nonJSONMessage(status, h, body), bodyCause(status, body))
	}
	return nil
}
