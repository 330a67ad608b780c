package breaker

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The shared state, all under one hash tag:
//
//	open       exists while open; value: when it opened (unix ms); TTL: the current cooldown
//	tripped    exists while open or half-open; value: when it opened; TTL: cooldown + trippedSlack
//	cooldown   the current cooldown in ms, same TTL as tripped (absent: Options.Cooldown)
//	probe      the half-open probe's lease (owner id)
//	fail       closed-state failure count, TTL Window from the first failure
//	confirm    the confirmation lease (owner id), then "ok" for ConfirmInterval after a success
//	closed_at  when the circuit last closed (unix ms)

// rctx bounds one Redis operation. It ignores the caller's cancellation: a
// client that hangs up must not make Redis look down.
func (b *Breaker) rctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), b.opts.RedisTimeout)
}

func (b *Breaker) allowShared(ctx context.Context) (func(bool), error) {
	owner := newOwner()
	c, cancel := b.rctx(ctx)
	defer cancel()
	n, err := allowScript.Run(c, b.opts.Redis, []string{b.keys.open, b.keys.tripped, b.keys.probe},
		owner, b.opts.ProbeTimeout.Milliseconds()).Int()
	if err != nil {
		b.markDown(err)
		return b.local.allow()
	}
	b.redisAnswered()
	switch n {
	case 0:
		return nil, ErrOpen
	case 2:
		b.ctr.probes.Add(1)
		b.log.Info("breaker half-open: this call is the probe", "breaker", b.opts.Name)
		return once(func(failure bool) { b.probeDone(owner, failure) }), nil
	}
	return once(func(failure bool) {
		if failure {
			b.failed()
		}
	}), nil
}

// trippedTTL bounds how long a circuit stays half-open without any probe
// (the circuit then counts as closed).
func (b *Breaker) trippedTTL(cooldown time.Duration) time.Duration {
	return cooldown + max(10*b.opts.MaxCooldown, time.Minute)
}

// failed counts a closed-state failure. At Threshold it opens the circuit,
// or (with Confirm) starts the confirmation if this replica wins its lease.
func (b *Breaker) failed() {
	c, cancel := b.rctx(context.Background())
	defer cancel()
	owner, confirm := newOwner(), "0"
	if b.opts.Confirm != nil {
		confirm = "1"
	}
	n, err := failScript.Run(c, b.opts.Redis,
		[]string{b.keys.fail, b.keys.open, b.keys.tripped, b.keys.cooldown, b.keys.confirm},
		b.opts.Window.Milliseconds(), b.opts.Threshold, b.opts.Cooldown.Milliseconds(),
		b.trippedTTL(b.opts.Cooldown).Milliseconds(), time.Now().UnixMilli(),
		confirm, owner, b.confirmLease().Milliseconds()).Int()
	if err != nil {
		b.markDown(err)
		b.local.failed() // not lost: the local breaker, used while Redis fails, counts it
		return
	}
	switch n {
	case 1:
		b.opened()
	case 2:
		b.log.Warn("breaker: failure threshold reached; confirming the upstream is unhealthy before opening",
			"breaker", b.opts.Name, "failures", b.opts.Threshold, "window", b.opts.Window)
		go b.confirmThreshold(owner)
	}
}

func (b *Breaker) opened() {
	b.ctr.opens.Add(1)
	b.log.Warn("breaker opened", "breaker", b.opts.Name, "failures", b.opts.Threshold, "window", b.opts.Window,
		"cooldown", b.opts.Cooldown)
}

// confirmThreshold runs Confirm for the replica holding the confirmation
// lease and applies its verdict.
func (b *Breaker) confirmThreshold(owner string) {
	ok := b.confirm("failure threshold")
	c, cancel := b.rctx(context.Background())
	defer cancel()
	if ok {
		err := confirmedScript.Run(c, b.opts.Redis, []string{b.keys.confirm, b.keys.fail},
			owner, b.opts.ConfirmInterval.Milliseconds()).Err()
		if err != nil {
			b.markDown(err)
		}
		return
	}
	n, err := confirmOpenScript.Run(c, b.opts.Redis,
		[]string{b.keys.open, b.keys.tripped, b.keys.cooldown, b.keys.confirm, b.keys.fail},
		owner, b.opts.Cooldown.Milliseconds(), b.trippedTTL(b.opts.Cooldown).Milliseconds(), time.Now().UnixMilli()).Int()
	if err != nil {
		b.markDown(err)
		return
	}
	if n == 1 {
		b.opened()
	}
}

