// Package nextcloud is the ExApp→Nextcloud client: signed OCS v1 calls to
// AppAPI's endpoints (nextcloud/app_api appinfo/routes.php, the ocs block; nc_py_api's session adapter) with bounded retries on
// transient failures.
package nextcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/weather-apis/weather_apis/internal/appapi"
)

// Options configures a Client.
type Options struct {
	// BaseURL is NEXTCLOUD_URL without a trailing "/" or "/index.php".
	BaseURL string
	Creds   appapi.Credentials
	// HTTP is the transport; nil means a pooled default.
	HTTP *http.Client
	// MaxRetries bounds retries of transient failures (connection errors,
	// 429, 502, 503, 504). Default 3.
	MaxRetries int
	// Timeout bounds one attempt. Default 70 s: the progress-100 status call
	// stays open while Nextcloud runs the ExApp's /enabled (60 s limit).
	Timeout time.Duration
	// Logger receives client-side failures; it must not be the Nextcloud log
	// handler itself (that would loop).
	Logger *slog.Logger
}

// Client calls Nextcloud's OCS API as the ExApp.
type Client struct {
	base  string
	creds appapi.Credentials
	http  *retryablehttp.Client
}

// New returns a Client. It fails when BaseURL is not an absolute http(s) URL.
func New(o Options) (*Client, error) {
	u, err := url.Parse(o.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("cannot use Nextcloud URL %q: need an absolute http(s) URL", o.BaseURL)
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.Timeout == 0 {
		o.Timeout = 70 * time.Second
	}
	rc := retryablehttp.NewClient()
	if o.HTTP != nil {
		rc.HTTPClient = o.HTTP
	}
	rc.HTTPClient.Timeout = o.Timeout
	rc.RetryMax = o.MaxRetries
	rc.RetryWaitMin = 200 * time.Millisecond
	rc.RetryWaitMax = 2 * time.Second
	rc.Logger = nil
	rc.CheckRetry = checkRetry
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return &Client{base: strings.TrimRight(o.BaseURL, "/"), creds: o.Creds, http: rc}, nil
}

// checkRetry retries connection errors, 429 and 502–504, never other answers
// and never after the caller's context ended.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return true, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true, nil
	}
	return false, nil
}

// Error is a failed OCS call. Status is the HTTP status; StatusCode the OCS
// meta statuscode (100 = ok in v1; 997 = AppAPI authentication failed).
type Error struct {
	Method, Path string
	Status       int
	StatusCode   int
	Message      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("nextcloud %s %s: http %d, ocs %d: %s", e.Method, e.Path, e.Status, e.StatusCode, e.Message)
}

// IsNotFound reports whether err is an OCS "not found": HTTP 404, OCS 404,
// or OCS v1's 998 (OCSController::RESPOND_NOT_FOUND, which v1 answers with
// HTTP 200; also what an unknown OCS route gives, e.g. an endpoint an older
// AppAPI does not have).
func IsNotFound(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.StatusCode == http.StatusNotFound || e.StatusCode == 998)
}

// IsUnauthorized reports whether Nextcloud refused the ExApp's AppAPI
// authentication (HTTP 401 or OCS 997): the app is disabled or not
// registered, the secret differs, or the user named does not exist.
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.StatusCode == 997)
}

// IsForbidden reports whether Nextcloud answered "forbidden" (HTTP 403 or
// OCS 403).
func IsForbidden(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusForbidden || e.StatusCode == http.StatusForbidden)
}

type ocsEnvelope struct {
	OCS struct {
		Meta struct {
			Status     string `json:"status"`
			StatusCode int    `json:"statuscode"`
			Message    string `json:"message"`
		} `json:"meta"`
		Data json.RawMessage `json:"data"`
	} `json:"ocs"`
}

// OCS calls /ocs/v1.php/<path> (path without leading slash, e.g.
// "apps/app_api/api/v1/log") with in encoded as JSON (nil: no body; for GET
// and DELETE, query carries parameters), signed without a user, and decodes
// ocs.data into out (may be nil). An OCS statuscode other than 100/200 is an
// *Error.
func (c *Client) OCS(ctx context.Context, method, path string, query url.Values, in, out any) error {
	return c.OCSAs(ctx, "", method, path, query, in, out)
}

// OCSAs is OCS on behalf of user (impersonation; "" = no user).
func (c *Client) OCSAs(ctx context.Context, user, method, path string, query url.Values, in, out any) error {
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("format", "json")
	full := c.base + "/ocs/v1.php/" + strings.TrimLeft(path, "/") + "?" + q.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("cannot encode OCS body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, full, body)
	if err != nil {
		return fmt.Errorf("cannot build OCS request: %w", err)
	}
	c.creds.Sign(req.Header, user)
	req.Header.Set("OCS-APIRequest", "true")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "ExApp/"+c.creds.AppID+"/"+c.creds.AppVersion+" (weather_apis)")
	if rid := RequestIDFrom(ctx); rid != "" {
		req.Header.Set(appapi.HeaderRequestID, rid)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return &Error{Method: method, Path: path, Message: "no answer: " + scrub(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return &Error{Method: method, Path: path, Status: resp.StatusCode, Message: "cannot read answer"}
	}
	var env ocsEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return &Error{Method: method, Path: path, Status: resp.StatusCode, Message: "answer is not OCS JSON"}
	}
	sc := env.OCS.Meta.StatusCode
	if resp.StatusCode >= 300 || (sc != 100 && sc != 200) {
		return &Error{Method: method, Path: path, Status: resp.StatusCode, StatusCode: sc, Message: env.OCS.Meta.Message}
	}
	if out != nil && len(env.OCS.Data) > 0 {
		if err := json.Unmarshal(env.OCS.Data, out); err != nil {
			return &Error{Method: method, Path: path, Status: resp.StatusCode, StatusCode: sc, Message: "unexpected data shape"}
		}
	}
	return nil
}

// scrub returns err's text without the request URL's query (which could in
// principle carry values) so it is safe to log.
func scrub(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

type ridKey struct{}

// WithRequestID returns ctx whose OCS calls echo AA-REQUEST-ID id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ridKey{}, id)
}

// RequestIDFrom returns the id set by WithRequestID.
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(ridKey{}).(string)
	return s
}
