package appapisim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// LifecycleResult is what an occ-like lifecycle command produced.
type LifecycleResult struct {
	ExitCode int        `json:"exit_code"`
	Output   string     `json:"output"` // what occ would print
	Error    string     `json:"error,omitempty"`
	Enabled  bool       `json:"enabled"`
	Status   InitStatus `json:"status"`
}

func (s *Server) result(code int, out string) LifecycleResult {
	r := LifecycleResult{ExitCode: code, Output: out}
	s.st.view(func(a *AppState) { r.Enabled, r.Status = a.Enabled, a.Status })
	if code != 0 {
		r.Error = strings.TrimSpace(out)
	}
	return r
}

// Register plays `occ app_api:app:register <appid> --wait-finish` for a
// manual-install daemon (nextcloud/app_api lib/Command/ExApp/Register.php). Unless faithfulWait, it
// also waits for the enable triggered by progress 100 to finish (real occ
// returns as soon as init=100 is stored, a moment before /enabled ends).
func (s *Server) Register(ctx context.Context, faithfulWait bool) LifecycleResult {
	id := s.info.ID
	already := false
	s.st.update(func(a *AppState) {
		if a.Registered && !a.Seeded {
			already = true
			return
		}
		a.clearRegistrations()
		a.Registered, a.Version = true, s.info.Version
		a.Status = InitStatus{Deploy: 100, Type: "install"} // manual deploy: 0→100
	})
	if already {
		return s.result(3, fmt.Sprintf("ExApp %s is already registered.\n", id))
	}
	var out strings.Builder
	if !s.heartbeat(ctx) {
		s.st.update(func(a *AppState) { a.Status.Error = "Heartbeat check failed" })
		return s.result(1, fmt.Sprintf("ExApp %s heartbeat check failed. Make sure that Nextcloud instance and ExApp can reach it other.\n", id))
	}
	fmt.Fprintf(&out, "ExApp %s deployed successfully.\n", id)
	s.dispatchInit(ctx)
	if msg := s.waitInit(ctx, !faithfulWait); msg != "" {
		return s.result(1, out.String()+msg+"\n")
	}
	fmt.Fprintf(&out, "ExApp %s successfully registered.\n", id)
	return s.result(0, out.String())
}

