package envelope

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// FormatVersion is the version of the envelope shape itself. It is part of
// every cache key, so a change of the shape can never read old entries.
const FormatVersion = 1

// Source says where an answer came from.
type Source string

const (
	SourceUpstream Source = "upstream" // fresh from DRF
	SourceCache    Source = "cache"    // a fresh cache entry
	SourceStale    Source = "stale"    // an expired entry, served because the upstream failed or is refreshing
	SourceLocal    Source = "local"    // answered by the ExApp itself
)

// Version is the envelope's "version" member.
type Version struct {
	App string `json:"app"`
	// Schema is the upstream schema version the data was produced under; "" is
	// serialised as null.
	Schema   string `json:"schema"`
	Envelope int    `json:"envelope"`
}

// Envelope is the JSON shape of every API answer (README.md "Every answer is
// an envelope").
type Envelope struct {
	// Data is already-encoded JSON; nil is written as null.
	Data      json.RawMessage
	Error     *Error
	Source    Source
	Version   Version
	RequestID string
}

// MarshalJSON encodes the envelope without reflection over Data.
func (e Envelope) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(make([]byte, 0, len(e.Data)+192)), nil
}

// AppendJSON appends the encoded envelope to b. Data must be valid JSON (the
// caller validated it); Error is encoded with encoding/json.
func (e Envelope) AppendJSON(b []byte) []byte {
	b = append(b, `{"data":`...)
	if len(e.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Data...)
	}
	b = append(b, `,"error":`...)
	if e.Error == nil {
		b = append(b, "null"...)
	} else {
		eb, err := json.Marshal(e.Error)
		if err != nil { // Details not encodable: drop them rather than break the shape.
			c := *e.Error
			c.Details = nil
			eb, _ = json.Marshal(&c)
		}
		b = append(b, eb...)
	}
	b = append(b, `,"source":`...)
	b = appendString(b, string(e.Source))
	b = append(b, `,"version":{"app":`...)
	b = appendString(b, e.Version.App)
	b = append(b, `,"schema":`...)
	if e.Version.Schema == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, e.Version.Schema)
	}
	b = append(b, `,"envelope":`...)
	b = strconv.AppendInt(b, int64(FormatVersion), 10)
	b = append(b, `},"request_id":`...)
	b = appendString(b, e.RequestID)
	return append(b, '}')
}

// appendString appends s as a JSON string. Printable ASCII without '"',
// '\\' or HTML-special characters (every value the envelope normally
// carries) is copied as is; anything else is encoded by encoding/json.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // cannot fail for a string
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Wire is the decoded form of an envelope, for clients and tests.
type Wire struct {
	Data      json.RawMessage `json:"data"`
	Error     *Error          `json:"error"`
	Source    Source          `json:"source"`
	Version   WireVersion     `json:"version"`
	RequestID string          `json:"request_id"`
}

// WireVersion is Version as decoded (schema may be null).
type WireVersion struct {
	App      string  `json:"app"`
	Schema   *string `json:"schema"`
	Envelope int     `json:"envelope"`
}

// bufPool recycles encoding buffers: a cache hit then allocates no body copy.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// Header values every API answer carries.
const (
	ContentType  = "application/json"
	CacheControl = "no-store"
)

// Shared, read-only header value slices: a header set from them costs no
// allocation. net/http and gin only read or replace header slices; nothing
// may write into them.
var (
	hContentType  = []string{ContentType}
	hCacheControl = []string{CacheControl}
	hNoSniff      = []string{"nosniff"}
)

// Write sends env with status. It sets the exact Content-Type, an explicit
// Cache-Control (AppAPI's PHP proxy otherwise makes answers browser-cacheable
// for an hour) and X-Request-Id. Headers already set by the caller (X-Cache,
// Cache-Status, Age, Allow, WWW-Authenticate) are kept.
func Write(w http.ResponseWriter, status int, env Envelope) {
	bp := bufPool.Get().(*[]byte)
	buf := env.AppendJSON((*bp)[:0])
	defer func() {
		if cap(buf) <= 1<<20 { // keep big one-off buffers out of the pool
			*bp = buf
			bufPool.Put(bp)
		}
	}()
	h := w.Header()
	h["Content-Type"] = hContentType
	if _, ok := h["Cache-Control"]; !ok {
		h["Cache-Control"] = hCacheControl
	}
	h["X-Content-Type-Options"] = hNoSniff
	vals := make([]string, 2) // one allocation for the per-answer values
	if rid := env.RequestID; rid != "" {
		if v := h["X-Request-Id"]; len(v) != 1 || v[0] != rid {
			vals[0] = rid
			h["X-Request-Id"] = vals[0:1:1]
		}
	}
	vals[1] = strconv.Itoa(len(buf))
	h["Content-Length"] = vals[1:2:2]
	w.WriteHeader(status)
	_, _ = w.Write(buf)
}

// StatusFor returns the HTTP status to send for err (its Status, or the code's
// default when unset).
func StatusFor(e *Error) int {
	if e == nil {
		return http.StatusOK
	}
	if e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	return StatusOf(e.Code)
}
