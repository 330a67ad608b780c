package request

import (
	"sync"
	"time"
)

// watchTick is how often the watchdog looks at in-flight requests: a
// handler that overruns is answered between Grace and
// Grace+watchTick after its deadline.
const watchTick = 250 * time.Millisecond

// watchdog answers for handlers that overrun their deadline. In-flight
// requests sit in an intrusive list; one goroutine, running only while the
// list is non-empty, expires those past their time every watchTick. A
// request thus costs two short critical sections instead of a timer.
type watchdog struct {
	mu      sync.Mutex
	head    *guardWriter
	running bool
	expire  func(*guardWriter) // answers for one overrun request
	due     []*guardWriter     // scratch, used by run only
}

func newWatchdog(expire func(*guardWriter)) *watchdog { return &watchdog{expire: expire} }

// add watches g until remove; g.expireAt must be set.
func (w *watchdog) add(g *guardWriter) {
	w.mu.Lock()
	g.prev, g.next = nil, w.head
	if w.head != nil {
		w.head.prev = g
	}
	w.head = g
	start := !w.running
	w.running = true
	w.mu.Unlock()
	if start {
		go w.run()
	}
}

// remove stops watching g (idempotent).
func (w *watchdog) remove(g *guardWriter) {
	w.mu.Lock()
	switch {
	case g.prev != nil:
		g.prev.next = g.next
	case w.head == g:
		w.head = g.next
	default: // not in the list
		w.mu.Unlock()
		return
	}
	if g.next != nil {
		g.next.prev = g.prev
	}
	g.prev, g.next = nil, nil
	w.mu.Unlock()
}

func (w *watchdog) run() {
	t := time.NewTicker(watchTick)
	defer t.Stop()
	for now := range t.C {
		w.mu.Lock()
		if w.head == nil {
			w.running = false
			w.mu.Unlock()
			return
		}
		due := w.due[:0]
		for g := w.head; g != nil; g = g.next {
			if !now.Before(g.expireAt) {
				due = append(due, g)
			}
		}
		w.due = due
		w.mu.Unlock()
		for i, g := range due {
			w.expire(g) // a no-op once g answered or ended
			due[i] = nil
		}
	}
}
