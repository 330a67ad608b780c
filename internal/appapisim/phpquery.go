package appapisim

import (
	"net/url"
	"strconv"
	"strings"
)

// phpValue is a PHP $_GET value: a string or an ordered array.
type phpValue struct {
	str string
	arr *phpArray
}

type phpArray struct {
	keys []string
	vals map[string]*phpValue
	next int
}

func newPHPArray() *phpArray { return &phpArray{vals: map[string]*phpValue{}} }

func (a *phpArray) set(key string, v *phpValue) {
	if key == "" {
		key = strconv.Itoa(a.next)
	}
	if n, err := strconv.Atoi(key); err == nil && n >= a.next {
		a.next = n + 1
	}
	if _, ok := a.vals[key]; !ok {
		a.keys = append(a.keys, key)
	}
	a.vals[key] = v
}

// child returns the array at key, replacing a string there.
func (a *phpArray) child(key string) *phpArray {
	if key != "" {
		if v, ok := a.vals[key]; ok && v.arr != nil {
			return v.arr
		}
	}
	c := newPHPArray()
	a.set(key, &phpValue{arr: c})
	return c
}

// phpRebuildQuery parses raw like PHP fills $_GET (parse_str) and rebuilds it
// with http_build_query, as AppAPI's proxy does: dots and spaces in names
// become "_", a repeated name keeps its last value unless it ends in "[]",
// and bracketed names become (indexed) arrays.
func phpRebuildQuery(raw string) string {
	root := newPHPArray()
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		base, subs := splitPHPKey(strings.TrimLeft(key, " "))
		if base == "" {
			continue
		}
		if len(subs) == 0 {
			root.set(base, &phpValue{str: val})
			continue
		}
		arr := root.child(base)
		for i, sk := range subs {
			if i == len(subs)-1 {
				arr.set(sk, &phpValue{str: val})
			} else {
				arr = arr.child(sk)
			}
		}
	}
	var parts []string
	buildPHPQuery(root, "", &parts)
	return strings.Join(parts, "&")
}

// splitPHPKey splits "a.b[x][]" into base "a_b" and subkeys ["x", ""].
// An unmatched "[" becomes "_" and ends the conversion, like PHP.
func splitPHPKey(key string) (string, []string) {
	var base strings.Builder
	i := 0
	for ; i < len(key); i++ {
		c := key[i]
		if c == '[' {
			if strings.IndexByte(key[i:], ']') < 0 {
				base.WriteByte('_')
				base.WriteString(key[i+1:])
				return base.String(), nil
			}
			break
		}
		if c == ' ' || c == '.' {
			c = '_'
		}
		base.WriteByte(c)
	}
	var subs []string
	rest := key[i:]
	for strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			break
		}
		subs = append(subs, rest[1:end])
		rest = rest[end+1:]
	}
	return base.String(), subs
}

// buildPHPQuery emits http_build_query pairs (RFC 1738 encoding: "+" for space).
func buildPHPQuery(a *phpArray, prefix string, out *[]string) {
	for _, k := range a.keys {
		name := k
		if prefix != "" {
			name = prefix + "[" + k + "]"
		}
		v := a.vals[k]
		if v.arr != nil {
			buildPHPQuery(v.arr, name, out)
			continue
		}
		*out = append(*out, phpURLEncode(name)+"="+phpURLEncode(v.str))
	}
}

// phpURLEncode is PHP's urlencode: alnum and "-_." stay, space → "+".
func phpURLEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
