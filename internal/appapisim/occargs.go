package appapisim

import (
	"fmt"
	"strings"
)

// Symfony InputArgument / InputOption mode bits.
const (
	argRequired = 1
	argOptional = 2
	argArray    = 4

	optNone      = 1
	optRequired  = 2
	optOptional  = 4
	optArray     = 8
	optNegatable = 16
)

// argMode is ExAppOccService::buildArgumentMode (comma-combinable).
func argMode(mode string) int {
	m := 0
	for _, p := range strings.Split(mode, ",") {
		switch strings.TrimSpace(p) {
		case "required":
			m |= argRequired
		case "array":
			m |= argArray
		default:
			m |= argOptional
		}
	}
	return m
}

// optMode is ExAppOccService::buildOptionMode (one mode; unknown → none).
func optMode(mode string) int {
	switch mode {
	case "required":
		return optRequired
	case "optional":
		return optOptional
	case "array":
		return optArray
	case "negatable":
		return optNegatable
	}
	return optNone
}

func acceptsValue(m int) bool { return m&(optRequired|optOptional) != 0 }

// parsedInput is what Symfony's ArgvInput yields for one command.
type parsedInput struct {
	args map[string]any
	opts map[string]any
}

// checkDefinition reports what Symfony's InputArgument/InputOption
// constructors and InputDefinition would throw while building the command.
func checkDefinition(cmd OccCommand) error {
	for i, a := range cmd.Arguments {
		m := argMode(a.Mode)
		if m&argArray != 0 && i != len(cmd.Arguments)-1 {
			return fmt.Errorf("Cannot add an argument after an array argument.")
		}
		if m&argRequired != 0 && i > 0 && argMode(cmd.Arguments[i-1].Mode)&argRequired == 0 {
			return fmt.Errorf("Cannot add a required argument \"%s\" after an optional one \"%s\".", a.Name, cmd.Arguments[i-1].Name)
		}
	}
	for _, o := range cmd.Options {
		if optMode(o.Mode) == optArray {
			return fmt.Errorf("Impossible to have an option mode VALUE_IS_ARRAY if the option does not accept a value.")
		}
	}
	return nil
}

// parseArgv parses tokens (after the command name) like ArgvInput::parse
// and fills defaults like Input::getArgument/getOption.
func parseArgv(cmd OccCommand, tokens []string) (*parsedInput, error) {
	in := &parsedInput{args: map[string]any{}, opts: map[string]any{}}
	var positional []string
	parseOpts := true
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		next := func() (string, bool) {
			if i+1 < len(tokens) {
				n := tokens[i+1]
				if n == "" || n[0] != '-' {
					i++
					return n, true
				}
			}
			return "", false
		}
		switch {
		case parseOpts && tok == "--":
			parseOpts = false
		case parseOpts && strings.HasPrefix(tok, "--"):
			name, val, hasVal := strings.Cut(tok[2:], "=")
			if err := in.addLong(cmd, name, val, hasVal, next); err != nil {
				return nil, err
			}
		case parseOpts && strings.HasPrefix(tok, "-") && tok != "-":
			if err := in.addShort(cmd, tok[1:], next); err != nil {
				return nil, err
			}
		default:
			positional = append(positional, tok)
		}
	}
	if err := in.bindArgs(cmd, positional); err != nil {
		return nil, err
	}
	in.fillOptionDefaults(cmd)
	return in, nil
}

func findOption(cmd OccCommand, name string) (OccOption, bool) {
	for _, o := range cmd.Options {
		if o.Name == name {
			return o, true
		}
	}
	return OccOption{}, false
}

func (in *parsedInput) addLong(cmd OccCommand, name, val string, hasVal bool, next func() (string, bool)) error {
	o, found := findOption(cmd, name)
	if !found {
		if neg, isNeg := strings.CutPrefix(name, "no-"); isNeg {
			if no, ok := findOption(cmd, neg); ok && optMode(no.Mode) == optNegatable {
				if hasVal {
					return fmt.Errorf("The \"--%s\" option does not accept a value.", name)
				}
				in.opts[neg] = false
				return nil
			}
		}
		return fmt.Errorf("The \"--%s\" option does not exist.", name)
	}
	return in.setOption(o, "--"+name, val, hasVal, next)
}

func (in *parsedInput) addShort(cmd OccCommand, flags string, next func() (string, bool)) error {
	for j := 0; j < len(flags); j++ {
		var o OccOption
		found := false
		for _, c := range cmd.Options {
			for _, sc := range strings.Split(strings.TrimLeft(c.Shortcut, "-"), "|") {
				if sc != "" && sc == string(flags[j]) {
					o, found = c, true
				}
			}
		}
		if !found {
			return fmt.Errorf("The \"-%c\" option does not exist.", flags[j])
		}
		if acceptsValue(optMode(o.Mode)) && j+1 < len(flags) {
			return in.setOption(o, "--"+o.Name, flags[j+1:], true, next)
		}
		if err := in.setOption(o, "--"+o.Name, "", false, next); err != nil {
			return err
		}
	}
	return nil
}

func (in *parsedInput) setOption(o OccOption, shown, val string, hasVal bool, next func() (string, bool)) error {
	m := optMode(o.Mode)
	if hasVal && !acceptsValue(m) {
		return fmt.Errorf("The \"%s\" option does not accept a value.", shown)
	}
	var v any
	if hasVal {
		v = val
	}
	if (!hasVal || val == "") && acceptsValue(m) {
		if n, ok := next(); ok {
			v = n
		}
	}
	if v == nil {
		if m&optRequired != 0 {
			return fmt.Errorf("The \"%s\" option requires a value.", shown)
		}
		if m&optOptional == 0 {
			v = true
		}
	}
	in.opts[o.Name] = v
	return nil
}

func (in *parsedInput) bindArgs(cmd OccCommand, positional []string) error {
	defs := cmd.Arguments
	for i, tok := range positional {
		switch {
		case i < len(defs) && argMode(defs[i].Mode)&argArray != 0:
			in.args[defs[i].Name] = append(asList(in.args[defs[i].Name]), tok)
		case i < len(defs):
			in.args[defs[i].Name] = tok
		case len(defs) > 0 && argMode(defs[len(defs)-1].Mode)&argArray != 0:
			last := defs[len(defs)-1].Name
			in.args[last] = append(asList(in.args[last]), tok)
		case len(defs) == 0:
			return fmt.Errorf("No arguments expected for \"%s\" command, got \"%s\".", cmd.Name, tok)
		default:
			names := make([]string, len(defs))
			for j, d := range defs {
				names[j] = d.Name
			}
			return fmt.Errorf("Too many arguments, expected arguments \"%s\".", strings.Join(names, "\" \""))
		}
	}
	var missing []string
	for _, d := range defs {
		m := argMode(d.Mode)
		if _, set := in.args[d.Name]; set {
			continue
		}
		switch {
		case m&argRequired != 0:
			missing = append(missing, d.Name)
		case m&argArray != 0:
			if d.Default == nil {
				in.args[d.Name] = []any{}
			} else {
				in.args[d.Name] = d.Default
			}
		default:
			in.args[d.Name] = d.Default
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("Not enough arguments (missing: \"%s\").", strings.Join(missing, "\", \""))
	}
	return nil
}

func (in *parsedInput) fillOptionDefaults(cmd OccCommand) {
	for _, o := range cmd.Options {
		if _, set := in.opts[o.Name]; set {
			continue
		}
		switch optMode(o.Mode) {
		case optNone:
			in.opts[o.Name] = false
		case optNegatable:
			in.opts[o.Name] = nil
		default:
			in.opts[o.Name] = o.Default
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
