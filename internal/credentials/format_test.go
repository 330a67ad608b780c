package credentials

import (
	"errors"
	"strings"
	"testing"
)

func TestTokenRoundTripAndParseErrors(t *testing.T) {
	t.Parallel()
	tok, err := newToken(TypeIntegrationToken, "abcDEF012345")
	if err != nil {
		t.Fatal(err)
	}
	typ, id, err := Parse(tok)
	if err != nil || typ != TypeIntegrationToken || id != "abcDEF012345" {
		t.Fatalf("Parse(%q) = %q, %q, %v; want integration_token, abcDEF012345, nil", tok, typ, id, err)
	}
	flip := func(s string, i int) string {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrMalformed},
		{"foreign prefix", "ghp_" + tok[4:], ErrMalformed},
		{"truncated", tok[:len(tok)-1], ErrMalformed},
		{"extra char", tok + "x", ErrMalformed},
		{"bad char", tok[:20] + "-" + tok[21:], ErrMalformed},
		{"typo in secret", flip(tok, 30), ErrChecksum},
		{"typo in id", flip(tok, 5), ErrChecksum},
		{"typo in checksum", flip(tok, len(tok)-1), ErrChecksum},
		{"api key prefix swapped", PrefixAPIKey + tok[4:], ErrChecksum},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := Parse(tc.token); !errors.Is(err, tc.want) {
				t.Errorf("Parse(%q) error = %v; want %v", tc.token, err, tc.want)
			}
		})
	}
}

func TestTokenShape(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 50 {
		tok, err := newToken(TypeAPIKey, "000000000000")
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != tokenLen || !strings.HasPrefix(tok, "wak_") || strings.Count(tok, "_") != 3 {
			t.Fatalf("token %q has the wrong shape", tok)
		}
		if seen[tok] {
			t.Fatalf("duplicate token %q", tok)
		}
		seen[tok] = true
	}
	if ValidID("short") || !ValidID("abcDEF012345") || ValidID("abcDEF01234_") {
		t.Error("ValidID accepts or rejects the wrong ids")
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	tok, _ := newToken(TypeAPIKey, "abcDEF012345")
	if n := testing.AllocsPerRun(100, func() { _, _, _ = Parse(tok) }); n != 0 {
		t.Errorf("Parse allocates %v times; want 0", n)
	}
}
