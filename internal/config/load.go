package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	yamlv3 "go.yaml.in/yaml/v3"
)

// Load builds the configuration from three layers, lowest precedence first:
// the built-in defaults (app.version defaults to buildVersion), the YAML file
// named by WEATHER_APIS_CONFIG in environ, and environ itself. environ holds
// "NAME=value" entries as os.Environ returns them; a variable set to the
// empty string counts as unset, as AppAPI passes only non-empty values.
//
// Unknown YAML keys, unknown WEATHER_APIS_* variables, an unreadable or
// malformed file and invalid values are all collected: on any problem Load
// returns a nil Config and a *ValidationError listing every one of them.
func Load(environ []string, buildVersion string) (*Config, error) {
	l := newLoader(environ)
	def := l.defaults(buildVersion)
	fileVals := l.file()
	envK := l.env()

	merged := koanf.New(".")
	if err := merged.Merge(def); err != nil {
		return nil, fmt.Errorf("cannot merge config defaults: %w", err)
	}
	if err := merged.Load(confmap.Provider(fileVals, "."), nil); err != nil {
		return nil, fmt.Errorf("cannot merge config file: %w", err)
	}
	if err := merged.Merge(envK); err != nil {
		return nil, fmt.Errorf("cannot merge environment: %w", err)
	}

	c := &Config{sources: make(map[string]Source, len(l.specs))}
	bad := make(map[string]bool)
	for _, s := range l.specs {
		src := SourceDefault
		if _, ok := fileVals[s.Key]; ok {
			src = SourceFile
		}
		if envK.Exists(s.Key) {
			src = SourceEnv
		}
		c.sources[s.Key] = src
		raw := merged.Get(s.Key)
		if err := s.set(c, raw); err != nil {
			bad[s.Key] = true
			l.problems = append(l.problems, l.valueProblem(s, src, raw, err))
		}
	}
	l.crossCheck(c, bad)
	if verr := newValidationError(l.problems); verr != nil {
		return nil, verr
	}
	return c, nil
}

// loader holds the state of one Load call.
type loader struct {
	environ  []string
	specs    []spec
	byKey    map[string]spec
	byEnv    map[string]spec
	path     string // the YAML file, "" if none
	problems []string
}

func newLoader(environ []string) *loader {
	l := &loader{environ: environ, specs: specTable(),
		byKey: make(map[string]spec), byEnv: make(map[string]spec)}
	for _, s := range l.specs {
		l.byKey[s.Key] = s
		l.byEnv[s.Env] = s
	}
	for _, kv := range environ { // the last occurrence wins, as in the env layer
		if name, val, ok := strings.Cut(kv, "="); ok && name == envConfigFile {
			l.path = val
		}
	}
	return l
}

// defaults returns the built-in layer.
func (l *loader) defaults(buildVersion string) *koanf.Koanf {
	m := make(map[string]any, len(l.specs))
	for _, s := range l.specs {
		m[s.Key] = s.Default
	}
	m["app.version"] = buildVersion
	k := koanf.New(".")
	_ = k.Load(confmap.Provider(m, "."), nil) // confmap.Read never fails
	return k
}

// file reads the YAML layer and returns its known keys (flattened); unknown
// keys and read or parse errors become problems.
func (l *loader) file() map[string]any {
	out := make(map[string]any)
	if l.path == "" {
		return out
	}
	k := koanf.New(".")
	if err := k.Load(file.Provider(l.path), yaml.Parser()); err != nil {
		l.problems = append(l.problems, fileProblem(l.path, err))
		return out
	}
	for key, val := range k.All() {
		if _, ok := l.byKey[key]; ok {
			out[key] = val
			continue
		}
		if msg := l.unknownKey(key, val); msg != "" {
			l.problems = append(l.problems, fmt.Sprintf("%s: %s", l.path, msg))
		}
	}
	return out
}

// fileProblem describes a read or YAML error without echoing file content.
func fileProblem(path string, err error) string {
	var pathErr *fs.PathError
	var typeErr *yamlv3.TypeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("%s (%s): config file does not exist", envConfigFile, path)
	case errors.As(err, &pathErr):
		return fmt.Sprintf("%s (%s): cannot read config file: %v", envConfigFile, path, pathErr.Err)
	case errors.As(err, &typeErr):
		return fmt.Sprintf("%s: invalid YAML: the document must be a mapping of keys", path)
	default:
		msg := strings.Join(strings.Fields(err.Error()), " ")
		return fmt.Sprintf("%s: invalid YAML: %s", path, msg)
	}
}

// unknownKey explains a YAML key that is not a setting, or returns "" for
// an empty section (a YAML header whose children are all commented out).
func (l *loader) unknownKey(key string, val any) string {
	if l.isSection(key) {
		if m, ok := val.(map[string]any); val == nil || (ok && len(m) == 0) {
			return ""
		}
		return fmt.Sprintf("%s is a section and must be a mapping of its keys", key)
	}
	for parent := key; ; {
		i := strings.LastIndexByte(parent, '.')
		if i < 0 {
			break
		}
		parent = parent[:i]
		if _, ok := l.byKey[parent]; ok {
			return fmt.Sprintf("%s must be a single value, not a mapping (found key %s)", parent, key)
		}
	}
	msg := fmt.Sprintf("unknown key %s", key)
	if s, ok := l.byEnv[strings.ToUpper(key)]; ok {
		return msg + "; did you mean " + s.Key + "?"
	}
	keys := make([]string, len(l.specs))
	for i, s := range l.specs {
		keys[i] = s.Key
	}
	if hint := suggest(key, keys); hint != "" {
		msg += "; did you mean " + hint + "?"
	}
	return msg
}

// isSection reports whether key is a proper prefix of some setting's key.
func (l *loader) isSection(key string) bool {
	for _, s := range l.specs {
		if strings.HasPrefix(s.Key, key+".") {
			return true
		}
	}
	return false
}

// env reads the environment layer through the table: only the variables
// the table names are loaded (empty ones are skipped); other WEATHER_APIS_*
// variables are problems.
func (l *loader) env() *koanf.Koanf {
	k := koanf.New(".")
	p := env.Provider(".", env.Opt{
		EnvironFunc: func() []string { return l.environ },
		TransformFunc: func(name, val string) (string, any) {
			if s, ok := l.byEnv[name]; ok {
				if val == "" {
					return "", nil
				}
				return s.Key, val
			}
			if strings.HasPrefix(name, envPrefix) && name != envConfigFile {
				l.problems = append(l.problems, l.unknownEnv(name))
			}
			return "", nil
		},
	})
	_ = k.Load(p, nil) // env.Read never fails
	return k
}

// unknownEnv explains an unknown WEATHER_APIS_* variable (never its value).
func (l *loader) unknownEnv(name string) string {
	msg := fmt.Sprintf("%s: unknown environment variable", name)
	if s, ok := l.byEnv[strings.TrimPrefix(name, envPrefix)]; ok {
		return msg + "; did you mean " + s.Env + "?"
	}
	names := make([]string, 0, len(l.specs))
	for _, s := range l.specs {
		names = append(names, s.Env)
	}
	if hint := suggest(name, names); hint != "" {
		msg += "; did you mean " + hint + "?"
	}
	return msg
}
