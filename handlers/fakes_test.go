package handlers_test

import (
	"context"
	"net/http"
	"sync"

	"github.com/weather-apis/weather_apis/handlers"
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
