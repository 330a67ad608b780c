package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// valueError is a problem with one value. Its message does not contain the
// value unless quoted is set: the loader appends the value itself, for
// non-secret settings only. (Only list parsers quote an item; no list
// setting is secret.)
type valueError struct {
	msg    string
	quoted bool // msg already names the offending value or item
}

func (e *valueError) Error() string { return e.msg }

// invalid returns a *valueError; args must not include the raw value.
func invalid(format string, args ...any) error {
	return &valueError{msg: fmt.Sprintf(format, args...)}
}

// binding stores a raw layer value into a Config field and formats it back.
type binding struct {
	set func(c *Config, raw any) error
	get func(c *Config) string
}

// bind builds a binding from a field accessor, a parser and a formatter.
func bind[T any](field func(*Config) *T, parse func(any) (T, error), format func(T) string) binding {
	return binding{
		set: func(c *Config, raw any) error {
			v, err := parse(raw)
			if err != nil {
				return err
			}
			*field(c) = v
			return nil
		},
		get: func(c *Config) string { return format(*field(c)) },
	}
}

// rawString accepts a string (or YAML null as ""). Other YAML types are
// rejected so that `version: 1.0` is not silently read as "1".
func rawString(raw any) (string, error) {
	switch v := raw.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", invalid("must be a string (quote it in YAML)")
	}
}

// text returns a parser for a trimmed string that passes every check.
func text(checks ...func(string) error) func(any) (string, error) {
	return func(raw any) (string, error) {
		s, err := rawString(raw)
		if err != nil {
			return "", err
		}
		s = strings.TrimSpace(s)
		for _, check := range checks {
			if err := check(s); err != nil {
				return "", err
			}
		}
		return s, nil
	}
}

func identity(s string) string { return s }

// str binds a trimmed string field.
func str(field func(*Config) *string, checks ...func(string) error) binding {
	return bind(field, text(checks...), identity)
}

// secretStr binds a secret string field verbatim (no trimming: a key is
// used byte for byte).
func secretStr(field func(*Config) *string, checks ...func(string) error) binding {
	return bind(field, func(raw any) (string, error) {
		s, err := rawString(raw)
		if err != nil {
			return "", err
		}
		for _, check := range checks {
			if err := check(s); err != nil {
				return "", err
			}
		}
		return s, nil
	}, identity)
}

// duration binds a time.Duration written as a Go duration ("1m30s"); the
// integer 0 is accepted too. positive demands > 0, otherwise >= 0.
func duration(field func(*Config) *time.Duration, positive bool) binding {
	return bind(field, func(raw any) (time.Duration, error) {
		var d time.Duration
		switch v := raw.(type) {
		case string:
			var err error
			if d, err = time.ParseDuration(strings.TrimSpace(v)); err != nil {
				return 0, invalid("must be a Go duration such as 500ms, 10s or 1m")
			}
		case int:
			if v != 0 {
				return 0, invalid("must be a Go duration with a unit, such as 10s")
			}
		default:
			return 0, invalid("must be a Go duration such as 500ms, 10s or 1m")
		}
		switch {
		case positive && d <= 0:
			return 0, invalid("must be greater than 0")
		case d < 0:
			return 0, invalid("must not be negative")
		}
		return d, nil
	}, formatDuration)
}

// formatDuration is time.Duration.String without zero trailing units
// ("1h" rather than "1h0m0s").
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// integer binds an int field restricted to [lo, hi].
func integer[T int | int64](field func(*Config) *T, lo, hi int64) binding {
	return bind(field, func(raw any) (T, error) {
		var n int64
		switch v := raw.(type) {
		case int:
			n = int64(v)
		case int64:
			n = v
		case uint64:
			if v > math.MaxInt64 {
				return 0, invalid("must be at most %d", hi)
			}
			n = int64(v)
		case float64:
			if v != math.Trunc(v) || v < math.MinInt64 || v > math.MaxInt64 {
				return 0, invalid("must be a whole number")
			}
			n = int64(v)
		case string:
			var err error
			if n, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
				return 0, invalid("must be a whole number")
			}
		default:
			return 0, invalid("must be a whole number")
		}
		if n < lo || n > hi {
			return 0, invalid("must be between %d and %d", lo, hi)
		}
		return T(n), nil
	}, func(v T) string { return strconv.FormatInt(int64(v), 10) })
}

// rawList accepts a YAML list of strings or a comma-separated string. Items
// are trimmed and empty items dropped; the result is never nil.
func rawList(raw any) ([]string, error) {
	var items []string
	switch v := raw.(type) {
	case nil:
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
	out := []string{}
	for _, s := range items {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// list returns a parser for a list whose items each pass check.
func list[T any](check func(string) (T, error)) func(any) ([]T, error) {
	return func(raw any) ([]T, error) {
		items, err := rawList(raw)
		if err != nil {
			return nil, err
		}
		out := make([]T, 0, len(items))
		for _, s := range items {
			v, err := check(s)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
}

// joinList formats a list as the comma-separated form the env layer takes.
func joinList[T fmt.Stringer](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, ",")
}

// strList binds a []string field whose items each pass check.
func strList(field func(*Config) *[]string, check func(string) error) binding {
	return bind(field, list(func(s string) (string, error) { return s, check(s) }),
		func(v []string) string { return strings.Join(v, ",") })
}

// enum returns a check that accepts one of values (already lower-case).
func enum(values ...string) func(string) error {
	return func(s string) error {
		for _, v := range values {
			if s == v {
				return nil
			}
		}
		return invalid("must be one of %s", strings.Join(values, ", "))
	}
}

// lower returns a parser for a lower-cased string accepted by check.
func lower(check func(string) error) func(any) (string, error) {
	return func(raw any) (string, error) {
		s, err := text()(raw)
		if err != nil {
			return "", err
		}
		s = strings.ToLower(s)
		return s, check(s)
	}
}

// notEmpty rejects "".
func notEmpty(s string) error {
	if s == "" {
		return invalid("must not be empty")
	}
	return nil
}

// noSpace rejects any whitespace or control character.
func noSpace(s string) error {
	if strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return invalid("must not contain spaces or control characters")
	}
	return nil
}
