package appapisim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Client talks to a running simulator's /sim/ control API.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	HTTP    *http.Client
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the simulator at %s: %w", c.BaseURL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("simulator answered %d with %q: %w", resp.StatusCode, truncate(string(raw), 200), err)
	}
	return nil
}

// Occ runs `occ argv...` in the simulator.
func (c *Client) Occ(ctx context.Context, argv ...string) (OccResult, error) {
	var res OccResult
	err := c.do(ctx, http.MethodPost, "/sim/occ", map[string]any{"argv": argv}, &res)
	return res, err
}

// Lifecycle runs register|enable|disable|unregister.
func (c *Client) Lifecycle(ctx context.Context, command string, faithfulWait, force bool) (LifecycleResult, error) {
	var res LifecycleResult
	err := c.do(ctx, http.MethodPost, "/sim/"+command, lifecycleRequest{FaithfulWait: faithfulWait, Force: force}, &res)
	return res, err
}

// App returns GET /sim/app.
func (c *Client) App(ctx context.Context) (AppView, error) {
	var v AppView
	err := c.do(ctx, http.MethodGet, "/sim/app", nil, &v)
	return v, err
}

// State returns GET /sim/state.
func (c *Client) State(ctx context.Context) (StateView, error) {
	var v StateView
	err := c.do(ctx, http.MethodGet, "/sim/state", nil, &v)
	return v, err
}

// Calls returns the recorded OCS calls whose path contains substr.
func (c *Client) Calls(ctx context.Context, substr string) ([]Call, error) {
	var v []Call
	err := c.do(ctx, http.MethodGet, "/sim/calls?path="+url.QueryEscape(substr), nil, &v)
	return v, err
}

// ClearCalls empties the call recorder.
func (c *Client) ClearCalls(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/sim/calls", nil, nil)
}

// Seed marks the app registered and enabled without lifecycle calls
// (POST /sim/seed).
func (c *Client) Seed(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/sim/seed", nil, nil)
}

// SetGroupMember adds user to group (in) or removes them.
func (c *Client) SetGroupMember(ctx context.Context, user, group string, in bool) error {
	method := http.MethodDelete
	if in {
		method = http.MethodPut
	}
	var out map[string]any
	if err := c.do(ctx, method, "/sim/groups/"+url.PathEscape(group)+"/users/"+url.PathEscape(user), nil, &out); err != nil {
		return err
	}
	if e, ok := out["error"]; ok {
		return fmt.Errorf("simulator: %v", e)
	}
	return nil
}

// Notifications returns the notifications sent to user ("" = everyone),
// newest first.
func (c *Client) Notifications(ctx context.Context, user string) ([]Notification, error) {
	var v []Notification
	err := c.do(ctx, http.MethodGet, "/sim/notifications?user="+url.QueryEscape(user), nil, &v)
	return v, err
}

// SetupChecks returns the stored setup-check state; refresh runs AppAPI's
// background job first.
func (c *Client) SetupChecks(ctx context.Context, refresh bool) (SetupCheckState, error) {
	var v SetupCheckState
	method, path := http.MethodGet, "/sim/setup-checks"
	if refresh {
		method, path = http.MethodPost, "/sim/setup-checks/refresh"
	}
	err := c.do(ctx, method, path, nil, &v)
	return v, err
}
