package occ

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/weather-apis/weather_apis/internal/credentials"
	"github.com/weather-apis/weather_apis/internal/envelope"
	"github.com/weather-apis/weather_apis/internal/exapp"
)

// credentials runs weather_apis:credentials:create|list|revoke. The secret
// of a new credential is printed once and never again.
func (r *Runner) credentials(ctx context.Context, verb string, in exapp.OccInput) (string, error) {
	opt := func(name string) string {
		v, _ := in.Options[name].(string)
		return strings.TrimSpace(v)
	}
	switch verb {
	case "create":
		req := credentials.CreateRequest{Name: opt("name"), Type: credentials.Type(cmp.Or(opt("type"), "api_key")),
			Scopes: splitList(opt("scopes")), AllowCIDRs: splitList(opt("allow-cidr")), ExpiresIn: opt("expires"), CreatedBy: "occ"}
		c, err := r.creds.Create(ctx, req)
		if err != nil {
			return "", occError(err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Created %s %s (%s), scopes %s", string(c.Type), c.ID, c.Name, strings.Join(c.Scopes, ","))
		if c.ExpiresAt != nil {
			fmt.Fprintf(&b, ", expires %s", c.ExpiresAt.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "\nSecret (shown once, store it now; send it as X-API-Key):\n%s\n", c.Secret)
		return b.String(), nil
	case "list":
		cs, err := r.creds.List(ctx)
		if err != nil {
			return "", occError(err)
		}
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tTYPE\tSTATUS\tSCOPES\tALLOW\tEXPIRES\tLAST USED")
		for _, c := range cs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, string(c.Type), c.Status, strings.Join(c.Scopes, ","),
				orDash(strings.Join(c.AllowCIDRs, ",")), timeOrDash(c.ExpiresAt), timeOrDash(c.LastUsedAt))
		}
		tw.Flush()
		if len(cs) == 0 {
			return "No credentials.\n", nil
		}
		return b.String(), nil
	case "revoke":
		id, _ := in.Arguments["id"].(string)
		c, err := r.creds.Revoke(ctx, strings.TrimSpace(id))
		if err != nil {
			return "", occError(err)
		}
		return fmt.Sprintf("Revoked %s (%s): refused on every replica from now on.\n", c.ID, c.Name), nil
	}
	return "", fmt.Errorf("unknown credentials command %q", verb)
}

// occError turns an envelope error into console text, with field details.
func occError(err error) error {
	e := envelope.From(err)
	if e.Details != nil {
		d, _ := json.Marshal(e.Details)
		return fmt.Errorf("%s %s", e.Message, d)
	}
	return fmt.Errorf("%s", e.Message)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
