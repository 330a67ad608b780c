package openapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Load parses and validates doc with kin-openapi (OpenAPI 3.1 rules, JSON
// Schema 2020-12).
func Load(doc []byte) (*openapi3.T, error) {
	t, err := openapi3.NewLoader().LoadFromData(doc)
	if err != nil {
		return nil, fmt.Errorf("cannot load OpenAPI document: %w", err)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid OpenAPI document: %w", err)
	}
	return t, nil
}

// Validator checks request/response pairs against the document (tests).
type Validator struct {
	router routers.Router
}

// proxyPrefixes are stripped before routing: the document's servers.
var proxyPrefixes = [...]string{"/index.php/apps/app_api/proxy/weather_apis", "/exapps/weather_apis"}

// NewValidator returns a Validator for doc. Requests may be addressed to the
// ExApp directly or through AppAPI's or HaRP's prefix.
func NewValidator(doc []byte) (*Validator, error) {
	t, err := Load(doc)
	if err != nil {
		return nil, err
	}
	t.Servers = nil // match paths as the ExApp sees them
	r, err := legacy.NewRouter(t)
	if err != nil {
		return nil, fmt.Errorf("cannot build OpenAPI router: %w", err)
	}
	return &Validator{router: r}, nil
}

// Check validates one exchange: the request (method, path, parameters,
// body) and the response (status, headers, body). Credentials are not
// checked here (the app enforces them); an undocumented route is an error.
func (v *Validator) Check(req *http.Request, reqBody []byte, status int, h http.Header, respBody []byte) error {
	r := req.Clone(context.Background())
	for _, p := range proxyPrefixes {
		if rest, ok := strings.CutPrefix(r.URL.Path, p); ok {
			r.URL.Path, r.URL.RawPath = rest, ""
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("%s %s: not in the OpenAPI document: %w", req.Method, req.URL.Path, err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
	ctx := context.Background()
	if status < 400 { // a rejected request may legitimately break the schema
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return fmt.Errorf("%s %s: request: %w", req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: h,
		Body: io.NopCloser(bytes.NewReader(respBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("%s %s: response %d: %w", req.Method, req.URL.Path, status, err)
	}
	return nil
}

// Transport wraps base (nil: http.DefaultTransport) so every exchange made
// through it is checked; report receives each violation.
func (v *Validator) Transport(base http.RoundTripper, report func(error)) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		var reqBody []byte
		if req.Body != nil {
			b, err := io.ReadAll(req.Body)
			_ = req.Body.Close()
			if err != nil {
				return nil, err
			}
			reqBody = b
			req.Body = io.NopCloser(bytes.NewReader(b))
		}
		resp, err := base.RoundTrip(req)
		if err != nil {
			return resp, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil {
			return resp, err
		}
		if verr := v.Check(req, reqBody, resp.StatusCode, resp.Header, body); verr != nil {
			report(verr)
		}
		return resp, nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
