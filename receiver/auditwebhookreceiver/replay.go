package auditwebhookreceiver

import (
	"sync"
	"time"
)

type replayState int

const (
	// replayNew: the id was not seen; it is now reserved until finish or abort.
	replayNew replayState = iota
	// replayInFlight: another request with this id is being handled right now.
	replayInFlight
	// replayDone: the id was accepted before; answer with the stored result.
	replayDone
)

type replayEntry struct {
	gen      uint64
	expires  time.Time
	done     bool
	accepted int
}

type replayKey struct {
	key string
	gen uint64
}

// replayCache remembers delivery ids for a TTL, at most maxEntries of them. Every entry has
// the same TTL, so insertion order is expiry order and a FIFO queue is enough to evict.
// An id is only marked done once the pipeline took its events, so that a delivery refused with
// 503 is processed again when the sender retries it.
type replayCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	gen     uint64
	entries map[string]*replayEntry
	order   []replayKey
	head    int
	now     func() time.Time
}

func newReplayCache(ttl time.Duration, maxEntries int, now func() time.Time) *replayCache {
	return &replayCache{ttl: ttl, max: maxEntries, entries: map[string]*replayEntry{}, now: now}
}

// begin looks the id up and reserves it when new. For replayDone it returns the number of
// events the first delivery accepted.
func (c *replayCache) begin(key string) (replayState, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.evict(now)
	if e, ok := c.entries[key]; ok {
		if e.done {
			return replayDone, e.accepted
		}
		return replayInFlight, 0
	}
	for len(c.entries) >= c.max {
		c.popOldest()
	}
	c.gen++
	c.entries[key] = &replayEntry{gen: c.gen, expires: now.Add(c.ttl)}
	c.order = append(c.order, replayKey{key: key, gen: c.gen})
	return replayNew, 0
}

// finish marks a reserved id as accepted.
func (c *replayCache) finish(key string, accepted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		e.done = true
		e.accepted = accepted
	}
}

// abort releases a reserved id, so that a retry of the delivery is processed.
func (c *replayCache) abort(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && !e.done {
		delete(c.entries, key)
	}
}

func (c *replayCache) evict(now time.Time) {
	for c.head < len(c.order) {
		k := c.order[c.head]
		e, ok := c.entries[k.key]
		if ok && e.gen == k.gen && now.Before(e.expires) {
			break
		}
		if ok && e.gen == k.gen {
			delete(c.entries, k.key)
		}
		c.head++
	}
	c.compact()
}

func (c *replayCache) popOldest() {
	for c.head < len(c.order) {
		k := c.order[c.head]
		c.head++
		if e, ok := c.entries[k.key]; ok && e.gen == k.gen {
			delete(c.entries, k.key)
			break
		}
	}
	c.compact()
}

// compact drops the consumed front of the queue, and the stale keys that aborts left behind,
// so that the queue stays proportional to the number of live entries.
func (c *replayCache) compact() {
	if c.head > 0 && c.head >= len(c.order)/2 {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
	if len(c.order) > 2*c.max+16 {
		live := c.order[:0]
		for _, k := range c.order {
			if e, ok := c.entries[k.key]; ok && e.gen == k.gen {
				live = append(live, k)
			}
		}
		c.order = live
		c.head = 0
	}
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
