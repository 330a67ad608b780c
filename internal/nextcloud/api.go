package nextcloud

import (
	"context"
	"net/http"
	"net/url"
)

const aa = "apps/app_api/"

// SetInitProgress reports /init progress (0..100) or, with a non-empty
// errMsg, an init failure. Progress 100 makes Nextcloud call the ExApp's
// /heartbeat and /enabled before it answers: the caller must hold no lock the
// ExApp's handlers need.
func (c *Client) SetInitProgress(ctx context.Context, progress int, errMsg string) error {
	body := map[string]any{"progress": progress}
	if errMsg != "" {
		body["error"] = errMsg
	}
	return c.OCS(ctx, http.MethodPut, aa+"ex-app/status", nil, body, nil)
}

// Log levels of Nextcloud's log.
const (
	LevelDebug = 0
	LevelInfo  = 1
	LevelWarn  = 2
	LevelError = 3
	LevelFatal = 4
)

// Log writes message to nextcloud.log under the ExApp's id.
func (c *Client) Log(ctx context.Context, level int, message string) error {
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/log", nil, map[string]any{"level": level, "message": message}, nil)
}

// OccArgument and OccOption describe an occ command's input (§8.2).
type OccArgument struct {
	Name        string `json:"name"`
	Mode        string `json:"mode"` // required | optional | array
	Description string `json:"description"`
	Default     any    `json:"default,omitempty"`
}

// OccOption is one --option of an occ command.
type OccOption struct {
	Name        string `json:"name"`
	Shortcut    string `json:"shortcut,omitempty"`
	Mode        string `json:"mode"` // required | optional | none | array | negatable
	Description string `json:"description"`
	Default     any    `json:"default,omitempty"`
}

// OccCommand is an occ command AppAPI forwards to ExecuteHandler.
type OccCommand struct {
	Name           string        `json:"name"`
	Description    string        `json:"description"`
	Hidden         int           `json:"hidden"`
	Arguments      []OccArgument `json:"arguments"`
	Options        []OccOption   `json:"options"`
	Usages         []string      `json:"usages"`
	ExecuteHandler string        `json:"execute_handler"`
}

// RegisterOccCommand registers (or replaces) cmd.
func (c *Client) RegisterOccCommand(ctx context.Context, cmd OccCommand) error {
	if cmd.Arguments == nil {
		cmd.Arguments = []OccArgument{}
	}
	if cmd.Options == nil {
		cmd.Options = []OccOption{}
	}
	if cmd.Usages == nil {
		cmd.Usages = []string{}
	}
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/occ_command", nil, cmd, nil)
}

// UnregisterOccCommand removes the command name; a missing one is not an error.
func (c *Client) UnregisterOccCommand(ctx context.Context, name string) error {
	return ignoreNotFound(c.OCS(ctx, http.MethodDelete, aa+"api/v1/occ_command", url.Values{"name": {name}}, nil, nil))
}

// TopMenu is a Nextcloud top-menu entry (§7.3).
type TopMenu struct {
	Name          string `json:"name"`
	DisplayName   string `json:"displayName"`
	Icon          string `json:"icon,omitempty"`
	AdminRequired int    `json:"adminRequired"`
}

// RegisterTopMenu registers m.
func (c *Client) RegisterTopMenu(ctx context.Context, m TopMenu) error {
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/ui/top-menu", nil, m, nil)
}

// UnregisterTopMenu removes the entry name.
func (c *Client) UnregisterTopMenu(ctx context.Context, name string) error {
	return ignoreNotFound(c.OCS(ctx, http.MethodDelete, aa+"api/v1/ui/top-menu", url.Values{"name": {name}}, nil, nil))
}

// RegisterScript adds the ExApp-relative script path (without ".js") to the
// top-menu page name.
func (c *Client) RegisterScript(ctx context.Context, menu, path string) error {
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/ui/script", nil, map[string]any{"type": "top_menu", "name": menu, "path": path}, nil)
}

// UnregisterScript removes a script added by RegisterScript.
func (c *Client) UnregisterScript(ctx context.Context, menu, path string) error {
	return ignoreNotFound(c.OCS(ctx, http.MethodDelete, aa+"api/v1/ui/script", url.Values{"type": {"top_menu"}, "name": {menu}, "path": {path}}, nil, nil))
}

// RegisterStyle adds the ExApp-relative style path (without ".css").
func (c *Client) RegisterStyle(ctx context.Context, menu, path string) error {
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/ui/style", nil, map[string]any{"type": "top_menu", "name": menu, "path": path}, nil)
}

// UnregisterStyle removes a style added by RegisterStyle.
func (c *Client) UnregisterStyle(ctx context.Context, menu, path string) error {
	return ignoreNotFound(c.OCS(ctx, http.MethodDelete, aa+"api/v1/ui/style", url.Values{"type": {"top_menu"}, "name": {menu}, "path": {path}}, nil, nil))
}

// SetInitialState provides value (an object) to the top-menu page under key.
func (c *Client) SetInitialState(ctx context.Context, menu, key string, value any) error {
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/ui/initial-state", nil, map[string]any{"type": "top_menu", "name": menu, "key": key, "value": value}, nil)
}

// DeleteInitialState removes an initial state.
func (c *Client) DeleteInitialState(ctx context.Context, menu, key string) error {
	return ignoreNotFound(c.OCS(ctx, http.MethodDelete, aa+"api/v1/ui/initial-state", url.Values{"type": {"top_menu"}, "name": {menu}, "key": {key}}, nil, nil))
}

// RegisterSettingsForm registers a declarative settings form (§8.3).
func (c *Client) RegisterSettingsForm(ctx context.Context, form map[string]any) error {
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/ui/settings", nil, map[string]any{"formScheme": form}, nil)
}

// UnregisterSettingsForm removes the form formID.
func (c *Client) UnregisterSettingsForm(ctx context.Context, formID string) error {
	return ignoreNotFound(c.OCS(ctx, http.MethodDelete, aa+"api/v1/ui/settings", url.Values{"formId": {formID}}, nil, nil))
}

// AppConfigValues returns the stored values of keys (missing keys are absent).
func (c *Client) AppConfigValues(ctx context.Context, keys ...string) (map[string]string, error) {
	var rows []struct {
		Key   string `json:"configkey"`
		Value string `json:"configvalue"`
	}
	if err := c.OCS(ctx, http.MethodPost, aa+"api/v1/ex-app/config/get-values", nil, map[string]any{"configKeys": keys}, &rows); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// SetAppConfig stores value under key in the ExApp's config
// (appconfig_ex, POST api/v1/ex-app/config), not sensitive.
func (c *Client) SetAppConfig(ctx context.Context, key, value string) error {
	return c.OCS(ctx, http.MethodPost, aa+"api/v1/ex-app/config", nil, map[string]any{"configKey": key, "configValue": value}, nil)
}

func ignoreNotFound(err error) error {
	if IsNotFound(err) {
		return nil
	}
	return err
}
