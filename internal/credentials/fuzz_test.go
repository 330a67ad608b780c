package credentials

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCredentialToken: the token parser never panics and refuses with
// ErrMalformed or ErrChecksum only; a token it accepts re-formats to the
// same string, has an id and a secret of the fixed lengths in base62, agrees
// with Parse and TypeOfToken, and stops parsing when any one of its
// characters changes (the checksum catches every single-character change).
func FuzzCredentialToken(f *testing.F) {
	key := Token{Type: TypeAPIKey, ID: "abcDEF012345", Secret: strings.Repeat("Zz9", 14) + "A"}.Format()
	tok := Token{Type: TypeIntegrationToken, ID: "000000000000", Secret: strings.Repeat("0", secretLen)}.Format()
	for _, s := range []string{
		key, tok, "", "wak_", "wit_" + tok[4:len(tok)-1], PrefixAPIKey + tok[4:], // prefix swapped: checksum
		strings.Replace(key, "_", "-", 2), key + "\n", "ghp_" + key[4:], strings.ToUpper(key),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tk, err := ParseToken(s)
		typ, id, perr := Parse(s)
		if !errors.Is(perr, err) || typ != tk.Type || id != tk.ID {
			t.Fatalf("Parse = %q, %q, %v; ParseToken = %+v, %v", typ, id, perr, tk, err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("ParseToken(%q) error = %v; want ErrMalformed or ErrChecksum", s, err)
			}
			if tk != (Token{}) {
				t.Fatalf("ParseToken(%q) refused but returned %+v", s, tk)
			}
			return
		}
		if got := tk.Format(); got != s {
			t.Fatalf("ParseToken(%q).Format() = %q", s, got)
		}
		if len(s) != tokenLen || !ValidID(tk.ID) || len(tk.Secret) != secretLen || strings.IndexFunc(tk.Secret, func(r rune) bool { return r > 0x7f || !isBase62(byte(r)) }) >= 0 {
			t.Fatalf("ParseToken(%q) = %+v: id or secret out of bounds", s, tk)
		}
		if pt, ok := TypeOfToken(s); !ok || pt != tk.Type || (pt != TypeAPIKey && pt != TypeIntegrationToken) {
			t.Fatalf("TypeOfToken(%q) = %q, %v; ParseToken says %q", s, pt, ok, tk.Type)
		}
		for i := 4; i < len(s); i++ { // every character after the prefix
			b := []byte(s)
			b[i] = base62[(strings.IndexByte(base62, s[i])+1)%len(base62)]
			if s[i] == '_' {
				b[i] = 'x'
			}
			if _, err := ParseToken(string(b)); err == nil {
				t.Fatalf("ParseToken accepts %q, %q changed at %d", string(b), s, i)
			}
		}
	})
}
