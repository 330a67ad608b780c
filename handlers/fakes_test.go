package handlers_test

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/weather-apis/weather_apis/handlers"
	"github.com/weather-apis/weather_apis/internal/cacheadmin"
	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/diagnostics"
	"github.com/weather-apis/weather_apis/internal/envelope"
)

// fakeLifecycle records lifecycle calls.
type fakeLifecycle struct {
	mu       sync.Mutex
	inits    []string
	enabled  []bool
	failWith error
}

var _ handlers.Lifecycle = (*fakeLifecycle)(nil)

func (f *fakeLifecycle) StartInit(rid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inits = append(f.inits, rid)
}

func (f *fakeLifecycle) SetEnabled(ctx context.Context, on bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enabled = append(f.enabled, on)
	return f.failWith
}

// fakeResources answers through func fields; a nil field panics, which the
// server must turn into a 500 envelope.
type fakeResources struct {
	ReadFn  func(ctx context.Context, route string, p handlers.Params) (handlers.Answer, error)
	WriteFn func(ctx context.Context, route string, p handlers.Params, body []byte) (handlers.Answer, error)
}

var _ handlers.Resources = (*fakeResources)(nil)

func (f *fakeResources) Read(ctx context.Context, route string, p handlers.Params) (handlers.Answer, error) {
	return f.ReadFn(ctx, route, p)
}

func (f *fakeResources) Write(ctx context.Context, route string, p handlers.Params, body []byte) (handlers.Answer, error) {
	return f.WriteFn(ctx, route, p, body)
}

type fakeOcc struct {
	RunFn func(ctx context.Context, cmd string, in handlers.OccInput) (string, error)
}

func (f *fakeOcc) RunOcc(ctx context.Context, cmd string, in handlers.OccInput) (string, error) {
	return f.RunFn(ctx, cmd, in)
}

type fakeIntegr struct {
	Fn func(r *http.Request, scope string) error
}

func (f *fakeIntegr) Authenticate(r *http.Request, scope string) error { return f.Fn(r, scope) }

// fakeAdmins says "admin" is an administrator, "down" makes Nextcloud
// unable to answer, anyone else is not an administrator.
type fakeAdmins struct{}

var _ handlers.AdminChecker = fakeAdmins{}

func (fakeAdmins) IsAdmin(ctx context.Context, user string) (bool, error) {
	if user == "down" {
		return false, envelope.New(envelope.CodeNextcloudUnavailable, "Nextcloud could not confirm that \"down\" is an administrator: it is unreachable.")
	}
	return user == "admin", nil
}

// fakeCacheAdmin answers empty reports.
type fakeCacheAdmin struct{}

var _ handlers.CacheAdmin = fakeCacheAdmin{}

func (fakeCacheAdmin) Stats(context.Context) (cacheadmin.StatsReport, error) {
	return cacheadmin.StatsReport{CachedRoutes: []string{"farm_list"}}, nil
}

func (fakeCacheAdmin) Flush(_ context.Context, route string) (cacheadmin.FlushReport, error) {
	if route == "bogus" {
		return cacheadmin.FlushReport{}, envelope.New(envelope.CodeBadRequest, "Unknown route \"bogus\".")
	}
	return cacheadmin.FlushReport{Flushed: "all"}, nil
}

func (fakeCacheAdmin) Verify(context.Context) (cacheadmin.VerifyReport, error) {
	return cacheadmin.VerifyReport{}, envelope.New(envelope.CodeStoreUnavailable, "The cache could not be verified.")
}

// fakeDoctor says every layer is healthy.
type fakeDoctor struct{}

func (fakeDoctor) Diagnose(context.Context) diagnostics.Diagnosis {
	return diagnostics.Diagnosis{Healthy: true, Verdict: "Every layer is healthy.", Layers: []diagnostics.Layer{}}
}

// fakeCreds keeps credentials in memory; "down" as an id makes the store
// unavailable.
type fakeCreds struct {
	mu   sync.Mutex
	list []credentials.View
}

var _ handlers.Credentials = (*fakeCreds)(nil)

func (f *fakeCreds) List(context.Context) ([]credentials.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]credentials.View{}, f.list...), nil
}

func (f *fakeCreds) Create(_ context.Context, req credentials.CreateRequest) (credentials.View, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := credentials.View{ID: "id" + string(rune('a'+len(f.list))), Name: req.Name, Type: req.Type, Scopes: req.Scopes, CreatedBy: req.CreatedBy}
	f.list = append(f.list, v)
	v.Secret = "wak_secret"
	return v, nil
}

func (f *fakeCreds) Revoke(_ context.Context, id string) (credentials.View, error) {
	if id == "down" {
		return credentials.View{}, envelope.New(envelope.CodeStoreUnavailable, "The credential store (Redis) is unavailable.")
	}
	return credentials.View{}, envelope.Errorf(envelope.CodeNotFound, "No credential has the id %q.", id)
}

// refuseIntegrations refuses every integration request as a request
// without credentials, with the challenge the real authenticator sends.
var refuseIntegrations = &fakeIntegr{Fn: func(*http.Request, string) error {
	return envelope.New(envelope.CodeUnauthenticated, "Send an API key or a bearer token.").
		WithHeader("WWW-Authenticate", `Bearer realm="weather_apis"`)
}}

type fakeSetupChecks struct{ v any }

func (f fakeSetupChecks) SetupChecks(context.Context) any { return f.v }

// nopMetrics records nothing.
type nopMetrics struct{}

func (nopMetrics) ObserveRequest(string, string, int, string, time.Duration) {}
func (nopMetrics) ObserveAuthFailure(string)                                 {}
