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
