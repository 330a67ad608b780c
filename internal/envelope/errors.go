// Package envelope is weather_apis' single error vocabulary and response shape.
//
// Every API answer, success or failure, is an Envelope. Errors are *Error values
// with a stable Code; StatusOf is the only code→HTTP status table. Internal
// causes are kept in Error.Cause for logs and never serialised.
package envelope

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable UPPER_SNAKE error identifier that clients may switch on.
type Code string

// The error codes (README.md "Every answer is an envelope").
const (
	CodeBadRequest          Code = "BAD_REQUEST"
	CodeUnauthenticated     Code = "UNAUTHENTICATED"
	CodeForbidden           Code = "FORBIDDEN"
	CodeNotFound            Code = "NOT_FOUND"
	CodeMethodNotAllowed    Code = "METHOD_NOT_ALLOWED"
	CodePayloadTooLarge     Code = "PAYLOAD_TOO_LARGE"
	CodeValidationFailed    Code = "VALIDATION_FAILED"
	CodeRateLimited         Code = "RATE_LIMITED"
	CodeUpstreamUnavailable Code = "UPSTREAM_UNAVAILABLE"
	CodeUpstreamTimeout     Code = "UPSTREAM_TIMEOUT"
	CodeUpstreamBadResponse Code = "UPSTREAM_BAD_RESPONSE"
	CodeTimeout             Code = "TIMEOUT"
	CodeInternal            Code = "INTERNAL"
	CodeNotImplemented      Code = "NOT_IMPLEMENTED"
	// CodeStoreUnavailable: weather_apis' own shared store (Redis) cannot
	// answer, so a request that needs it (credentials, cache
	// administration) is refused: fail closed, 503, retryable.
	CodeStoreUnavailable Code = "STORE_UNAVAILABLE"
	// CodeNextcloudUnavailable: Nextcloud could not answer a question
	// weather_apis must ask it (is this user an administrator?), so the
	// request is refused: fail closed, 503, retryable.
	CodeNextcloudUnavailable Code = "NEXTCLOUD_UNAVAILABLE"
)

// Codes returns every Code above, in their order: the vocabulary the
// OpenAPI document declares.
func Codes() []Code {
	return []Code{
		CodeBadRequest, CodeUnauthenticated, CodeForbidden, CodeNotFound, CodeMethodNotAllowed,
		CodePayloadTooLarge, CodeValidationFailed, CodeRateLimited, CodeUpstreamUnavailable,
		CodeUpstreamTimeout, CodeUpstreamBadResponse, CodeTimeout, CodeInternal, CodeNotImplemented,
		CodeStoreUnavailable, CodeNextcloudUnavailable,
	}
}

// StatusOf returns the default HTTP status for code; unknown codes are 500.
func StatusOf(code Code) int {
	switch code {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeValidationFailed:
		return http.StatusUnprocessableEntity
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeUpstreamUnavailable, CodeUpstreamBadResponse:
		return http.StatusBadGateway
	case CodeUpstreamTimeout:
		return http.StatusGatewayTimeout
	case CodeTimeout, CodeStoreUnavailable, CodeNextcloudUnavailable:
		return http.StatusServiceUnavailable
	case CodeNotImplemented:
		return http.StatusNotImplemented
	default:
		return http.StatusInternalServerError
	}
}

// retryableByDefault reports whether a client may retry the same request later.
func retryableByDefault(code Code) bool {
	switch code {
	case CodeRateLimited, CodeUpstreamUnavailable, CodeUpstreamTimeout, CodeTimeout, CodeStoreUnavailable, CodeNextcloudUnavailable:
		return true
	}
	return false
}

// Error is the only error type that reaches a client. Message must be safe to
// show (no secrets, no internal detail); Cause is for logs only.
type Error struct {
	Code      Code   `json:"code"`
	Message   string `json:"message"`
	Status    int    `json:"status"`
	Retryable bool   `json:"retryable"`
	// Details carries structured, client-safe detail such as DRF field errors.
	Details any `json:"details,omitempty"`
	// Cause is the internal error that led here; never serialised.
	Cause error `json:"-"`
	// Origin is who decided this error, for the envelope's "source":
	// SourceUpstream for an answer the DRF backend gave (a 404, a 400 with
	// field errors, a 5xx page), SourceCache for a cached NOT_FOUND, and ""
	// (meaning SourceLocal) for what weather_apis decided itself.
	Origin Source `json:"-"`
	// Header holds response headers the error brings with it, such as
	// WWW-Authenticate (RFC 6750 §3) or Retry-After (RFC 9110 §10.2.3): the
	// renderer sends them as they are and asks nobody.
	Header http.Header `json:"-"`
}

// New returns an *Error with the code's default status and retryability.
func New(code Code, message string) *Error {
	return &Error{Code: code, Message: message, Status: StatusOf(code), Retryable: retryableByDefault(code)}
}

// Errorf is New with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return New(code, fmt.Sprintf(format, args...))
}

// Wrap returns New(code, message) remembering cause for the log.
func Wrap(code Code, message string, cause error) *Error {
	e := New(code, message)
	e.Cause = cause
	return e
}

// WithStatus returns a copy of e answering status instead of the code's default
// (for example UPSTREAM_UNAVAILABLE as 503 rather than 502).
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// WithDetails returns a copy of e carrying details.
func (e *Error) WithDetails(details any) *Error {
	c := *e
	c.Details = details
	return &c
}

// WithOrigin returns a copy of e whose envelope names origin as its source.
func (e *Error) WithOrigin(origin Source) *Error {
	c := *e
	c.Origin = origin
	return &c
}

// WithHeader returns a copy of e that sends the response header key: value.
func (e *Error) WithHeader(key, value string) *Error {
	c := *e
	c.Header = e.Header.Clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Header.Set(key, value)
	return &c
}

// Source is the envelope "source" of e: its Origin, or SourceLocal.
func (e *Error) Source() Source {
	if e == nil || e.Origin == "" {
		return SourceLocal
	}
	return e.Origin
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// From converts any error into an *Error. An *Error anywhere in the chain is
// returned as is; a context deadline becomes TIMEOUT; anything else becomes
// INTERNAL with the generic message "Internal error" and err as Cause.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Wrap(CodeTimeout, "The request took too long.", err)
	}
	if errors.Is(err, context.Canceled) {
		return Wrap(CodeTimeout, "The request was cancelled.", err)
	}
	return Wrap(CodeInternal, "Internal error", err)
}

// CodeOf returns the code of err, or "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return From(err).Code
}
