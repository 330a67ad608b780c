package breaker

import (
	"sync"
	"time"
)

// local is the process-local breaker used while Redis fails (or without
// Redis). It follows the shared rules: Threshold failures in a fixed
// Window, Confirm before opening, a cooldown that doubles on each failed
// probe up to MaxCooldown, one probe at a time with a ProbeTimeout lease.
type local struct {
	b  *Breaker
	mu sync.Mutex

	state      string
	since      time.Time
	failures   int
	windowEnd  time.Time     // closed: when the failure count resets
	cooldown   time.Duration // current level
	openUntil  time.Time
	probe      uint64    // id of the current probe (0: none)
	probeUntil time.Time // its lease
	nextProbe  uint64

	confirming   bool
	confirmAfter time.Time // no confirmation starts before this (ConfirmInterval)
}

func newLocal(b *Breaker) *local {
	return &local{b: b, state: StateClosed, since: time.Now(), cooldown: b.opts.Cooldown}
}

func (l *local) setState(s string, now time.Time) {
	if l.state != s {
		l.b.log.Warn("breaker (local) state change", "breaker", l.b.opts.Name, "from", l.state, "to", s, "cooldown", l.cooldown)
	}
	l.state, l.since = s, now
}

// advance moves open to half-open once the cooldown has passed.
func (l *local) advance(now time.Time) {
	if l.state == StateOpen && !now.Before(l.openUntil) {
		l.setState(StateHalfOpen, l.openUntil)
	}
}

func (l *local) allow() (func(bool), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.advance(now)
	switch l.state {
	case StateOpen:
		return nil, ErrOpen
	case StateHalfOpen:
		if l.probe != 0 && now.Before(l.probeUntil) {
			return nil, ErrOpen
		}
		l.nextProbe++
		id := l.nextProbe
		l.probe, l.probeUntil = id, now.Add(l.b.opts.ProbeTimeout)
		l.b.ctr.probes.Add(1)
		return once(func(failure bool) { l.probeDone(id, failure) }), nil
	}
	return once(func(failure bool) {
		if failure {
			l.failed()
		}
	}), nil
}

func (l *local) failed() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.state != StateClosed {
		return
	}
	if !now.Before(l.windowEnd) {
		l.failures, l.windowEnd = 0, now.Add(l.b.opts.Window)
	}
	l.failures++
	if l.failures < l.b.opts.Threshold {
		return
	}
	if l.b.opts.Confirm == nil {
		l.open(now, l.b.opts.Cooldown)
		l.b.ctr.opens.Add(1)
		return
	}
	if l.confirming || now.Before(l.confirmAfter) {
		return
	}
	l.confirming = true
	go func() {
		ok := l.b.confirm("failure threshold (local)")
		l.mu.Lock()
		defer l.mu.Unlock()
		l.confirming = false
		now := time.Now()
		if ok {
			l.failures, l.confirmAfter = 0, now.Add(l.b.opts.ConfirmInterval)
			return
		}
		if l.state == StateClosed {
			l.open(now, l.b.opts.Cooldown)
			l.b.ctr.opens.Add(1)
		}
	}()
}

func (l *local) open(now time.Time, cooldown time.Duration) {
	l.cooldown, l.openUntil, l.probe = cooldown, now.Add(cooldown), 0
	l.setState(StateOpen, now)
}

func (l *local) close(now time.Time) {
	l.cooldown, l.probe, l.failures, l.windowEnd, l.confirmAfter = l.b.opts.Cooldown, 0, 0, time.Time{}, time.Time{}
	l.setState(StateClosed, now)
}

func (l *local) probeDone(id uint64, failure bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != StateHalfOpen || l.probe != id {
		return // a newer probe owns the slot, or it already closed or reopened
	}
	now := time.Now()
	if !failure {
		l.close(now)
		return
	}
	if l.b.opts.Confirm == nil {
		l.reopen(now)
		return
	}
	l.probeUntil = now.Add(l.b.confirmLease()) // keep the slot while confirming
	go func() {
		ok := l.b.confirm("failed probe (local)")
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.state != StateHalfOpen || l.probe != id {
			return
		}
		if ok {
			l.close(time.Now())
		} else {
			l.reopen(time.Now())
		}
	}()
}

func (l *local) reopen(now time.Time) {
	l.open(now, l.b.next(l.cooldown))
	l.b.ctr.reopens.Add(1)
}

func (l *local) status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.advance(now)
	st := Status{State: l.state, Since: l.since, Cooldown: l.cooldown}
	if l.state == StateClosed && now.Before(l.windowEnd) {
		st.Failures = l.failures
	}
	return st
}
