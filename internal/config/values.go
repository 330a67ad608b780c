package config

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The checks of rules. Each returns nil or a *valueError, whose message
// never contains the value.

func match(pattern, s, msg string) error {
	if !regexp.MustCompile(pattern).MatchString(s) {
		return invalid("%s", msg)
	}
	return nil
}

func notEmpty(s string) error {
	if s == "" {
		return invalid("must not be empty")
	}
	return nil
}

// noSpace rejects any whitespace or control character.
func noSpace(s string) error {
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return invalid("must not contain spaces or control characters")
	}
	return nil
}

func between[T int | int64](n, lo, hi T) error {
	if n < lo || n > hi {
		return invalid("must be between %d and %d", lo, hi)
	}
	return nil
}

func positive(d time.Duration) error {
	if d <= 0 {
		return invalid("must be greater than 0")
	}
	return nil
}

func notNegative(d time.Duration) error {
	if d < 0 {
		return invalid("must not be negative")
	}
	return nil
}

func oneOf(s string, values ...string) error {
	for _, v := range values {
		if s == v {
			return nil
		}
	}
	return invalid("must be one of %s", strings.Join(values, ", "))
}

func each(items []string, check func(string) error) error {
	for _, s := range items {
		if err := check(s); err != nil {
			return err
		}
	}
	return nil
}

func optional(s string, check func(string) error) error {
	if s == "" {
		return nil
	}
	return check(s)
}

// absPath accepts "" or an absolute path.
func absPath(s string) error {
	if s != "" && !filepath.IsAbs(s) {
		return invalid("must be an absolute path")
	}
	return nil
}

// socketLen limits a unix socket path to what Linux accepts (sun_path is
// 108 bytes including the terminating NUL; unix(7)).
func socketLen(s string) error {
	if len(s) > 107 {
		return invalid("must be at most %d bytes long for a unix socket", 107)
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

// hmacKey accepts "" (unset) or a key of at least 256 bits, the shortest
// HS256 key RFC 7518 §3.2 allows.
func hmacKey(s string) error {
	if s != "" && len(s) < 32 {
		return invalid("an HS256 key needs at least %d bytes", 32)
	}
	return nil
}

// httpURL accepts "" or an http(s) base URL with a host and no
// credentials, query or fragment.
func httpURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return invalid("must be a valid URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return invalid("must be an http:// or https:// URL")
	case u.Host == "" || u.Hostname() == "":
		return invalid("must name a host")
	case u.User != nil:
		return invalid("must not contain credentials")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return invalid("must not contain a query or fragment")
	}
	return nil
}

// redisURL accepts "" or a redis:// / rediss:// URL whose path, if any, is
// a database number.
func redisURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return invalid("must be a valid redis:// or rediss:// URL")
	case u.Scheme != "redis" && u.Scheme != "rediss":
		return invalid("must be a redis:// or rediss:// URL")
	case u.Hostname() == "":
		return invalid("must name a host")
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return invalid("path must be a database number such as /0")
		}
	}
	return nil
}

// parseKey sets PublicKey from PublicKeyPEM: "" or one PEM "PUBLIC KEY"
// (PKIX) or "RSA PUBLIC KEY" (PKCS #1) block holding an RSA or ECDSA key.
func (j *JWT) parseKey() error {
	j.PublicKey = nil
	if j.PublicKeyPEM == "" {
		return nil
	}
	block, rest := pem.Decode([]byte(j.PublicKeyPEM))
	if block == nil {
		return invalid("must be a PEM-encoded public key")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return invalid("must hold exactly one PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return invalid("PEM block must be PUBLIC KEY or RSA PUBLIC KEY, not %q", block.Type)
	}
	if err != nil {
		return invalid("PEM block does not hold a valid public key")
	}
	switch key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		j.PublicKey = key
		return nil
	}
	return invalid("must be an RSA or ECDSA public key (RS256/ES256)")
}
