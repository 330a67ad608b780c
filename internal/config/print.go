package config

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
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
// secrets hidden, and the layer it came from.
func (c *Config) Redacted() []Entry {
	specs := specTable()
	out := make([]Entry, len(specs))
	for i, s := range specs {
		v := s.get(c)
		switch {
		case s.Secret && v == "":
			v = Unset
		case s.Secret:
			v = Redacted
		case s.show != nil && v != "":
			v = s.show(v)
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
