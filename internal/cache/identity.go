package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// The data set identity: Redis draws a new run_id at every start of
// redis-server, and every master of a Cluster or the master Sentinel
// promoted has its own. The control hash records the identity it was
// written under (field rid). When Redis answers with another identity than
// the one recorded, the data set may be older than what processes last saw
// (loaded from a snapshot, or a replica that missed writes), so the epoch
// is rotated and nothing stored before is served. A normal restart of a
// persistent Redis rotates it too: correctness over hit rate.
//
// It is checked when the cache starts, every identityEvery in the
// background, and whenever the client opened a new connection since the
// last check (a restarted or failed-over Redis can only be reached over new
// connections): then before the next control read and before any entry
// read over such a connection is served (check in get.go).
const identityEvery = time.Second

// dialWatch is a go-redis hook that counts new connections.
type dialWatch struct{ c *Cache }

func (d dialWatch) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err == nil {
			d.c.dials.Add(1)
		}
		return conn, err
	}
}

func (dialWatch) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (dialWatch) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// identityStale reports whether a connection was opened since the last
// identity check.
func (c *Cache) identityStale() bool { return c.dials.Load() > c.checked.Load() }

// sameDataSet re-reads the control hash (checking the identity first) and
// reports whether s still describes the data set Redis holds.
func (c *Cache) sameDataSet(ctx context.Context, s *ctlState) bool {
	ns, err := c.refreshCtl(ctx, nil)
	return err == nil && ns.epoch == s.epoch
}

// identity returns the data set identity: a digest of the run_ids of every
// master. ok is false when the server does not tell (an embedded store).
func (c *Cache) identity(ctx context.Context) (id string, ok bool, err error) {
	var ids []string
	var mu sync.Mutex
	one := func(info string) {
		for _, line := range strings.Split(info, "\n") {
			if v, found := strings.CutPrefix(strings.TrimSpace(line), "run_id:"); found {
				mu.Lock()
				ids = append(ids, v)
				mu.Unlock()
			}
		}
	}
	if cc, isCluster := c.rdb.(*redis.ClusterClient); isCluster {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, cl *redis.Client) error {
			info, err := cl.Info(ctx, "server").Result()
			if err == nil {
				one(info)
			}
			return err
		})
	} else {
		var info string
		info, err = c.rdb.Info(ctx, "server").Result()
		if err == nil {
			one(info)
		}
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		return "", false, nil // the store has no INFO server: nothing to compare
	}
	if err != nil {
		return "", false, err
	}
	if len(ids) == 0 {
		return "", false, nil
	}
	sort.Strings(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	return hex.EncodeToString(sum[:8]), true, nil
}

// checkIdentity compares the data set identity with the control hash's and
// rotates the epoch when they differ. On success every connection opened
// before it began counts as checked.
func (c *Cache) checkIdentity(ctx context.Context) error {
	dials := c.dials.Load()
	id, ok, err := c.identity(ctx)
	if err != nil {
		return err
	}
	defer func() {
		for {
			old := c.checked.Load()
			if old >= dials || c.checked.CompareAndSwap(old, dials) {
				return
			}
		}
	}()
	if !ok {
		return nil
	}
	var epoch, rid *redis.StringCmd
	_, err = c.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, c.keys.ctl(), "epoch", randToken())
		p.HSetNX(ctx, c.keys.ctl(), "rid", id)
		p.PExpire(ctx, c.keys.ctl(), ctlTTL)
		epoch = p.HGet(ctx, c.keys.ctl(), "epoch")
		rid = p.HGet(ctx, c.keys.ctl(), "rid")
		return nil
	})
	if err != nil {
		return err
	}
	if rid.Val() == id {
		return nil
	}
	c.stats.inc(FlushRoute, cRotations)
	c.o.Logger.Warn("cache: redis holds another data set than before (restarted, restored or failed over); rotating the epoch",
		"recorded", rid.Val(), "now", id)
	_, err = c.rotate(ctx, epoch.Val(), id)
	return err
}

// identityLoop checks the identity every identityEvery until Close, and
// sweeps expired items out of L1 on the same tick.
func (c *Cache) identityLoop() {
	c.every(identityEvery, func() {
		c.l1.sweep(c.now())
		if c.health.Down() {
			return
		}
		ctx, cancel := context.WithTimeout(c.bgCtx, 4*c.o.RedisTimeout)
		defer cancel()
		if err := c.checkIdentity(ctx); err != nil {
			c.redisFailed(ctx, err)
		}
	})
}
