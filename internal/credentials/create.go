package credentials

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// CreateRequest is the body of POST /api/v1/admin/credentials (README.md "Integrations").
type CreateRequest struct {
	Name       string   `json:"name"`
	Type       Type     `json:"type"`
	Scopes     []string `json:"scopes"`
	AllowCIDRs []string `json:"allow_cidrs"`
	// ExpiresIn is a Go duration ("720h"); optional for API keys (never
	// expire), defaulted for integration tokens.
	ExpiresIn string `json:"expires_in"`
	// CreatedBy names who asks (a Nextcloud user id, or "occ"); it is not
	// part of the body.
	CreatedBy string `json:"-"`
}

const (
	maxNameLen = 100
	maxCIDRs   = 64
	minTTL     = time.Minute
)

// fieldErrors collects DRF-shaped field errors: {"field": ["message", ...]}.
type fieldErrors map[string][]string

func (f fieldErrors) add(field, msg string) { f[field] = append(f[field], msg) }

// DecodeCreate parses a POST /api/v1/admin/credentials body strictly. It returns BAD_REQUEST for a body that
// is not one JSON object and VALIDATION_FAILED with field details for
// unknown fields or wrongly typed values.
func DecodeCreate(body []byte) (CreateRequest, error) {
	var req CreateRequest
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return req, envelope.New(envelope.CodeBadRequest, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	err := dec.Decode(&req)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return req, envelope.New(envelope.CodeBadRequest, "The request body must hold exactly one JSON object.")
		}
		return req, nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		fe := fieldErrors{}
		fe.add(strings.SplitN(typeErr.Field, ".", 2)[0], "Has the wrong JSON type ("+typeErr.Value+").")
		return req, validationFailed(fe)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		fe := fieldErrors{}
		fe.add(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "Unknown field.")
		return req, validationFailed(fe)
	}
	return req, envelope.Wrap(envelope.CodeBadRequest, "The request body is not valid JSON.", err)
}

func validationFailed(fe fieldErrors) error {
	return envelope.New(envelope.CodeValidationFailed, "Some fields are invalid.").WithDetails(map[string][]string(fe))
}

// validate checks req against the scope table and the limits, and returns
// the normalised credential (without id and hash) or VALIDATION_FAILED.
func (s *Store) validate(req CreateRequest, now time.Time) (*Credential, error) {
	fe := fieldErrors{}
	c := &Credential{Name: strings.TrimSpace(req.Name), Type: req.Type, CreatedAt: now, CreatedBy: req.CreatedBy}
	switch {
	case c.Name == "":
		fe.add("name", "This field is required.")
	case len(c.Name) > maxNameLen:
		fe.add("name", "At most 100 bytes.")
	case strings.IndexFunc(c.Name, unicode.IsControl) >= 0:
		fe.add("name", "Control characters are not allowed.")
	}
	switch req.Type {
	case TypeAPIKey, TypeIntegrationToken:
	case "":
		fe.add("type", "This field is required.")
	default:
		fe.add("type", `Must be "api_key" or "integration_token".`)
	}
	if len(req.Scopes) == 0 {
		fe.add("scopes", "At least one scope is required.")
	}
	for _, sc := range req.Scopes {
		switch {
		case !KnownScope(sc):
			fe.add("scopes", "Unknown scope "+quote(sc)+".")
		case !c.HasScope(sc):
			c.Scopes = append(c.Scopes, sc)
		}
	}
	if len(req.AllowCIDRs) > maxCIDRs {
		fe.add("allow_cidrs", "At most 64 entries.")
	}
	for _, raw := range req.AllowCIDRs {
		p, ok := parseCIDR(raw)
		if !ok {
			fe.add("allow_cidrs", quote(raw)+" is not a CIDR (for example 10.0.0.0/8) or an IP address.")
			continue
		}
		c.AllowCIDRs = append(c.AllowCIDRs, p)
	}
	c.Lifetime = s.lifetime(req, fe)
	if len(fe) > 0 {
		return nil, validationFailed(fe)
	}
	if c.Lifetime > 0 {
		c.ExpiresAt = now.Add(c.Lifetime)
	}
	return c, nil
}

// lifetime returns the validated expires_in (0: never expires).
func (s *Store) lifetime(req CreateRequest, fe fieldErrors) time.Duration {
	if req.ExpiresIn == "" {
		if req.Type == TypeIntegrationToken {
			return s.o.DefaultTokenTTL
		}
		return 0
	}
	d, err := time.ParseDuration(req.ExpiresIn)
	switch {
	case err != nil:
		fe.add("expires_in", `Must be a Go duration such as "720h" or "90m".`)
	case d < minTTL:
		fe.add("expires_in", "Must be at least 1m.")
	case d > s.o.MaxTTL:
		fe.add("expires_in", "Must be at most "+s.o.MaxTTL.String()+".")
	default:
		return d
	}
	return 0
}

// parseCIDR accepts "10.0.0.0/8" or a bare address (a /32 or /128) and
// returns the masked prefix.
func parseCIDR(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// quote bounds and quotes user input for messages.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	b, _ := json.Marshal(s)
	return string(b)
}
