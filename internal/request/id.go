package request

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync/atomic"
)

// requestID returns AppAPI's AA-REQUEST-ID when it is a sane token, else a
// fresh random id.
func requestID(r *http.Request, ids *idGen) string {
	if v := r.Header["Aa-Request-Id"]; len(v) > 0 && saneID(v[0]) {
		return v[0]
	}
	return ids.next()
}

// idGen makes request ids: a random per-guard prefix keeps them unique
// across processes, a counter within one. Request ids correlate logs; they
// are not secrets.
type idGen struct {
	prefix string
	n      atomic.Uint64
}

func newIDGen() *idGen {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return &idGen{prefix: hex.EncodeToString(b[:])}
}

func (g *idGen) next() string {
	var buf [32]byte
	b := append(buf[:0], g.prefix...)
	b = append(b, '-')
	b = strconv.AppendUint(b, g.n.Add(1), 36)
	return string(b)
}

func saneID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
