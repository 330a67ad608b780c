package request

import (
	"context"
	"errors"
	"testing"
	"time"
)

type parentKey struct{}

func newState(timeout time.Duration) *State {
	parent := context.WithValue(context.Background(), parentKey{}, "from the connection")
	return &State{rid: "r1", parent: parent, deadline: time.Now().Add(timeout)}
}

// TestRequestContext checks the contract of reqState as a context: the
// deadline is reported without a timer, and enforced once anything waits.
func TestRequestContext(t *testing.T) {
	t.Run("state and deadline without arming", func(t *testing.T) {
		st := newState(time.Hour)
		if From(st) != st || IDFrom(st) != "r1" {
			t.Fatal("the state is not reachable from the context")
		}
		if d, ok := st.Deadline(); !ok || !d.Equal(st.deadline) {
			t.Fatalf("Deadline = %v, %v", d, ok)
		}
		if st.inner != nil {
			t.Fatal("reading the state or the deadline made a timer")
		}
		st.end()
		if st.Err() != context.Canceled {
			t.Fatalf("Err after end = %v; want context.Canceled", st.Err())
		}
		select {
		case <-st.Done():
		default:
			t.Fatal("Done is open after end")
		}
		if st.Value(parentKey{}) != "from the connection" {
			t.Fatal("parent values are lost after end")
		}
	})
	t.Run("deadline enforced for waiters and derived contexts", func(t *testing.T) {
		st := newState(50 * time.Millisecond)
		defer st.end()
		child, cancel := context.WithTimeout(st, time.Hour) // finds st's cancellation directly
		defer cancel()
		if d, _ := child.Deadline(); !d.Equal(st.deadline) {
			t.Fatalf("child deadline = %v; want the request's", d)
		}
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the request deadline did not end the derived context")
		}
		if !errors.Is(st.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) {
			t.Fatalf("Err = %v, child %v; want DeadlineExceeded", st.Err(), child.Err())
		}
		if st.Value(parentKey{}) != "from the connection" {
			t.Fatal("parent values are not visible")
		}
	})
	t.Run("parent cancellation reaches the request", func(t *testing.T) {
		parent, cancelParent := context.WithCancel(context.Background())
		st := &State{parent: parent, deadline: time.Now().Add(time.Hour)}
		defer st.end()
		done := st.Done()
		cancelParent() // the client went away
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("cancelling the connection's context did not end the request's")
		}
	})
	t.Run("end releases an armed timer", func(t *testing.T) {
		st := newState(time.Hour)
		_ = st.Done()
		st.end()
		if !errors.Is(st.Err(), context.Canceled) {
			t.Fatalf("Err after end = %v; want Canceled", st.Err())
		}
	})
}

func TestWatchdogExpiresOnlyOverrunRequests(t *testing.T) {
	expired := make(chan *guardWriter, 4)
	w := newWatchdog(func(g *guardWriter) { expired <- g })
	late := &guardWriter{rid: "late", expireAt: time.Now().Add(-time.Millisecond)}
	onTime := &guardWriter{rid: "on time", expireAt: time.Now().Add(time.Hour)}
	removed := &guardWriter{rid: "removed", expireAt: time.Now().Add(-time.Millisecond)}
	w.add(onTime)
	w.add(late)
	w.add(removed)
	w.remove(removed)
	w.remove(removed) // idempotent
	select {
	case g := <-expired:
		if g != late {
			t.Fatalf("expired %q; want late", g.rid)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an overrun request was not expired")
	}
	w.remove(late)
	w.remove(onTime)
	time.Sleep(3 * watchTick)
	w.mu.Lock()
	running := w.running
	w.mu.Unlock()
	select {
	case g := <-expired:
		if g != late { // late may be seen once more before its removal
			t.Fatalf("expired %q; want only late", g.rid)
		}
	default:
	}
	if running {
		t.Error("the watchdog goroutine keeps running with nothing in flight")
	}
}
