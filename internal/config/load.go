package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/confmap"
	"github.com/knadh/koanf/providers/env/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"
	yamlv3 "go.yaml.in/yaml/v3"
)

// layer is one source of values: a koanf instance holding only what that
// source sets, keyed by Setting.Key.
type layer struct {
	src  Source
	name string // the YAML file's path for SourceFile, else how problems name the layer
	k    *koanf.Koanf
}

// describe names the layer in a value problem ("from …").
func (l layer) describe() string {
	if l.src == SourceFile {
		return "file " + l.name
	}
	return l.name
}

// Load builds the configuration from the built-in defaults (app.version
// defaults to buildVersion), the YAML file named by WEATHER_APIS_CONFIG in
// environ, and environ itself; its Nextcloud layer is empty until
// WithNextcloud. environ holds "NAME=value" entries as os.Environ returns
// them; a variable set to the empty string counts as unset, as AppAPI passes
// only non-empty values.
//
// Unknown YAML keys, unknown WEATHER_APIS_* variables, an unreadable or
// malformed file and invalid values are all collected: on any problem Load
// returns a nil Config and a *ValidationError listing every one of them.
func Load(environ []string, buildVersion string) (*Config, error) {
	path := ""
	for _, kv := range environ { // the last occurrence wins, as in the env layer
		if name, val, ok := strings.Cut(kv, "="); ok && name == envConfigFile {
			path = val
		}
	}
	fileK, problems := fileLayer(path)
	return build([]layer{
		{SourceDefault, "default", defaultsLayer(buildVersion)},
		{SourceNextcloud, "Nextcloud admin settings", koanf.New(".")},
		{SourceFile, path, fileK},
		{SourceEnv, "environment", envLayer(environ)},
	}, problems)
}

// WithNextcloud returns the configuration rebuilt with vals (admin settings
// form field id → value, see NextcloudFields) as its Nextcloud layer, above
// the defaults and below the file and the environment (README.md,
// "Configuration"). An empty or missing value unsets its field. The values
// go through the same decoding and checks as Load's; each one is tried on
// its own, and one that is rejected leaves its setting as it was in c and is
// reported in the returned *ValidationError, next to a Config that holds the
// accepted ones. c itself is never changed.
func (c *Config) WithNextcloud(vals map[string]string) (*Config, error) {
	if len(c.layers) == 0 {
		return c, errors.New("config: WithNextcloud needs a Config built by Load")
	}
	fields := NextcloudFields()
	cur, problems := c, []string(nil)
	for _, id := range slices.Sorted(maps.Keys(fields)) {
		layers := slices.Clone(cur.layers)
		nc := layers[1].k.Copy() // layers[1] is the Nextcloud layer (Load)
		if vals[id] == "" {
			nc.Delete(fields[id])
		} else {
			_ = nc.Set(fields[id], vals[id]) // Set fails only with StrictMerge
		}
		layers[1].k = nc
		next, err := build(layers, nil)
		if verr := (*ValidationError)(nil); errors.As(err, &verr) {
			problems = append(problems, verr.Problems...)
			continue
		}
		cur = next
	}
	return cur, validationError(problems)
}

// build merges layers (lowest first), decodes the result into a Config
// and checks it; problems are those already found while reading layers.
func build(layers []layer, problems []string) (*Config, error) {
	merged := koanf.New(".")
	for _, l := range layers {
		_ = merged.Merge(l.k) // Merge fails only with StrictMerge
	}
	settings := table()
	c := &Config{layers: layers, sources: make(map[string]Source, len(settings))}
	for _, s := range settings {
		for _, l := range layers {
			if l.k.Exists(s.Key) {
				c.sources[s.Key] = l.src
			}
		}
		switch v := merged.Get(s.Key).(type) {
		case nil: // YAML null reads as empty, like an empty variable
			if merged.Exists(s.Key) {
				_ = merged.Set(s.Key, "")
			}
		case string: // secrets are used byte for byte, everything else trimmed
			if !s.Secret {
				_ = merged.Set(s.Key, strings.TrimSpace(v))
			}
		}
	}
	err := merged.UnmarshalWithConf("", c, koanf.UnmarshalConf{DecoderConfig: &mapstructure.DecoderConfig{
		DecodeHook:  decodeHook,
		ErrorUnused: true,                                             // an unknown key is an error, not ignored
		MatchName:   func(key, tag string) bool { return key == tag }, // keys are case-sensitive
	}})
	r := &report{c: c, layers: layers, settings: make(map[string]Setting, len(settings)), problems: problems}
	for _, s := range settings {
		r.settings[s.Key] = s
	}
	r.check(r.decodeErrors(err))
	if err := validationError(r.problems); err != nil {
		return nil, err
	}
	return c, nil
}

// defaultsLayer returns the built-in layer.
func defaultsLayer(buildVersion string) *koanf.Koanf {
	m := map[string]any{}
	for _, s := range table() {
		m[s.Key] = s.Default
	}
	m["app.version"] = buildVersion
	k := koanf.New(".")
	_ = k.Load(confmap.Provider(m, "."), nil) // confmap.Read never fails
	return k
}

// fileLayer reads the YAML file at path ("" = none). A section left empty
// (a header whose keys are all commented out) is dropped so that it does not
// hide the defaults; a section given a single value is a problem.
func fileLayer(path string) (*koanf.Koanf, []string) {
	k := koanf.New(".")
	if path == "" {
		return k, nil
	}
	if err := k.Load(file.Provider(path), yaml.Parser()); err != nil {
		return koanf.New("."), []string{fileProblem(path, err)}
	}
	var problems []string
	for key, val := range k.All() {
		if !isSection(key) {
			continue
		}
		if _, isMap := val.(map[string]any); val != nil && !isMap {
			problems = append(problems, fmt.Sprintf("%s: %s is a section and must be a mapping of its keys", path, key))
		}
		k.Delete(key)
	}
	return k, problems
}

// isSection reports whether key is a proper prefix of some setting's key.
func isSection(key string) bool {
	return slices.ContainsFunc(table(), func(s Setting) bool { return strings.HasPrefix(s.Key, key+".") })
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

// envLayer reads the variables the table names (empty ones count as
// unset). Any other WEATHER_APIS_* variable is kept under its own name, a
// key no Config field has, so that decoding reports it as unknown.
func envLayer(environ []string) *koanf.Koanf {
	byEnv := map[string]string{}
	for _, s := range table() {
		byEnv[s.Env] = s.Key
	}
	k := koanf.New(".")
	_ = k.Load(env.Provider(".", env.Opt{ // env.Read never fails
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, val string) (string, any) {
			key, known := byEnv[name]
			switch {
			case known && val != "":
				return key, val
			case !known && strings.HasPrefix(name, envPrefix) && name != envConfigFile:
				return name, val
			}
			return "", nil
		},
	}), nil)
	return k
}
