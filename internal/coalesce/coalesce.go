// Package coalesce sends a complete HTTP response with one system call
// where net/http would make two.
//
// net/http buffers a connection's output in 4 KiB. A response larger than
// that buffer (a 6 KB cached farm schema, a farm list) leaves it in two
// writes: the full buffer (headers and the start of the body) as soon as it
// fills, and the rest when the handler returns. Each write on a loopback or
// unix socket costs a system call and wakes the reader. While a handler
// writes a response it declares complete (Arm ... Disarm), a Conn holds back
// a write of exactly one full buffer and sends it together with the next
// write in one writev(2).
//
// Contract: a held write is sent with the connection's next Write, or before
// any Read, SetDeadline, SetReadDeadline, SetWriteDeadline, CloseWrite or
// Close. net/http calls SetWriteDeadline after every response it finishes
// (and Read or Close after that), so no response can be left behind; the
// package tests check this for every body size around the buffer boundary.
// Only armed writes are held, so a streaming handler's Flush is never
// delayed. A send that fails after its write was reported done makes the
// next operation fail with that error, as a failed buffered write would.
package coalesce

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// bufSize is net/http's per-connection write buffer (server.go:
// newBufioWriterSize(checkConnErrorWriter{c}, 4<<10)). Should it change,
// no write matches and the Conn simply writes through.
const bufSize = 4 << 10

// Listener wraps every accepted connection in a Conn.
type Listener struct{ net.Listener }

// Accept returns the next connection as a *Conn.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &Conn{Conn: c}, nil
}

type connKey struct{}

// ConnContext is for http.Server.ConnContext: it makes the Conn reachable
// from the request contexts of its connection (see From).
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if cc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, connKey{}, cc)
	}
	return ctx
}

// From returns the Conn carrying the request of ctx, or nil (then Arm and
// Disarm do nothing).
func From(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}

// Conn is a net.Conn that can hold back one full-buffer write while armed.
// Safe for the concurrent use net/http makes of it (a background Read
// during a handler's writes).
type Conn struct {
	net.Conn

	armed atomic.Bool

	mu      sync.Mutex
	held    bool
	err     error     // a failed send of a held write, reported once
	pending []byte    // the held write (copied: the caller reuses its buffer)
	vec     [2][]byte // pending and the write it travels with
	bufs    net.Buffers
}

// Arm starts a complete response: a write of exactly one full buffer is
// held until the next write. nil-safe.
func (c *Conn) Arm() {
	if c != nil {
		c.armed.Store(true)
	}
}

// Disarm ends the response's writes; a write still held goes out with the
// connection's next operation (net/http's final flush). nil-safe.
func (c *Conn) Disarm() {
	if c != nil {
		c.armed.Store(false)
	}
}

// Write sends p, together with a held write if there is one.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.takeErr(); err != nil {
		return 0, err
	}
	if c.held {
		return c.writeHeldWith(p)
	}
	if len(p) == bufSize && c.armed.Load() {
		c.pending = append(c.pending[:0], p...)
		c.held = true
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// writeHeldWith sends the held write and p with one writev; the count is
// p's part.
func (c *Conn) writeHeldWith(p []byte) (int, error) {
	c.held = false
	c.vec[0], c.vec[1] = c.pending, p
	c.bufs = c.vec[:]
	n, err := c.bufs.WriteTo(c.Conn)
	c.vec[1], c.bufs = nil, nil
	n -= int64(len(c.pending))
	if n < 0 {
		return 0, err
	}
	return int(n), err
}

// flush sends a held write; the caller holds mu.
func (c *Conn) flush() error {
	if err := c.takeErr(); err != nil {
		return err
	}
	if !c.held {
		return nil
	}
	c.held = false
	_, err := c.Conn.Write(c.pending)
	return err
}

func (c *Conn) takeErr() error {
	err := c.err
	c.err = nil
	return err
}

// send sends a held write now, under the lock.
func (c *Conn) send() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flush()
}

// sync sends a held write before another operation; a failure is kept for
// the next Write, Read or Close to report.
func (c *Conn) sync() {
	c.mu.Lock()
	if err := c.flush(); err != nil {
		c.err = err
	}
	c.mu.Unlock()
}

// Read sends a held write, then reads (without holding the lock: net/http
// keeps a Read pending while the handler writes).
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.send(); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *Conn) Close() error {
	ferr := c.send()
	if err := c.Conn.Close(); err != nil {
		return err
	}
	return ferr
}

// CloseWrite sends a held write, then shuts down the writing side when the
// connection supports it (net/http uses it before closing).
func (c *Conn) CloseWrite() error {
	if err := c.send(); err != nil {
		return err
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *Conn) SetDeadline(t time.Time) error {
	c.sync()
	return c.Conn.SetDeadline(t)
}

func (c *Conn) SetReadDeadline(t time.Time) error {
	c.sync()
	return c.Conn.SetReadDeadline(t)
}

func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.sync()
	return c.Conn.SetWriteDeadline(t)
}
