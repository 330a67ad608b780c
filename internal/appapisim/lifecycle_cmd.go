package appapisim

import (
	"context"
	"fmt"
)

// Enable plays `occ app_api:app:enable <appid>`.
func (s *Server) Enable(ctx context.Context, _ bool) LifecycleResult {
	id := s.info.ID
	var registered, enabled bool
	s.st.view(func(a *AppState) { registered, enabled = a.Registered, a.Enabled })
	switch {
	case !registered:
		return s.result(1, fmt.Sprintf("ExApp %s not found. Failed to enable.\n", id))
	case enabled:
		return s.result(0, fmt.Sprintf("ExApp %s already enabled.\n", id))
	}
	if s.enableExApp(ctx, "CLI") {
		return s.result(0, fmt.Sprintf("ExApp %s successfully enabled.\n", id))
	}
	return s.result(1, fmt.Sprintf("Failed to enable ExApp %s.\n", id))
}

// Disable plays `occ app_api:app:disable <appid>`.
func (s *Server) Disable(ctx context.Context, _ bool) LifecycleResult {
	id := s.info.ID
	var registered, enabled bool
	s.st.view(func(a *AppState) { registered, enabled = a.Registered, a.Enabled })
	switch {
	case !registered:
		return s.result(1, fmt.Sprintf("ExApp %s not found. Failed to disable.\n", id))
	case !enabled:
		return s.result(0, fmt.Sprintf("ExApp %s already disabled.\n", id))
	}
	if s.disableExApp(ctx, "CLI") {
		return s.result(0, fmt.Sprintf("ExApp %s successfully disabled.\n", id))
	}
	return s.result(1, fmt.Sprintf("Failed to disable ExApp %s.\n", id))
}

// Unregister plays `occ app_api:app:unregister <appid>`; force continues
// when the disable call failed.
func (s *Server) Unregister(ctx context.Context, force bool) LifecycleResult {
	id := s.info.ID
	var registered, enabled bool
	s.st.view(func(a *AppState) { registered, enabled = a.Registered, a.Enabled })
	if !registered {
		return s.result(1, fmt.Sprintf("ExApp %s not found. Failed to unregister.\n", id))
	}
	out := ""
	if enabled {
		if !s.disableExApp(ctx, "CLI") {
			out += fmt.Sprintf("Error during disabling %s ExApp.\n", id)
			if !force {
				return s.result(1, out)
			}
		} else {
			out += fmt.Sprintf("ExApp %s successfully disabled.\n", id)
		}
	}
	s.st.update(func(a *AppState) { a.clearRegistrations() })
	out += fmt.Sprintf("ExApp %s successfully unregistered.\n", id)
	return s.result(0, out)
}