// probeDone closes the circuit after a good probe. After a failed one it
// opens it again for twice the cooldown, unless Confirm (run while the
// probe's lease is held) shows the upstream healthy.
func (b *Breaker) probeDone(owner string, failure bool) {
	if !failure {
		if !b.close("probe succeeded") {
			go b.closeLate(owner)
		}
		return
	}
	if b.opts.Confirm == nil {
		b.reopen(owner)
		return
	}
	c, cancel := b.rctx(context.Background())
	defer cancel()
	held, err := holdProbeScript.Run(c, b.opts.Redis, []string{b.keys.probe, b.keys.open},
		owner, b.confirmLease().Milliseconds()).Int()
	if err != nil {
		b.markDown(err)
		return
	}
	if held == 0 { // another probe holds the slot, or the circuit is open again
		return
	}
	go func() {
		if b.confirm("failed probe") {
			if !b.close("probe failed but Confirm succeeded") {
				b.closeLate(owner)
			}
		} else {
			b.reopen(owner)
		}
	}()
}

// close closes the circuit; false when Redis did not take it.
func (b *Breaker) close(why string) bool {
	if _, err := b.runClose(""); err != nil {
		b.markDown(err)
		return false
	}
	b.log.Info("breaker closed", "breaker", b.opts.Name, "reason", why)
	return true
}

// closeLate applies a good probe's verdict that Redis did not take (a
// failover in its way) once Redis answers again. Without it the probe's
// lease keeps every replica refusing every call for the rest of
// ProbeTimeout although the upstream is healthy. It closes only while this
// probe still holds the slot, so it never overrides a newer verdict.
func (b *Breaker) closeLate(owner string) {
	for deadline := time.Now().Add(b.opts.ProbeTimeout); time.Now().Before(deadline); {
		time.Sleep(b.opts.RedisRetry)
		closed, err := b.runClose(owner)
		if err == nil {
			if closed {
				b.log.Info("breaker closed", "breaker", b.opts.Name, "reason", "probe succeeded (applied once Redis answered again)")
			}
			return
		}
	}
}

// runClose runs closeScript (owner "": unconditionally).
func (b *Breaker) runClose(owner string) (closed bool, err error) {
	c, cancel := b.rctx(context.Background())
	defer cancel()
	n, err := closeScript.Run(c, b.opts.Redis,
		[]string{b.keys.open, b.keys.tripped, b.keys.probe, b.keys.fail, b.keys.cooldown, b.keys.confirm, b.keys.closedAt},
		time.Now().UnixMilli(), owner).Int()
	if errors.Is(err, redis.Nil) {
		err = nil
	}
	return n == 1, err
}

func (b *Breaker) reopen(owner string) {
	c, cancel := b.rctx(context.Background())
	defer cancel()
	slack := b.trippedTTL(0)
	ms, err := reopenScript.Run(c, b.opts.Redis, []string{b.keys.open, b.keys.tripped, b.keys.probe, b.keys.cooldown},
		owner, b.opts.Cooldown.Milliseconds(), b.opts.MaxCooldown.Milliseconds(), slack.Milliseconds(),
		time.Now().UnixMilli()).Int64()
	if err != nil {
		b.markDown(err)
		return
	}
	if ms > 0 {
		b.ctr.reopens.Add(1)
		b.log.Warn("breaker probe failed; open again", "breaker", b.opts.Name, "cooldown", time.Duration(ms)*time.Millisecond)
	}
}

