package jsonshape

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strings"
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

// Of returns the print of body, which must be JSON.
func Of(body []byte) (Print, error) {
	p := Print{paths: make(map[string]Kinds, 32)}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := p.walk(dec, "", 0); err != nil {
		return Print{}, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Print{}, errors.New("jsonshape: trailing data after the JSON value")
	}
	return p, nil
}

func (p *Print) add(path string, k Kinds) {
	if old, ok := p.paths[path]; ok || len(p.paths) < MaxPaths {
		p.paths[path] = old | k
		return
	}
	p.truncated = true
}

// walk records the next value of dec at path.
func (p *Print) walk(dec *json.Decoder, path string, depth int) error {
	if depth > MaxDepth {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		p.add(path, kindOfRaw(raw))
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			p.add(path, KObject)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := kt.(string)
				if err := p.walk(dec, path+"/"+segment(key), depth+1); err != nil {
					return err
				}
			}
		case '[':
			p.add(path, KArray)
			for dec.More() {
				if err := p.walk(dec, path+"/[]", depth+1); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token() // the closing delimiter
		return err
	case string:
		p.add(path, KString)
	case json.Number:
		p.add(path, KNumber)
	case bool:
		p.add(path, KBool)
	case nil:
		p.add(path, KNull)
	}
	return nil
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

// segment is the pointer segment of member key: "{}" for keys that are ids
// (all digits, or a UUID), so that objects keyed by data do not grow the
// print; otherwise key escaped as in RFC 6901.
func segment(key string) string {
	if allDigits(key) || isUUID(key) {
		return "{}"
	}
	if strings.ContainsAny(key, "~/") {
		key = strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
	}
	return key
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
