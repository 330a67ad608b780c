package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// entryFormat is the version of the stored record; a change makes old records
// fail validation (and the envelope format version is in every key).
const entryFormat = 2

// entryMagic starts every stored record: magic, JSON metadata, '\n', body.
const entryMagic = "WAC2"

// meta is the metadata stored in front of every body.
type meta struct {
	Format     int    `json:"f"`
	Envelope   int    `json:"env"`
	AppVersion string `json:"app_version"`
	// Versions is the key's version component (schema and contract the
	// control hash named when the entry was stored).
	Versions string `json:"versions"`
	// Schema is the version the answer declared ("" none): its label.
	Schema string `json:"schema_version"`
	// Print is the hash of the answer's shape fingerprint ("" for 404s).
	Print string `json:"print,omitempty"`
	// Note is a Cache-Status detail kept with the entry (for example a
	// contract violation found in report mode).
	Note string `json:"note,omitempty"`
	// NegGen is the route's NOT_FOUND generation a negative entry was
	// stored under; a create bumps it.
	NegGen   int64  `json:"neg_gen,omitempty"`
	Route    string `json:"route"`
	ReqHash  string `json:"request_key"`
	Request  string `json:"request"` // normalised path?query, to re-fetch in Verify
	Gen      string `json:"gen"`
	Tomb     string `json:"tomb"` // tombstone value when the load began
	Status   int    `json:"status"`
	StoredAt int64  `json:"stored_at"` // unix milliseconds
	TTL      int64  `json:"ttl"`       // fresh life, milliseconds
	Hash     string `json:"sha256"`
}

// entry is a decoded, validated record.
type entry struct {
	meta
	body     []byte
	storedAt time.Time
	ttl      time.Duration
}

func (e *entry) negative() bool { return e.Status == 404 }

// encodeEntry renders m and body as one record.
func encodeEntry(m *meta, body []byte) []byte {
	sum := sha256.Sum256(body)
	m.Hash = hex.EncodeToString(sum[:])
	mj, _ := json.Marshal(m) // plain strings and ints: cannot fail
	b := make([]byte, 0, len(entryMagic)+len(mj)+1+len(body))
	b = append(b, entryMagic...)
	b = append(b, mj...)
	b = append(b, '\n')
	return append(b, body...)
}

// expect is what a record read under a key must say about itself.
type expect struct {
	appVersion, versions, route, reqHash, gen string
}

// errInvalid marks a record that must be deleted and never served.
var errInvalid = errors.New("invalid cache entry")

// decodeEntry parses raw and checks it against x: record format, envelope
// format, metadata, sha256 of the body and, for 2xx bodies, that the body is
// JSON. Any failure wraps errInvalid with the reason. (The body passed the
// route's checks when it was stored; the sha256 proves it is that body.)
func decodeEntry(raw []byte, x expect) (*entry, error) {
	rest, ok := bytes.CutPrefix(raw, []byte(entryMagic))
	if !ok {
		return nil, fmt.Errorf("%w: unknown record format", errInvalid)
	}
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return nil, fmt.Errorf("%w: no metadata terminator", errInvalid)
	}
	e := &entry{body: rest[i+1:]}
	if err := json.Unmarshal(rest[:i], &e.meta); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", errInvalid, err)
	}
	m := &e.meta
	switch {
	case m.Format != entryFormat || m.Envelope != envelope.FormatVersion:
		return nil, fmt.Errorf("%w: format %d/%d", errInvalid, m.Format, m.Envelope)
	case m.AppVersion != x.appVersion || m.Versions != x.versions || m.Route != x.route || m.ReqHash != x.reqHash || m.Gen != x.gen:
		return nil, fmt.Errorf("%w: metadata does not match the key", errInvalid)
	case m.TTL <= 0 || m.StoredAt <= 0:
		return nil, fmt.Errorf("%w: bad ttl or stored_at", errInvalid)
	case !(m.Status >= 200 && m.Status <= 299) && m.Status != 404:
		return nil, fmt.Errorf("%w: status %d is not cacheable", errInvalid, m.Status)
	}
	sum := sha256.Sum256(e.body)
	if hex.EncodeToString(sum[:]) != m.Hash {
		return nil, fmt.Errorf("%w: body hash mismatch", errInvalid)
	}
	if !e.negative() && !json.Valid(e.body) {
		return nil, fmt.Errorf("%w: body is not JSON", errInvalid)
	}
	e.storedAt = time.UnixMilli(m.StoredAt)
	e.ttl = time.Duration(m.TTL) * time.Millisecond
	return e, nil
}

// negativeBody is the stored form of a cached NOT_FOUND.
type negativeBody struct {
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

func encodeNegative(e *envelope.Error) []byte {
	b, err := json.Marshal(negativeBody{Message: e.Message, Details: e.Details})
	if err != nil {
		b, _ = json.Marshal(negativeBody{Message: e.Message})
	}
	return b
}

// negativeError rebuilds the NOT_FOUND error of a negative entry.
func negativeError(body []byte) *envelope.Error {
	var nb negativeBody
	if json.Unmarshal(body, &nb) != nil || nb.Message == "" {
		nb.Message = "Not found."
	}
	e := envelope.New(envelope.CodeNotFound, nb.Message).WithOrigin(envelope.SourceCache)
	if nb.Details != nil {
		e = e.WithDetails(nb.Details)
	}
	return e
}
