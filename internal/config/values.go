package config

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// maxSocketPath is the longest unix socket path Linux accepts (sun_path is
// 108 bytes including the terminating NUL).
const maxSocketPath = 107

// minHMACKey is the shortest HS256 key RFC 7518 §3.2 allows (256 bits).
const minHMACKey = 32

var (
	appIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	scopePattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
)

func checkAppID(s string) error {
	if !appIDPattern.MatchString(s) {
		return invalid("must be a non-empty app id of letters, digits, _ and -")
	}
	return nil
}

func checkScope(s string) error {
	if !scopePattern.MatchString(s) {
		return invalid("scopes may contain only letters, digits and _ . : -")
	}
	return nil
}

// checkHMACKey accepts "" (unset) or a key of at least minHMACKey bytes.
func checkHMACKey(s string) error {
	if s != "" && len(s) < minHMACKey {
		return invalid("an HS256 key needs at least %d bytes", minHMACKey)
	}
	return nil
}

// optionalAbsPath accepts "" or an absolute path.
func optionalAbsPath(s string) error {
	if s != "" && !filepath.IsAbs(s) {
		return invalid("must be an absolute path")
	}
	return nil
}

// socketPath accepts "" or an absolute path short enough for a unix socket.
func socketPath(s string) error {
	if err := optionalAbsPath(s); err != nil {
		return err
	}
	if len(s) > maxSocketPath {
		return invalid("must be at most %d bytes long for a unix socket", maxSocketPath)
	}
	return nil
}

// hostPort accepts host:port with a numeric port in 0..65535.
func hostPort(s string) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return invalid("must be host:port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return invalid("must be host:port with a port between 0 and 65535")
	}
	return nil
}

// optionalHostPort accepts "" or host:port.
func optionalHostPort(s string) error {
	if s == "" {
		return nil
	}
	return hostPort(s)
}

// httpURL returns a parser for an http(s) base URL with no credentials,
// query or fragment; the result has no trailing "/". With stripIndexPHP a
// trailing "/index.php" is removed too, as nc_py_api does for NEXTCLOUD_URL.
func httpURL(stripIndexPHP bool) func(any) (string, error) {
	return func(raw any) (string, error) {
		s, err := text()(raw)
		if err != nil || s == "" {
			return "", err
		}
		s = strings.TrimRight(s, "/")
		if stripIndexPHP {
			s = strings.TrimRight(strings.TrimSuffix(s, "/index.php"), "/")
		}
		u, err := url.Parse(s)
		switch {
		case err != nil:
			return "", invalid("must be a valid URL")
		case u.Scheme != "http" && u.Scheme != "https":
			return "", invalid("must be an http:// or https:// URL")
		case u.Host == "" || u.Hostname() == "":
			return "", invalid("must name a host")
		case u.User != nil:
			return "", invalid("must not contain credentials")
		case u.RawQuery != "" || u.Fragment != "" || strings.Contains(s, "?") || strings.Contains(s, "#"):
			return "", invalid("must not contain a query or fragment")
		}
		return s, nil
	}
}

// redisURL returns a parser for "" or a redis:// / rediss:// URL.
func redisURL(raw any) (string, error) {
	s, err := text()(raw)
	if err != nil || s == "" {
		return "", err
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", invalid("must be a valid redis:// or rediss:// URL")
	case u.Scheme != "redis" && u.Scheme != "rediss":
		return "", invalid("must be a redis:// or rediss:// URL")
	case u.Hostname() == "":
		return "", invalid("must name a host")
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return "", invalid("path must be a database number such as /0")
		}
	}
	return s, nil
}

// redactURL hides the password of a URL; unparsable input is hidden whole.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<redacted>"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "redacted")
	}
	return u.String()
}

// parsePrefix accepts a CIDR ("10.0.0.0/8") or a single address, which
// becomes a /32 or /128. The result is masked.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, &valueError{msg: fmt.Sprintf("%q is not a CIDR such as 10.0.0.0/8", s), quoted: true}
}

// prefixes binds a []netip.Prefix field.
func prefixes(field func(*Config) *[]netip.Prefix) binding {
	return bind(field, list(parsePrefix), joinList[netip.Prefix])
}

// logLevel binds a slog.Level written as debug, info, warn or error.
func logLevel(field func(*Config) *slog.Level) binding {
	levels := map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo,
		"warn": slog.LevelWarn, "error": slog.LevelError,
	}
	return bind(field, func(raw any) (slog.Level, error) {
		s, err := lower(enum("debug", "info", "warn", "error"))(raw)
		if err != nil {
			return 0, err
		}
		return levels[s], nil
	}, func(l slog.Level) string { return strings.ToLower(l.String()) })
}

// publicKey binds JWT.PublicKeyPEM and JWT.PublicKey: "" or a PEM "PUBLIC
// KEY" (PKIX) or "RSA PUBLIC KEY" (PKCS #1) block holding an RSA or ECDSA key.
// A value with literal "\n" sequences and no newline (a PEM squeezed into
// one environment line) is unescaped first.
func publicKey() binding {
	return binding{
		set: func(c *Config, raw any) error {
			s, err := text()(raw)
			if err != nil {
				return err
			}
			if !strings.Contains(s, "\n") {
				s = strings.ReplaceAll(s, `\n`, "\n")
			}
			c.JWT.PublicKeyPEM, c.JWT.PublicKey = "", nil
			if s == "" {
				return nil
			}
			key, err := parsePublicKey(s)
			if err != nil {
				return err
			}
			c.JWT.PublicKeyPEM, c.JWT.PublicKey = s, key
			return nil
		},
		get: func(c *Config) string { return describeKey(c.JWT.PublicKey) },
	}
}

func parsePublicKey(s string) (any, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil {
		return nil, invalid("must be a PEM-encoded public key")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return nil, invalid("must hold exactly one PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return nil, invalid("PEM block must be PUBLIC KEY or RSA PUBLIC KEY, not %q", block.Type)
	}
	if err != nil {
		return nil, invalid("PEM block does not hold a valid public key")
	}
	switch key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		return key, nil
	default:
		return nil, invalid("must be an RSA or ECDSA public key (RS256/ES256)")
	}
}

// describeKey summarises a public key on one line for Print.
func describeKey(key any) string {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d-bit public key", k.N.BitLen())
	case *ecdsa.PublicKey:
		return fmt.Sprintf("ECDSA %s public key", k.Curve.Params().Name)
	default:
		return ""
	}
}
