package exportjobs

import (
	"errors"
	"sync"
	"time"
)

// ErrTooManyRequests is the error of a request over one of its identity's limits.
var ErrTooManyRequests = errors.New("too many export requests from this credential; retry later")

// TooManyRequestsError is ErrTooManyRequests with the delay after which a retry is sensible.
type TooManyRequestsError struct{ RetryAfter time.Duration }

func (e *TooManyRequestsError) Error() string { return ErrTooManyRequests.Error() }
func (e *TooManyRequestsError) Unwrap() error { return ErrTooManyRequests }

// maxIdleBuckets is how many identities' buckets are kept before full ones are dropped: a
// full bucket is the same as none.
const maxIdleBuckets = 1024

// buckets are token buckets keyed by identity, on the engine's clock.
type buckets struct {
	burst float64
	every time.Duration
	now   func() time.Time

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newBuckets(cfg RateConfig, now func() time.Time) *buckets {
	return &buckets{burst: float64(cfg.Burst), every: cfg.Interval, now: now, m: map[string]*bucket{}}
}

// refill brings key's bucket up to now; the caller holds b.mu.
func (b *buckets) refill(key string, now time.Time) *bucket {
	bk := b.m[key]
	if bk == nil {
		if len(b.m) >= maxIdleBuckets {
			b.dropFull(now)
		}
		bk = &bucket{tokens: b.burst, at: now}
		b.m[key] = bk
		return bk
	}
	if elapsed := now.Sub(bk.at); elapsed > 0 && b.every > 0 {
		bk.tokens = min(b.burst, bk.tokens+float64(elapsed)/float64(b.every))
	}
	bk.at = now
	return bk
}

func (b *buckets) dropFull(now time.Time) {
	for k, bk := range b.m {
		if b.every <= 0 || bk.tokens+float64(now.Sub(bk.at))/float64(b.every) >= b.burst {
			delete(b.m, k)
		}
	}
}

// take removes n tokens from key's bucket. When fewer are left it removes none and tells
// how long until n are there.
func (b *buckets) take(key string, n int) (wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.refill(key, b.now())
	if bk.tokens >= float64(n) {
		bk.tokens -= float64(n)
		return 0, true
	}
	return time.Duration((float64(n) - bk.tokens) * float64(b.every)), false
}

// refund gives back n tokens taken for a request that was then refused for another reason.
func (b *buckets) refund(key string, n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bk := b.refill(key, b.now())
	bk.tokens = min(b.burst, bk.tokens+float64(n))
}

// inflight counts concurrent operations per identity.
type inflight struct {
	max int
	mu  sync.Mutex
	m   map[string]int
}

func newInflight(maxPerKey int) *inflight {
	return &inflight{max: maxPerKey, m: map[string]int{}}
}

// acquire takes a slot for key; release gives it back. ok is false when key has max
// operations running.
func (f *inflight) acquire(key string) (release func(), ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m[key] >= f.max {
		return nil, false
	}
	f.m[key]++
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.m[key]--; f.m[key] <= 0 {
			delete(f.m, key)
		}
	}, true
}

// retryAfterSeconds rounds a wait up to whole seconds, at least one, for Retry-After.
func retryAfterSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
