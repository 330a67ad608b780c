package appapisim

import (
	"strings"
	"sync"
	"time"
)

// Call is one recorded OCS request from the ExApp.
type Call struct {
	Method     string    `json:"method"`
	Path       string    `json:"path"` // e.g. /ocs/v1.php/apps/app_api/api/v1/log
	Query      string    `json:"query"`
	Body       any       `json:"body"` // decoded JSON, or the raw text
	User       string    `json:"user"` // user from AUTHORIZATION-APP-API ("" = none)
	AppID      string    `json:"app_id"`
	Status     int       `json:"status"`     // HTTP status answered
	StatusCode int       `json:"statuscode"` // OCS meta statuscode
	Time       time.Time `json:"time"`
}

// maxCalls bounds the recorder; the oldest calls are dropped first.
const maxCalls = 5000

// callLog records OCS calls for tests (GET/DELETE /sim/calls).
type callLog struct {
	mu    sync.Mutex
	calls []Call
}

func (l *callLog) add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
	if len(l.calls) > maxCalls {
		l.calls = append([]Call(nil), l.calls[len(l.calls)-maxCalls:]...)
	}
}

// list returns the calls whose path contains substr (all when empty).
func (l *callLog) list(substr string) []Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Call{}
	for _, c := range l.calls {
		if strings.Contains(c.Path, substr) {
			out = append(out, c)
		}
	}
	return out
}

func (l *callLog) clear() {
	l.mu.Lock()
	l.calls = nil
	l.mu.Unlock()
}