func (b *Breaker) sharedStatus(ctx context.Context) (Status, error) {
	c, cancel := b.rctx(ctx)
	defer cancel()
	v, err := b.opts.Redis.MGet(c, b.keys.open, b.keys.tripped, b.keys.closedAt, b.keys.cooldown, b.keys.fail).Result()
	if err != nil {
		return Status{}, err
	}
	st := Status{State: StateClosed, Since: msTime(v[2]), Cooldown: b.opts.Cooldown}
	cur := b.opts.Cooldown
	if ms := msInt(v[3]); ms > 0 {
		cur = time.Duration(ms) * time.Millisecond
	}
	switch {
	case v[0] != nil:
		st.State, st.Since, st.Cooldown = StateOpen, msTime(v[0]), cur
	case v[1] != nil:
		st.State, st.Since, st.Cooldown = StateHalfOpen, msTime(v[1]).Add(cur), cur
	default:
		st.Failures = int(msInt(v[4]))
	}
	return st, nil
}

func msInt(v any) int64 {
	s, _ := v.(string)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

func msTime(v any) time.Time {
	if n := msInt(v); n > 0 {
		return time.UnixMilli(n)
	}
	return time.Time{}
}

// allowScript: 0 refused, 1 closed permit, 2 the half-open probe.
// KEYS: open, tripped, probe. ARGV: owner, probe ms.
var allowScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then return 2 end
  return 0
end
return 1`)

// failScript counts a closed-state failure. KEYS: fail, open, tripped,
// cooldown, confirm. ARGV: window ms, threshold, cooldown ms, tripped ms,
// now ms, confirm ("1": Confirm decides), owner, confirm lease ms.
// Returns 1 when this failure opened the circuit, 2 when the caller holds
// the confirmation lease and must run Confirm, else 0 (counted only, or a
// confirmation is running or held off).
var failScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n < tonumber(ARGV[2]) then return 0 end
if ARGV[6] == '1' then
  if redis.call('SET', KEYS[5], ARGV[7], 'NX', 'PX', ARGV[8]) then return 2 end
  return 0
end
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[3])
redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[4])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
redis.call('DEL', KEYS[1])
return 1`)

// confirmedScript: Confirm succeeded. The failures were the callers': reset
// the count and hold further confirmations off. KEYS: confirm, fail.
// ARGV: owner, interval ms.
var confirmedScript = redis.NewScript(`
local c = redis.call('GET', KEYS[1])
if not c or c == ARGV[1] then redis.call('SET', KEYS[1], 'ok', 'PX', ARGV[2]) end
redis.call('DEL', KEYS[2])
return 1`)

// confirmOpenScript: Confirm failed; open unless already open. KEYS: open,
// tripped, cooldown, confirm, fail. ARGV: owner, cooldown ms, tripped ms,
// now ms. Returns 1 when it opened the circuit.
var confirmOpenScript = redis.NewScript(`
if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3])
redis.call('DEL', KEYS[5])
return 1`)

// holdProbeScript keeps the half-open slot while a failed probe is being
// confirmed. KEYS: probe, open. ARGV: owner, lease ms. Returns 0 when
// another probe holds the slot or the circuit is open again.
var holdProbeScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local p = redis.call('GET', KEYS[1])
if p and p ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)

// reopenScript: a probe failed; open again for twice the current cooldown,
// capped. KEYS: open, tripped, probe, cooldown. ARGV: owner, initial ms,
// max ms, tripped slack ms, now ms. Returns the new cooldown in ms, or 0
// when another probe holds the slot or the circuit is already open.
var reopenScript = redis.NewScript(`
local p = redis.call('GET', KEYS[3])
if p and p ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local initial = tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[4])) or initial
if cur < initial then cur = initial end
local nxt = math.min(cur * 2, tonumber(ARGV[3]))
local ttl = nxt + tonumber(ARGV[4])
redis.call('SET', KEYS[1], ARGV[5], 'PX', nxt)
redis.call('SET', KEYS[2], ARGV[5], 'PX', ttl)
redis.call('SET', KEYS[4], nxt, 'PX', ttl)
redis.call('DEL', KEYS[3])
return nxt`)

// closeScript: KEYS open, tripped, probe, fail, cooldown, confirm,
// closed_at. ARGV now ms, owner. With an owner (closeLate) it closes only
// while that probe still holds the slot and the circuit is not open again.
// Returns 1 when it closed the circuit.
var closeScript = redis.NewScript(`
if ARGV[2] ~= '' and (redis.call('GET', KEYS[3]) ~= ARGV[2] or redis.call('EXISTS', KEYS[1]) == 1) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SET', KEYS[7], ARGV[1])
return 1`)
