// Package inflight bounds the request bytes held in memory across every connection of a
// process. A request reserves its size before its body is read and releases it when it is
// done; when the budget is spent the caller refuses the request at once (503 with
// Retry-After) instead of reading it, so that no number of parallel senders can take memory
// past the budget. A request larger than the whole budget can never fit and is refused as too
// large.
package inflight

import "sync"

// Budget is a byte budget shared by concurrent requests. The zero value is unusable; use New.
type Budget struct {
	mu    sync.Mutex
	limit int64
	used  int64
}

// New returns a budget of limit bytes.
func New(limit int64) *Budget { return &Budget{limit: limit} }

// Limit is the budget's size in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// InUse is the number of bytes reserved now.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// TryAcquire reserves n bytes if they fit, and reports whether they did. It never waits: a
// waiting request would hold its connection and its goroutine, which is what the budget is
// there to bound. Reserve at least 1 byte per request so that empty bodies count too.
func (b *Budget) TryAcquire(n int64) bool {
	return b.TryAcquireWithin(n, b.limit)
}

// TryAcquireWithin reserves n bytes only if the bytes in use stay at or below ceiling (itself
// capped at the limit). Large requests are admitted within a lower ceiling than small ones, so
// that a flood of large bodies cannot take the room ordinary requests need.
func (b *Budget) TryAcquireWithin(n, ceiling int64) bool {
	n = max(n, 1)
	ceiling = min(ceiling, b.limit)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > ceiling {
		return false
	}
	b.used += n
	return true
}

// Release returns n bytes reserved by TryAcquire.
func (b *Budget) Release(n int64) {
	n = max(n, 1)
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}
