package auditwebhookreceiver

import (
	"sync"
	"time"
)

type replayState int

const (
	// replayNew: the keys were not seen; they are now reserved until finish or abort.
	replayNew replayState = iota
	// replayInFlight: another request with one of the keys is being handled right now.
	replayInFlight
	// replayDone: one of the keys was accepted before; answer with the stored result.
	replayDone
)

type replayEntry struct {
	gen      uint64
	queue    *tenantQueue
	expires  time.Time
	done     bool
	accepted int
}

type replayKey struct {
	key string
	gen uint64
}

// tenantQueue is one tenant's keys in insertion order. Every entry has the same TTL, so
// insertion order is expiry order and a FIFO queue is enough to evict.
type tenantQueue struct {
	tenant string
	order  []replayKey
	head   int
	// live is the number of the tenant's entries in the cache.
	live int
}

// replayCache remembers delivery keys for a TTL: at most maxEntries of them, and at most
// perTenant of one tenant, so that one sender cannot flush the keys of another tenant. A key
// is only marked done once the pipeline took its events, so that a delivery refused with 503
// is processed again when the sender retries it.
type replayCache struct {
	mu        sync.Mutex
	ttl       time.Duration
	max       int
	perTenant int
	gen       uint64
	entries   map[string]*replayEntry
	tenants   map[string]*tenantQueue
	now       func() time.Time
}

func newReplayCache(ttl time.Duration, maxEntries, perTenant int, now func() time.Time) *replayCache {
	return &replayCache{
		ttl:       ttl,
		max:       maxEntries,
		perTenant: max(1, min(perTenant, maxEntries)),
		entries:   map[string]*replayEntry{},
		tenants:   map[string]*tenantQueue{},
		now:       now,
	}
}

// begin looks the keys of one delivery up and reserves all of them when none is known. For
// replayDone it returns the number of events the first delivery accepted.
func (c *replayCache) begin(tenant string, keys ...string) (replayState, int) {
	if len(keys) == 0 {
		return replayNew, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if q := c.tenants[tenant]; q != nil {
		c.expire(q, now)
	}
	for _, k := range keys {
		e, ok := c.entries[k]
		switch {
		case !ok:
		case !now.Before(e.expires):
			c.remove(k, e)
		case e.done:
			return replayDone, e.accepted
		default:
			return replayInFlight, 0
		}
	}
	for _, k := range keys {
		c.reserve(tenant, k, now)
	}
	return replayNew, 0
}

func (c *replayCache) reserve(tenant, key string, now time.Time) {
	if q := c.tenants[tenant]; q != nil {
		for q.live >= c.perTenant {
			c.popOldest(q)
		}
	}
	if len(c.entries) >= c.max {
		for _, q := range c.tenants {
			c.expire(q, now)
		}
		// Still full: the tenant holding the most entries gives one up.
		for len(c.entries) >= c.max {
			c.popOldest(c.largest())
		}
	}
	q := c.tenants[tenant]
	if q == nil {
		q = &tenantQueue{tenant: tenant}
		c.tenants[tenant] = q
	}
	c.gen++
	c.entries[key] = &replayEntry{gen: c.gen, queue: q, expires: now.Add(c.ttl)}
	q.order = append(q.order, replayKey{key: key, gen: c.gen})
	q.live++
}

// finish marks reserved keys as accepted.
func (c *replayCache) finish(accepted int, keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e, ok := c.entries[k]; ok {
			e.done = true
			e.accepted = accepted
		}
	}
}

// abort releases reserved keys, so that a retry of the delivery is processed.
func (c *replayCache) abort(keys ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		if e, ok := c.entries[k]; ok && !e.done {
			c.remove(k, e)
		}
	}
}

// remove deletes an entry, and its tenant's queue once empty, so that tenants seen once do not
// stay in the map.
func (c *replayCache) remove(key string, e *replayEntry) {
	delete(c.entries, key)
	q := e.queue
	q.live--
	if q.live == 0 && c.tenants[q.tenant] == q {
		delete(c.tenants, q.tenant)
		return
	}
	c.compact(q)
}

// live returns the entry k still stands for, if any: aborted and expired keys stay in the
// queue until they reach its front.
func (c *replayCache) live(k replayKey) (*replayEntry, bool) {
	e, ok := c.entries[k.key]
	return e, ok && e.gen == k.gen
}

func (c *replayCache) expire(q *tenantQueue, now time.Time) {
	for q.head < len(q.order) && q.live > 0 {
		k := q.order[q.head]
		e, ok := c.live(k)
		if ok && now.Before(e.expires) {
			break
		}
		q.head++
		if ok {
			c.remove(k.key, e)
		}
	}
}

func (c *replayCache) popOldest(q *tenantQueue) {
	for q.head < len(q.order) {
		k := q.order[q.head]
		q.head++
		if e, ok := c.live(k); ok {
			c.remove(k.key, e)
			return
		}
	}
}

func (c *replayCache) largest() *tenantQueue {
	var big *tenantQueue
	for _, q := range c.tenants {
		if big == nil || q.live > big.live {
			big = q
		}
	}
	return big
}

// compact drops the consumed front of a queue, and the stale keys that aborts left behind,
// so that the queue stays proportional to the tenant's live entries.
func (c *replayCache) compact(q *tenantQueue) {
	if q.head > 0 && q.head >= len(q.order)/2 {
		q.order = append(q.order[:0], q.order[q.head:]...)
		q.head = 0
	}
	if len(q.order) > 2*q.live+16 {
		live := q.order[:0]
		for _, k := range q.order[q.head:] {
			if _, ok := c.live(k); ok {
				live = append(live, k)
			}
		}
		q.order = live
		q.head = 0
	}
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
