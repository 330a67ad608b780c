package nextcloud

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// LogHandler is a slog.Handler that also ships records at or above Min to
// nextcloud.log, so an admin sees weather_apis' warnings and errors in
// Nextcloud's own log. Shipping is asynchronous through a bounded queue:
// logging never blocks a request, records are dropped when the queue is full
// (and their number is shipped once it drains), and a failed shipment is
// reported only to the local handler.
type LogHandler struct {
	next  slog.Handler
	min   slog.Level
	state *shipState
	attrs []slog.Attr
	group string
}

type shipState struct {
	client  *Client
	queue   chan logRecord
	mu      sync.Mutex
	dropped int
	local   slog.Handler
	done    chan struct{}
}

type logRecord struct {
	level int
	msg   string
}

// NewLogHandler wraps next. Call Close to stop shipping.
func NewLogHandler(next slog.Handler, c *Client, min slog.Level) *LogHandler {
	s := &shipState{client: c, queue: make(chan logRecord, 256), local: next, done: make(chan struct{})}
	go s.run()
	return &LogHandler{next: next, min: min, state: s}
}

// Close stops the shipping goroutine after draining what is queued (at most
// 2 s).
func (h *LogHandler) Close() {
	close(h.state.queue)
	select {
	case <-h.state.done:
	case <-time.After(2 * time.Second):
	}
}

func (s *shipState) run() {
	defer close(s.done)
	for r := range s.queue {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := s.client.Log(ctx, r.level, r.msg)
		if err == nil {
			// Records dropped while the queue was full are said, once the
			// queue drains, so nextcloud.log does not look complete when
			// it is not.
			s.mu.Lock()
			n := s.dropped
			s.dropped = 0
			s.mu.Unlock()
			if n > 0 {
				err = s.client.Log(ctx, LevelWarn, fmt.Sprintf("%d log records were not sent to nextcloud.log (the queue was full); the ExApp's own log has them", n))
			}
		}
		cancel()
		if err != nil {
			rec := slog.NewRecord(time.Now(), slog.LevelDebug, "cannot ship a log record to Nextcloud", 0)
			rec.AddAttrs(slog.String("err", err.Error()))
			_ = s.local.Handle(context.Background(), rec)
		}
	}
}

func (h *LogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l) || l >= h.min
}

func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.next.Enabled(ctx, r.Level) {
		err = h.next.Handle(ctx, r)
	}
	if r.Level >= h.min {
		h.ship(r)
	}
	return err
}

func (h *LogHandler) ship(r slog.Record) {
	var b strings.Builder
	b.WriteString(r.Message)
	write := func(a slog.Attr) bool {
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		fmt.Fprintf(&b, " %s=%v", key, a.Value.Resolve())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	level := LevelWarn
	switch {
	case r.Level >= slog.LevelError:
		level = LevelError
	case r.Level < slog.LevelWarn:
		level = LevelInfo
	}
	defer func() { _ = recover() }() // queue closed during shutdown
	select {
	case h.state.queue <- logRecord{level: level, msg: b.String()}:
	default:
		h.state.mu.Lock()
		h.state.dropped++
		h.state.mu.Unlock()
	}
}

func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	c.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return &c
}

func (h *LogHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	if c.group != "" {
		name = c.group + "." + name
	}
	c.group = name
	return &c
}
