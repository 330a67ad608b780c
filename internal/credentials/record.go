package credentials

import (
	"encoding/hex"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credential is a stored credential without its secret. Values returned by
// Store.Verify are shared with the look-up cache and must not be modified.
type Credential struct {
	ID         string
	Name       string
	Type       Type
	Scopes     []string
	AllowCIDRs []netip.Prefix // empty: any address (the global allowlist still applies)
	CreatedAt  time.Time
	CreatedBy  string
	ExpiresAt  time.Time     // zero: never expires
	Lifetime   time.Duration // expires_in at creation
	LastUsedAt time.Time     // zero: never used (updated at most every Options.TouchEvery)
	RevokedAt  time.Time     // zero: not revoked

	hash [32]byte
}

// HasScope reports whether c carries scope.
func (c *Credential) HasScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// Allows reports whether addr is inside c's allowlist. An empty allowlist
// allows every address; an invalid addr (unknown client) is allowed only then.
func (c *Credential) Allows(addr netip.Addr) bool {
	if len(c.AllowCIDRs) == 0 {
		return true
	}
	if !addr.IsValid() {
		return false
	}
	for _, p := range c.AllowCIDRs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Status is "active", "expired" or "revoked" at now.
func (c *Credential) Status(now time.Time) string {
	switch {
	case !c.RevokedAt.IsZero():
		return "revoked"
	case !c.ExpiresAt.IsZero() && !now.Before(c.ExpiresAt):
		return "expired"
	}
	return "active"
}

// View is the JSON form of a credential (README.md "Integrations"). Secret is set only
// in the answer to Create.
type View struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Type       Type       `json:"type"`
	Scopes     []string   `json:"scopes"`
	AllowCIDRs []string   `json:"allow_cidrs"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Status     string     `json:"status"`
	// Hint is the recognisable, non-secret start of the token ("wak_<id>").
	Hint   string `json:"hint"`
	Secret string `json:"secret,omitempty"`
}

// View returns the JSON form of c at now, without secret.
func (c *Credential) View(now time.Time) View {
	cidrs := make([]string, len(c.AllowCIDRs))
	for i, p := range c.AllowCIDRs {
		cidrs[i] = p.String()
	}
	return View{
		ID: c.ID, Name: c.Name, Type: c.Type, Scopes: slices.Clone(c.Scopes), AllowCIDRs: cidrs,
		CreatedAt: c.CreatedAt.UTC(), CreatedBy: c.CreatedBy,
		ExpiresAt: timePtr(c.ExpiresAt), LastUsedAt: timePtr(c.LastUsedAt), RevokedAt: timePtr(c.RevokedAt),
		Status: c.Status(now), Hint: prefixOf(c.Type) + c.ID,
	}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Redis hash fields of a credential record.
const (
	fName      = "name"
	fType      = "type"
	fScopes    = "scopes"      // space-separated
	fCIDRs     = "allow_cidrs" // space-separated
	fCreatedAt = "created_at"  // Unix milliseconds
	fCreatedBy = "created_by"
	fExpiresAt = "expires_at" // Unix milliseconds, "" = never
	fLifetime  = "lifetime"   // nanoseconds
	fLastUsed  = "last_used_at"
	fRevokedAt = "revoked_at"
	fHash      = "hash" // hex SHA-256 of the whole token
)

// fields encodes c for HSET.
func (c *Credential) fields() map[string]any {
	cidrs := make([]string, len(c.AllowCIDRs))
	for i, p := range c.AllowCIDRs {
		cidrs[i] = p.String()
	}
	return map[string]any{
		fName: c.Name, fType: string(c.Type), fScopes: strings.Join(c.Scopes, " "),
		fCIDRs: strings.Join(cidrs, " "), fCreatedAt: ms(c.CreatedAt), fCreatedBy: c.CreatedBy,
		fExpiresAt: ms(c.ExpiresAt), fLifetime: strconv.FormatInt(int64(c.Lifetime), 10),
		fLastUsed: ms(c.LastUsedAt), fRevokedAt: ms(c.RevokedAt), fHash: hex.EncodeToString(c.hash[:]),
	}
}

// decode reads a record from HGETALL; ok is false for a missing or damaged
// record (which is then treated as unknown).
func decode(id string, m map[string]string) (*Credential, bool) {
	if len(m) == 0 {
		return nil, false
	}
	c := &Credential{ID: id, Name: m[fName], Type: Type(m[fType]), CreatedBy: m[fCreatedBy]}
	if c.Type != TypeAPIKey && c.Type != TypeIntegrationToken {
		return nil, false
	}
	h, err := hex.DecodeString(m[fHash])
	if err != nil || len(h) != len(c.hash) {
		return nil, false
	}
	copy(c.hash[:], h)
	c.Scopes = strings.Fields(m[fScopes])
	for _, s := range strings.Fields(m[fCIDRs]) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, false // a damaged allowlist must not widen access
		}
		c.AllowCIDRs = append(c.AllowCIDRs, p)
	}
	c.CreatedAt, c.ExpiresAt = fromMS(m[fCreatedAt]), fromMS(m[fExpiresAt])
	c.LastUsedAt, c.RevokedAt = fromMS(m[fLastUsed]), fromMS(m[fRevokedAt])
	if n, err := strconv.ParseInt(m[fLifetime], 10, 64); err == nil {
		c.Lifetime = time.Duration(n)
	}
	return c, true
}

func ms(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func fromMS(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(n)
}