// waitInit is ExAppService::waitInitStepFinish bounded by InitTimeout.
func (s *Server) waitInit(ctx context.Context, waitEnable bool) string {
	deadline := time.Now().Add(s.cfg.InitTimeout)
	for {
		var st InitStatus
		s.st.view(func(a *AppState) { st = a.Status })
		if st.Error != "" {
			return fmt.Sprintf("ExApp %s initialization step failed. Error: %s", s.info.ID, st.Error)
		}
		if st.Init == 100 && (!waitEnable || s.st.enablingNow() == 0) {
			return ""
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("ExApp %s initialization timed out (%dm)", s.info.ID, int(s.cfg.InitTimeout.Minutes()))
			s.st.update(func(a *AppState) { a.Status.Error = msg })
			return fmt.Sprintf("ExApp %s initialization step failed. Error: %s", s.info.ID, msg)
		}
		select {
		case <-ctx.Done():
			return "interrupted: " + ctx.Err().Error()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// dispatchInit is AAS::dispatchExAppInitInternal.
func (s *Server) dispatchInit(ctx context.Context) {
	_ = s.setInitProgress(ctx, 0, "", "CLI")
	s.st.update(func(a *AppState) { a.Enabled, a.Status.Error = true, "" })
	code, body, err := s.call(ctx, http.MethodPost, "/init", s.cfg.InitCallTimeout, true, "CLI", nil)
	switch {
	case err != nil:
		_ = s.setInitProgress(ctx, 0, fmt.Sprintf("cURL error: %v", err), "CLI")
	case code == http.StatusNotFound || code == http.StatusNotImplemented:
		_ = s.setInitProgress(ctx, 100, "", "CLI")
	case code >= 400:
		kind := "Client"
		if code >= 500 {
			kind = "Server"
		}
		msg := fmt.Sprintf("%s error: `POST %s` resulted in a `%d %s` response:\n%s", kind,
			s.exapp.target("/init", ""), code, http.StatusText(code), truncate(string(body), 120))
		_ = s.setInitProgress(ctx, 0, msg, "CLI")
	}
}

// setInitProgress is AAS::setAppInitProgress; progress 100 synchronously
// runs enableExApp before returning (the caller's HTTP answer waits for it).
func (s *Server) setInitProgress(ctx context.Context, progress int, errMsg, requestID string) error {
	if progress < 0 || progress > 100 {
		return errors.New("Invalid ExApp init status progress value")
	}
	ignored := false
	s.st.update(func(a *AppState) {
		if progress != 0 && a.Status.Init == 100 {
			ignored = true
			return
		}
		if errMsg != "" {
			a.Status.Error = errMsg
		} else {
			if progress == 0 {
				a.Status.Action, a.Status.InitStartTime, a.Status.Error = "init", time.Now().Unix(), ""
			}
			a.Status.Init = progress
		}
		if progress == 100 {
			a.Status.Action, a.Status.Type = "", ""
		}
	})
	if !ignored && progress == 100 {
		s.enableExApp(detach(ctx), requestID)
	}
	return nil
}

// enableExApp: enabled=1 (error cleared) → heartbeat → PUT /enabled?enabled=1;
// a non-empty JSON "error" or a transport failure disables again.
func (s *Server) enableExApp(ctx context.Context, requestID string) bool {
	s.st.addEnabling(1)
	defer s.st.addEnabling(-1)
	s.st.update(func(a *AppState) { a.Enabled, a.Status.Error = true, "" })
	if !s.heartbeat(ctx) {
		s.log.Error("ExApp heartbeat failed", "app", s.info.ID)
		return false
	}
	_, body, err := s.call(ctx, http.MethodPut, "/enabled?enabled=1", s.cfg.EnableTimeout, true, requestID, nil)
	if reason := enabledError(body, err); reason != "" {
		s.log.Error("Failed to enable ExApp", "app", s.info.ID, "error", reason)
		s.st.update(func(a *AppState) { a.Enabled = false })
		return false
	}
	return true
}

// disableExApp: PUT /enabled?enabled=0 while still enabled, then enabled=0.
func (s *Server) disableExApp(ctx context.Context, requestID string) bool {
	_, body, err := s.call(ctx, http.MethodPut, "/enabled?enabled=0", s.cfg.EnableTimeout, true, requestID, nil)
	reason := enabledError(body, err)
	if reason != "" {
		s.log.Error("Failed to disable ExApp", "app", s.info.ID, "error", reason)
	}
	s.st.update(func(a *AppState) { a.Enabled = false })
	return reason == ""
}

// enabledError reads /enabled's answer: only JSON "error" counts, the HTTP
// status is ignored.
func enabledError(body []byte, err error) string {
	if err != nil {
		return err.Error()
	}
	var v map[string]any
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	switch e := v["error"].(type) {
	case nil:
		return ""
	case string:
		return e
	case bool:
		if e {
			return "true"
		}
		return ""
	default:
		return fmt.Sprint(e)
	}
}

// heartbeat is AAS::heartbeatExApp: HTTP 200 and JSON status "ok"; signed
// with an empty user only in HaRP (socket) mode.
func (s *Server) heartbeat(ctx context.Context) bool {
	jsonHeaders := http.Header{"Accept": {"application/json"}, "Content-Type": {"application/json"}}
	for i := 0; i < s.cfg.HeartbeatAttempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return false
			case <-time.After(s.cfg.HeartbeatInterval):
			}
		}
		code, body, err := s.call(ctx, http.MethodGet, "/heartbeat", 30*time.Second, s.exapp.harp, "CLI", jsonHeaders)
		if err != nil || code != http.StatusOK {
			continue
		}
		var v struct {
			Status any `json:"status"`
		}
		if json.Unmarshal(body, &v) == nil && v.Status == "ok" {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + " (truncated...)"
}
