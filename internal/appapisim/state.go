package appapisim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// InitStatus mirrors the ExApp row's status column.
type InitStatus struct {
	Deploy        int    `json:"deploy"`
	Init          int    `json:"init"`
	Action        string `json:"action"`
	Type          string `json:"type"`
	Error         string `json:"error"`
	InitStartTime int64  `json:"init_start_time,omitempty"`
}

// OccCommand is a registered occ command (nextcloud/app_api lib/Service/ExAppOccService.php).
type OccCommand struct {
	Name           string        `json:"name"`
	Description    string        `json:"description"`
	Hidden         int           `json:"hidden"`
	Arguments      []OccArgument `json:"arguments"`
	Options        []OccOption   `json:"options"`
	Usages         []string      `json:"usages"`
	ExecuteHandler string        `json:"execute_handler"`
}

// OccArgument is one declared argument; Mode is required|optional|array,
// comma-combinable.
type OccArgument struct {
	Name        string `json:"name"`
	Mode        string `json:"mode"`
	Description string `json:"description"`
	Default     any    `json:"default"`
}

// OccOption is one declared option; Mode is required|optional|none|array|negatable.
type OccOption struct {
	Name        string `json:"name"`
	Shortcut    string `json:"shortcut"`
	Mode        string `json:"mode"`
	Description string `json:"description"`
	Default     any    `json:"default"`
}

// TopMenu is a registered navigation entry.
type TopMenu struct {
	Name          string `json:"name"`
	DisplayName   string `json:"display_name"`
	Icon          string `json:"icon"`
	AdminRequired int    `json:"admin_required"`
}

// InitialState is stored as the JSON text the ExApp sent.
type InitialState struct {
	Type  string          `json:"type"`
	Name  string          `json:"name"`
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// Script is a registered page script (path without ".js").
type Script struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Path       string `json:"path"`
	AfterAppID string `json:"after_app_id"`
}

// Style is a registered page style (path without ".css").
type Style struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Path string `json:"path"`
}

// SettingsForm is a declarative settings form scheme.
type SettingsForm struct {
	FormID string         `json:"formid"`
	Scheme map[string]any `json:"scheme"`
}

// ConfigValue is one app-config or preference value.
type ConfigValue struct {
	Value     string `json:"value"`
	Sensitive bool   `json:"sensitive"`
}

// LogEntry is a message the ExApp logged through /api/v1/log.
type LogEntry struct {
	Level   int       `json:"level"`
	Message string    `json:"message"`
	Time    time.Time `json:"time"`
}

// AppState is the simulated database content for the one ExApp.
type AppState struct {
	Registered    bool                              `json:"registered"`
	Seeded        bool                              `json:"seeded,omitempty"` // registered by /sim/seed; register replaces it
	Enabled       bool                              `json:"enabled"`
	Version       string                            `json:"version"`
	Status        InitStatus                        `json:"status"`
	OccCommands   []OccCommand                      `json:"occ_commands"`
	TopMenus      []TopMenu                         `json:"top_menus"`
	InitialStates []InitialState                    `json:"initial_states"`
	Scripts       []Script                          `json:"scripts"`
	Styles        []Style                           `json:"styles"`
	SettingsForms []SettingsForm                    `json:"settings_forms"`
	FileActions   []map[string]any                  `json:"file_actions"`
	AppConfig     map[string]ConfigValue            `json:"app_config"`
	Preferences   map[string]map[string]ConfigValue `json:"preferences"`
	Notifications []Notification                    `json:"notifications"`
	SetupChecks   SetupCheckState                   `json:"setup_checks"`
	Logs          []LogEntry                        `json:"logs"`
}

// maxLogs bounds the kept ExApp log messages.
const maxLogs = 500

// store guards AppState. Its lock is never held while calling the ExApp:
// the ExApp calls back into the simulator from inside those calls.
type store struct {
	mu       sync.Mutex
	app      AppState
	enabling int // enableExApp runs in flight
	file     string
}

func newStore(file string) (*store, error) {
	s := &store{file: file, app: AppState{AppConfig: map[string]ConfigValue{}, Preferences: map[string]map[string]ConfigValue{}}}
	if file == "" {
		return s, nil
	}
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read state file: %w", err)
	}
	if err := json.Unmarshal(raw, &s.app); err != nil {
		return nil, fmt.Errorf("cannot parse state file %s: %w", file, err)
	}
	if s.app.AppConfig == nil {
		s.app.AppConfig = map[string]ConfigValue{}
	}
	if s.app.Preferences == nil {
		s.app.Preferences = map[string]map[string]ConfigValue{}
	}
	return s, nil
}

// update runs fn under the lock and persists the result.
func (s *store) update(fn func(a *AppState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.app)
	if s.file != "" {
		raw, _ := json.MarshalIndent(s.app, "", "  ")
		s.persist(raw)
	}
}

// view runs fn under the lock; fn must not keep references.
func (s *store) view(fn func(a *AppState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(&s.app)
}

// snapshot returns a deep copy.
func (s *store) snapshot() AppState {
	s.mu.Lock()
	raw, _ := json.Marshal(s.app)
	s.mu.Unlock()
	var out AppState
	_ = json.Unmarshal(raw, &out)
	return out
}

func (s *store) addEnabling(d int) {
	s.mu.Lock()
	s.enabling += d
	s.mu.Unlock()
}

func (s *store) enablingNow() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enabling
}

func (s *store) persist(raw []byte) {
	if s.file == "" {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.file), ".appapi-sim-state-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(raw)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return
	}
	_ = os.Rename(tmp.Name(), s.file)
}

// clearRegistrations deletes everything unregister removes; app config and
// preferences stay (they live in oc_appconfig/oc_preferences).
func (a *AppState) clearRegistrations() {
	a.Registered, a.Enabled, a.Seeded = false, false, false
	a.Status = InitStatus{}
	a.OccCommands, a.TopMenus, a.InitialStates = nil, nil, nil
	a.Scripts, a.Styles, a.SettingsForms, a.FileActions = nil, nil, nil, nil
	a.SetupChecks = SetupCheckState{} // ExAppService::unregisterExApp opts out
}
