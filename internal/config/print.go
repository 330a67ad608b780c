package config

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Placeholders printed instead of secrets.
const (
	Redacted = "<redacted>"
	Unset    = "<unset>"
)

// Entry is one effective setting as safe to show: a secret's Value is
// Redacted (or Unset when empty); a URL's password is masked.
type Entry struct {
	Key    string
	Env    string
	Value  string
	Source Source // "" for a Config not built by Load
}

// Redacted returns every setting in table order with its effective value,
// secrets hidden, and the layer it came from (default, nextcloud, file or
// env).
func (c *Config) Redacted() []Entry {
	settings := table()
	out := make([]Entry, len(settings))
	for i, s := range settings {
		v := c.value(s.Key)
		switch {
		case s.Secret && v == "":
			v = Unset
		case s.Secret:
			v = Redacted
		default:
			v = maskURL(v)
		}
		out[i] = Entry{Key: s.Key, Env: s.Env, Value: v, Source: c.sources[s.Key]}
	}
	return out
}

// Print writes the effective configuration to w as aligned columns KEY, ENV,
// VALUE and SOURCE, one setting per line, secrets redacted. Empty values
// print as "" and values with spaces or control characters are quoted.
func (c *Config) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tENV\tVALUE\tSOURCE")
	for _, e := range c.Redacted() {
		v := e.Value
		if v == "" || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Key, e.Env, v, e.Source)
	}
	return tw.Flush()
}

// String returns the Print output, so that formatting a Config or *Config
// with %v or %s cannot leak a secret.
func (c Config) String() string {
	var b strings.Builder
	_ = (&c).Print(&b)
	return b.String()
}

// value formats the field of key (found through the koanf tags) in the
// environment-variable syntax; a public key is summarised.
func (c *Config) value(key string) string {
	if key == "jwt.public_key" {
		switch k := c.JWT.PublicKey.(type) {
		case *rsa.PublicKey:
			return fmt.Sprintf("RSA %d-bit public key", k.N.BitLen())
		case *ecdsa.PublicKey:
			return fmt.Sprintf("ECDSA %s public key", k.Curve.Params().Name)
		}
		return ""
	}
	v := reflect.ValueOf(c).Elem()
	for part := range strings.SplitSeq(key, ".") {
		f, ok := fieldByTag(v.Type(), part)
		if !ok {
			panic("config: no Config field for setting " + key) // TestSettingsTable
		}
		v = v.FieldByIndex(f.Index)
	}
	switch x := v.Interface().(type) {
	case time.Duration:
		s := x.String() // without zero trailing units: "1h" rather than "1h0m0s"
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		return s
	case slog.Level:
		return strings.ToLower(x.String())
	case []string:
		return strings.Join(x, ",")
	case []netip.Prefix:
		s := make([]string, len(x))
		for i, p := range x {
			s[i] = p.String()
		}
		return strings.Join(s, ",")
	}
	return fmt.Sprint(v.Interface())
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		if f := t.Field(i); f.Tag.Get("koanf") == tag {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// maskURL hides the password of a value that is a URL.
func maskURL(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return Redacted
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
		return u.String()
	}
	return s
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
