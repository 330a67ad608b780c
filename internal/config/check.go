package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxShown bounds how much of a rejected value an error message repeats.
const maxShown = 80

// name is how problems refer to a setting: "key (ENV)".
func (s spec) name() string { return s.Key + " (" + s.Env + ")" }

// valueProblem describes a value that failed to parse. A secret's value is
// never shown, and neither is its parser's message unless it is a
// *valueError (whose messages never contain the value).
func (l *loader) valueProblem(s spec, src Source, raw any, err error) string {
	where := s.Key + " (" + s.Env + ", from " + l.describe(src) + ")"
	var verr *valueError
	isValueErr := errors.As(err, &verr)
	if s.Secret {
		if isValueErr {
			return where + ": is invalid (value not shown): " + verr.msg
		}
		return where + ": is invalid (value not shown)"
	}
	if isValueErr && verr.quoted {
		return where + ": " + verr.msg
	}
	return where + ": " + err.Error() + "; got " + show(s, raw)
}

// describe names a layer for an error message.
func (l *loader) describe(src Source) string {
	switch src {
	case SourceEnv:
		return "environment"
	case SourceFile:
		return "file " + l.path
	default:
		return "default"
	}
}

// show renders a rejected non-secret raw value for an error message.
func show(s spec, raw any) string {
	switch v := raw.(type) {
	case nil:
		return "null"
	case string:
		if s.show != nil {
			v = s.show(v)
		}
		if len(v) > maxShown {
			v = v[:maxShown] + "..."
		}
		return strconv.Quote(v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	default:
		return fmt.Sprintf("%v", v)
	}
}

// crossCheck adds the problems that involve several settings or a required
// one. Settings in bad already failed to parse and are not checked again.
func (l *loader) crossCheck(c *Config, bad map[string]bool) {
	add := func(format string, args ...any) {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	}
	ok := func(keys ...string) bool {
		for _, k := range keys {
			if bad[k] {
				return false
			}
		}
		return true
	}
	n := func(key string) string { return l.byKey[key].name() }

	for _, s := range l.specs {
		if s.Required && ok(s.Key) && s.get(c) == "" {
			add("%s: is required", s.name())
		}
	}
	if ok("redis.url", "redis.addrs") && c.Redis.URL != "" && len(c.Redis.Addrs) > 0 {
		add("%s and %s are mutually exclusive; set one of them", n("redis.url"), n("redis.addrs"))
	}
	if ok("redis.master_name", "redis.addrs") && c.Redis.MasterName != "" && len(c.Redis.Addrs) == 0 {
		add("%s: needs %s (the Sentinel addresses)", n("redis.master_name"), n("redis.addrs"))
	}
	if ok("redis.password", "redis.addrs") && c.Redis.Password != "" && len(c.Redis.Addrs) == 0 {
		add("%s: is used only with %s; put the password in %s instead",
			n("redis.password"), n("redis.addrs"), n("redis.url"))
	}
	if ok("upstream.retry_wait_min", "upstream.retry_wait_max") && c.Upstream.RetryWaitMin > c.Upstream.RetryWaitMax {
		add("%s (%s) must not exceed %s (%s)", n("upstream.retry_wait_min"), c.Upstream.RetryWaitMin,
			n("upstream.retry_wait_max"), c.Upstream.RetryWaitMax)
	}
	if ok("harp.shared_key", "harp.exapp_sock") && c.Harp.SharedKey != "" && c.Harp.ExAppSock == "" {
		add("%s: is required when %s is set", n("harp.exapp_sock"), n("harp.shared_key"))
	}
}

// suggest returns the candidate closest to name (case-insensitive edit
// distance), or "" when none is close enough to be a likely typo. Ties go
// to the alphabetically first candidate.
func suggest(name string, candidates []string) string {
	best, bestD := "", -1
	lname := strings.ToLower(name)
	for _, c := range candidates {
		d := levenshtein(lname, strings.ToLower(c))
		if bestD < 0 || d < bestD || (d == bestD && c < best) {
			best, bestD = c, d
		}
	}
	if bestD < 0 || (bestD > 2 && bestD*3 > len(name)) {
		return ""
	}
	return best
}

// levenshtein returns the edit distance between a and b (bytes).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
