package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
)

// valueError is a problem with one value. Its message does not contain the
// value unless quoted is set: the report appends the value itself, for
// non-secret settings only. (Only the CIDR list quotes an item; no list
// setting is secret.)
type valueError struct {
	msg    string
	quoted bool // msg already names the offending value, or showing it adds nothing
}

func (e *valueError) Error() string { return e.msg }

// invalid returns a *valueError; args must not include the raw value.
func invalid(format string, args ...any) error {
	return &valueError{msg: fmt.Sprintf(format, args...)}
}

// decodeHook converts one raw value (a YAML scalar or list, or an
// environment string) into the type of its Config field. It runs before
// mapstructure's own conversion, which then only copies values of the right
// type: WeaklyTypedInput is off, so `version: 1.0` is not silently read as
// "1". Strings arrive trimmed (build).
func decodeHook(from, to reflect.Type, data any) (any, error) {
	switch {
	case from == to:
		return data, nil
	case from.Kind() == reflect.Map && to.Kind() != reflect.Struct:
		return nil, &valueError{msg: "must be a single value, not a mapping", quoted: true}
	}
	switch to {
	case reflect.TypeFor[time.Duration]():
		return toDuration(data)
	case reflect.TypeFor[slog.Level]():
		return toLevel(data)
	case reflect.TypeFor[[]string]():
		return toList(data, func(s string) (string, error) { return s, nil })
	case reflect.TypeFor[[]netip.Prefix]():
		return toList(data, toPrefix)
	}
	switch to.Kind() {
	case reflect.String:
		if from.Kind() != reflect.String {
			return nil, invalid("must be a string (quote it in YAML)")
		}
	case reflect.Int, reflect.Int64:
		return toInt(data)
	}
	return data, nil
}

// toDuration accepts a Go duration ("1m30s"); the integer 0 is accepted too.
func toDuration(data any) (any, error) {
	switch v := data.(type) {
	case string:
		if d, err := time.ParseDuration(v); err == nil {
			return d, nil
		}
	case int:
		if v != 0 {
			return nil, invalid("must be a Go duration with a unit, such as 10s")
		}
		return time.Duration(0), nil
	}
	return nil, invalid("must be a Go duration such as 500ms, 10s or 1m")
}

// toInt accepts a whole number, written as such or as a decimal string.
func toInt(data any) (any, error) {
	switch v := data.(type) {
	case int:
		return int64(v), nil
	case int64:
		return v, nil
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), nil
		}
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < math.MaxInt64 {
			return int64(v), nil
		}
	case string:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n, nil
		}
	}
	return nil, invalid("must be a whole number")
}

// toLevel accepts debug, info, warn or error in any case.
func toLevel(data any) (any, error) {
	s, ok := data.(string)
	if !ok {
		return nil, invalid("must be a string (quote it in YAML)")
	}
	levels := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}
	if l, ok := levels[strings.ToLower(s)]; ok {
		return l, nil
	}
	return nil, invalid("must be one of debug, info, warn, error")
}

// toList accepts a YAML list of strings or a comma-separated string. Items
// are trimmed, empty ones dropped, the others converted by parse; the
// result is never nil.
func toList[T any](data any, parse func(string) (T, error)) (any, error) {
	var items []string
	switch v := data.(type) {
	case string:
		items = strings.Split(v, ",")
	case []any:
		for _, it := range v {
			s, ok := it.(string)
			if !ok {
				return nil, invalid("must be a list of strings or a comma-separated string")
			}
			items = append(items, s)
		}
	default:
		return nil, invalid("must be a list of strings or a comma-separated string")
	}
	out := []T{}
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			v, err := parse(s)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// toPrefix accepts a CIDR ("10.0.0.0/8") or a single address, which
// becomes a /32 or /128. The result is masked.
func toPrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, &valueError{msg: fmt.Sprintf("%q is not a CIDR such as 10.0.0.0/8", s), quoted: true}
}

// decodeErrors turns the error of UnmarshalWithConf into problems and
// returns the keys whose values failed to decode. mapstructure joins one
// *DecodeError per failed field, named by its key path, and one per
// mapping with keys no field has ("has invalid keys: a, b", its
// decodeStructFromMap with ErrorUnused).
func (r *report) decodeErrors(err error) map[string]bool {
	bad := map[string]bool{}
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *mapstructure.DecodeError:
			if keys, ok := strings.CutPrefix(e.Unwrap().Error(), "has invalid keys: "); ok {
				for _, k := range strings.Split(keys, ", ") {
					r.unknown(strings.TrimPrefix(e.Name()+"."+k, "."))
				}
				return
			}
			bad[e.Name()] = true
			if s, ok := r.settings[e.Name()]; ok {
				r.problems = append(r.problems, r.valueProblem(s, e.Unwrap()))
			} else {
				r.add("%s: cannot be decoded: %v", e.Name(), e.Unwrap())
			}
		case interface{ Unwrap() []error }:
			for _, e := range e.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		default:
			r.add("the configuration cannot be decoded: %v", err)
		}
	}
	walk(err)
	return bad
}

// unknown reports every leaf at or under the unknown key path u, in each
// layer that has one.
func (r *report) unknown(u string) {
	for _, l := range r.layers {
		for _, key := range l.k.Keys() {
			if key != u && !strings.HasPrefix(key, u+".") {
				continue
			}
			if l.src == SourceEnv { // the key is the variable's name (envLayer)
				r.add("%s: unknown environment variable%s", key, r.hint(strings.TrimPrefix(key, envPrefix), key, func(s Setting) string { return s.Env }))
			} else {
				r.add("%s: unknown key %s%s", l.name, key, r.hint(strings.ToUpper(key), key, func(s Setting) string { return s.Key }))
			}
		}
	}
}

// hint suggests a setting for an unknown name: the one whose variable is
// env, else the one whose name (as field gives it) is closest to name.
func (r *report) hint(env, name string, field func(Setting) string) string {
	var names []string
	for _, s := range r.settings {
		if s.Env == env {
			return "; did you mean " + field(s) + "?"
		}
		names = append(names, field(s))
	}
	if best := suggest(name, names); best != "" {
		return "; did you mean " + best + "?"
	}
	return ""
}

// maxShown bounds how much of a rejected value a problem repeats.
const maxShown = 80

// valueProblem describes a value that failed to decode or to pass its
// check, naming its key, variable and layer. A secret's value is never
// shown, and neither is an error's message unless it is a *valueError
// (whose messages never contain the value).
func (r *report) valueProblem(s Setting, err error) string {
	l := r.layers[0]
	for _, cand := range r.layers[1:] {
		if cand.k.Exists(s.Key) {
			l = cand
		}
	}
	where := s.Key + " (" + s.Env + ", from " + l.describe() + ")"
	var verr *valueError
	isValueErr := errors.As(err, &verr)
	switch {
	case s.Secret && isValueErr:
		return where + ": is invalid (value not shown): " + verr.msg
	case s.Secret:
		return where + ": is invalid (value not shown)"
	case isValueErr && verr.quoted:
		return where + ": " + verr.msg
	}
	var shown string
	switch v := l.k.Get(s.Key).(type) {
	case nil:
		shown = "null"
	case string:
		if v = maskURL(v); len(v) > maxShown {
			v = v[:maxShown] + "..."
		}
		shown = strconv.Quote(v)
	case []any:
		shown = "a list"
	default:
		shown = fmt.Sprint(v)
	}
	return where + ": " + err.Error() + "; got " + shown
}
