package jsonshape

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"unicode/utf8"
)

// Kinds is a set of JSON value kinds seen at one path.
type Kinds uint8

// The JSON value kinds. Null is compatible with every other kind.
const (
	KObject Kinds = 1 << iota
	KArray
	KString
	KNumber
	KBool
	KNull
)

// concrete is k without Null.
func (k Kinds) concrete() Kinds { return k &^ KNull }

func (k Kinds) String() string {
	var parts []string
	for _, n := range []struct {
		k    Kinds
		name string
	}{{KObject, "object"}, {KArray, "list"}, {KString, "string"}, {KNumber, "number"}, {KBool, "boolean"}, {KNull, "null"}} {
		if k&n.k != 0 {
			parts = append(parts, n.name)
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "|")
}

// Limits of one print: deeper values are recorded by their kind only, and
// past MaxPaths distinct paths the print is marked truncated (Compare then
// checks only the paths both prints have).
const (
	MaxDepth = 32
	MaxPaths = 2048
)

// Print is the shape fingerprint of one JSON value: every path (a JSON
// pointer in which "[]" stands for every element of a list and "{}" for
// every member of an object keyed by ids) with the kinds seen there.
// Values are ignored. The zero Print describes nothing.
type Print struct {
	paths     map[string]Kinds
	truncated bool
}

// Of returns the print of body, which must be JSON. It scans the bytes
// once without decoding values; a path string is allocated only the first
// time the path is seen (list elements share theirs), so a page of many
// records costs little more than one record.
func Of(body []byte) (Print, error) {
	if !json.Valid(body) {
		return Print{}, errors.New("jsonshape: not JSON")
	}
	p := Print{paths: make(map[string]Kinds, 32)}
	sc := scanner{b: body, p: &p, path: make([]byte, 0, 128)}
	sc.value(0)
	return p, nil
}

func (p *Print) add(path string, k Kinds) {
	if old, ok := p.paths[path]; ok || len(p.paths) < MaxPaths {
		p.paths[path] = old | k
		return
	}
	p.truncated = true
}

// scanner walks valid JSON (checked by json.Valid first).
type scanner struct {
	b    []byte
	i    int
	p    *Print
	path []byte
}

// record adds kind k at the current path; the path string is allocated
// only when it is new or gains a kind.
func (s *scanner) record(k Kinds) {
	if old, ok := s.p.paths[string(s.path)]; ok && old&k == k {
		return
	}
	s.p.add(string(s.path), k)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value records the value at s.i and moves past it.
func (s *scanner) value(depth int) {
	s.ws()
	if depth > MaxDepth {
		start := s.i
		s.skip()
		s.record(kindOfRaw(s.b[start:s.i]))
		return
	}
	switch c := s.b[s.i]; c {
	case '{':
		s.record(KObject)
		s.i++
		s.ws()
		if s.b[s.i] == '}' {
			s.i++
			return
		}
		for {
			s.ws()
			raw, escaped := s.str()
			s.ws()
			s.i++ // ':'
			n := len(s.path)
			s.path = appendSegment(append(s.path, '/'), raw, escaped)
			s.value(depth + 1)
			s.path = s.path[:n]
			s.ws()
			c := s.b[s.i]
			s.i++
			if c == '}' {
				return
			}
		}
	case '[':
		s.record(KArray)
		s.i++
		s.ws()
		if s.b[s.i] == ']' {
			s.i++
			return
		}
		n := len(s.path)
		s.path = append(s.path, "/[]"...)
		for {
			s.value(depth + 1)
			s.ws()
			c := s.b[s.i]
			s.i++
			if c == ']' {
				break
			}
		}
		s.path = s.path[:n]
	case '"':
		s.str()
		s.record(KString)
	case 't', 'f':
		s.literal()
		s.record(KBool)
	case 'n':
		s.literal()
		s.record(KNull)
	default:
		s.literal()
		s.record(KNumber)
	}
}

// str moves past a string and returns its raw content and whether it has
// escapes.
func (s *scanner) str() (raw []byte, escaped bool) {
	s.i++ // opening quote
	start := s.i
	for s.b[s.i] != '"' {
		if s.b[s.i] == '\\' {
			escaped = true
			s.i++
		}
		s.i++
	}
	raw = s.b[start:s.i]
	s.i++
	return raw, escaped
}

// literal moves past a number, true, false or null.
func (s *scanner) literal() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return
		}
		s.i++
	}
}

// skip moves past any value.
func (s *scanner) skip() {
	switch s.b[s.i] {
	case '"':
		s.str()
	case '{', '[':
		depth := 0
		for {
			switch s.b[s.i] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return
			}
		}
	default:
		s.literal()
	}
}

// appendSegment appends the pointer segment of a member name (raw JSON
// string content): "{}" for names that are ids (all digits, or a UUID), so
// that objects keyed by data do not grow the print; otherwise the name
// escaped as in RFC 6901.
func appendSegment(path, raw []byte, escaped bool) []byte {
	key := raw
	if escaped || !utf8.Valid(raw) { // decoded as encoding/json does (U+FFFD for bad bytes)
		var k string
		if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k) == nil {
			key = []byte(k)
		}
	}
	if allDigits(string(key)) || isUUID(string(key)) {
		return append(path, "{}"...)
	}
	for _, c := range key {
		switch c {
		case '~':
			path = append(path, "~0"...)
		case '/':
			path = append(path, "~1"...)
		default:
			path = append(path, c)
		}
	}
	return path
}

func kindOfRaw(raw json.RawMessage) Kinds {
	r := bytes.TrimSpace(raw)
	if len(r) == 0 {
		return 0
	}
	switch r[0] {
	case '{':
		return KObject
	case '[':
		return KArray
	case '"':
		return KString
	case 't', 'f':
		return KBool
	case 'n':
		return KNull
	}
	return KNumber
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// Len is the number of paths.
func (p Print) Len() int { return len(p.paths) }

// Truncated reports whether the value had more than MaxPaths paths.
func (p Print) Truncated() bool { return p.truncated }

// Kinds returns the kinds seen at path (0 when absent).
func (p Print) Kinds(path string) Kinds { return p.paths[path] }

// Paths returns the paths in order.
func (p Print) Paths() []string {
	out := make([]string, 0, len(p.paths))
	for k := range p.paths {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Hash is a short stable digest of the print (16 hex digits); equal prints
// have equal hashes.
func (p Print) Hash() string {
	h := sha256.New()
	for _, path := range p.Paths() {
		h.Write([]byte(path))
		h.Write([]byte{0, byte(p.paths[path]), '\n'})
	}
	if p.truncated {
		h.Write([]byte("truncated"))
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// printJSON is the stored form of a Print.
type printJSON struct {
	Paths     map[string]Kinds `json:"p"`
	Truncated bool             `json:"t,omitempty"`
}

// MarshalJSON stores the print.
func (p Print) MarshalJSON() ([]byte, error) {
	paths := p.paths
	if paths == nil {
		paths = map[string]Kinds{}
	}
	return json.Marshal(printJSON{Paths: paths, Truncated: p.truncated})
}

// UnmarshalJSON reads a stored print.
func (p *Print) UnmarshalJSON(b []byte) error {
	var pj printJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		return err
	}
	if pj.Paths == nil {
		pj.Paths = map[string]Kinds{}
	}
	p.paths, p.truncated = pj.Paths, pj.Truncated
	return nil
}
