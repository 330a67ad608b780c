package credentials

import (
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"strings"
)

// Type is a credential type.
type Type string

const (
	TypeAPIKey           Type = "api_key"           // long-lived, sent in X-API-Key
	TypeIntegrationToken Type = "integration_token" // expiring, X-API-Key or Bearer
)

// Token format (like GitHub's ghp_ tokens): "<prefix>_<id>_<secret>_<crc>"
//
//	prefix  "wak" (API key) or "wit" (integration token)
//	id      12 base62 characters, public, names the Redis record
//	secret  43 base62 characters (256 bits from crypto/rand)
//	crc     6 base62 characters: CRC-32 (IEEE) of everything before the last "_"
//
// The checksum lets Parse reject typos, truncations and look-alike strings
// without a Redis look-up, and lets secret scanners recognise leaked tokens.
const (
	PrefixAPIKey           = "wak_"
	PrefixIntegrationToken = "wit_"

	idLen     = 12
	secretLen = 43
	crcLen    = 6
	tokenLen  = 4 + idLen + 1 + secretLen + 1 + crcLen
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Parse errors. Both mean "not one of our tokens" without touching Redis.
var (
	ErrMalformed = errors.New("credential is malformed")
	ErrChecksum  = errors.New("credential checksum does not match")
)

// prefixOf returns the token prefix of t.
func prefixOf(t Type) string {
	if t == TypeAPIKey {
		return PrefixAPIKey
	}
	return PrefixIntegrationToken
}

// TypeOfToken returns the credential type a token's prefix announces and
// whether the prefix is one of ours. It does not validate the rest.
func TypeOfToken(token string) (Type, bool) {
	switch {
	case strings.HasPrefix(token, PrefixAPIKey):
		return TypeAPIKey, true
	case strings.HasPrefix(token, PrefixIntegrationToken):
		return TypeIntegrationToken, true
	}
	return "", false
}

// Token is a parsed credential token. Its fields are substrings of the
// parsed string, so parsing does not allocate.
type Token struct {
	Type   Type
	ID     string // idLen base62 characters, public
	Secret string // secretLen base62 characters
}

// Format returns t as a token, "<prefix><id>_<secret>_<crc>". For every s
// that ParseToken accepts, ParseToken(s).Format() == s. (Not String: a
// Token must not print its secret when logged.)
func (t Token) Format() string {
	body := prefixOf(t.Type) + t.ID + "_" + t.Secret
	var crc [crcLen]byte
	encodeCRC(&crc, checksum(body))
	return body + "_" + string(crc[:])
}

// ParseToken checks token's shape and checksum and returns its parts. It
// returns ErrMalformed or ErrChecksum; it never allocates.
func ParseToken(token string) (Token, error) {
	typ, ok := TypeOfToken(token)
	if !ok || len(token) != tokenLen {
		return Token{}, ErrMalformed
	}
	if token[4+idLen] != '_' || token[4+idLen+1+secretLen] != '_' {
		return Token{}, ErrMalformed
	}
	for i := 4; i < len(token); i++ {
		if i == 4+idLen || i == 4+idLen+1+secretLen {
			continue
		}
		if !isBase62(token[i]) {
			return Token{}, ErrMalformed
		}
	}
	body := token[:len(token)-crcLen-1]
	var want [crcLen]byte
	encodeCRC(&want, checksum(body))
	if string(want[:]) != token[len(token)-crcLen:] {
		return Token{}, ErrChecksum
	}
	return Token{Type: typ, ID: token[4 : 4+idLen], Secret: token[4+idLen+1 : 4+idLen+1+secretLen]}, nil
}

// Parse is ParseToken returning only the type and id.
func Parse(token string) (Type, string, error) {
	t, err := ParseToken(token)
	return t.Type, t.ID, err
}

// ValidID reports whether id has the shape of a credential id.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isBase62(id[i]) {
			return false
		}
	}
	return true
}

// newID returns a random credential id.
func newID() (string, error) { return randomBase62(idLen) }

// newToken returns a fresh token for id.
func newToken(t Type, id string) (string, error) {
	secret, err := randomBase62(secretLen)
	if err != nil {
		return "", err
	}
	return Token{Type: t, ID: id, Secret: secret}.Format(), nil
}

// hashToken is the only form of a token that is stored. Tokens that passed
// Parse are hashed from a stack copy (no allocation).
func hashToken(token string) [sha256.Size]byte {
	if len(token) == tokenLen {
		var buf [tokenLen]byte
		copy(buf[:], token)
		return sha256.Sum256(buf[:])
	}
	return sha256.Sum256([]byte(token))
}

// randomBase62 returns n uniformly random base62 characters (rejection
// sampling, so no modulo bias).
func randomBase62(n int) (string, error) {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b < 248 && len(out) < n { // 248 = 4*62
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out), nil
}

// checksum is CRC-32 (IEEE) of s, without converting s to a byte slice.
func checksum(s string) uint32 {
	crc := ^uint32(0)
	for i := 0; i < len(s); i++ {
		crc = crc32.IEEETable[byte(crc)^s[i]] ^ (crc >> 8)
	}
	return ^crc
}

func encodeCRC(dst *[crcLen]byte, v uint32) {
	n := uint64(v)
	for i := crcLen - 1; i >= 0; i-- {
		dst[i] = base62[n%62]
		n /= 62
	}
}

func isBase62(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
