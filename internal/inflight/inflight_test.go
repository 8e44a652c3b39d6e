package inflight

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBudget(t *testing.T) {
	b := New(100)
	assert.True(t, b.TryAcquire(60))
	assert.False(t, b.TryAcquire(41), "over the budget")
	assert.True(t, b.TryAcquire(40))
	assert.False(t, b.TryAcquire(0), "an empty body still counts one byte")
	b.Release(60)
	assert.Equal(t, int64(40), b.InUse())
	assert.False(t, b.TryAcquire(101), "larger than the whole budget never fits")
}

func TestBudgetConcurrent(t *testing.T) {
	b := New(1000)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 100 {
				if b.TryAcquire(30) {
					assert.LessOrEqual(t, b.InUse(), int64(1000))
					b.Release(30)
				}
			}
		})
	}
	wg.Wait()
	assert.Zero(t, b.InUse())
}

func TestLargeRequestsLeaveRoomForSmallOnes(t *testing.T) {
	b := New(100)
	assert.True(t, b.TryAcquireWithin(40, 75))
	assert.False(t, b.TryAcquireWithin(40, 75), "a second large request would pass the ceiling")
	assert.True(t, b.TryAcquire(50), "small requests may use the whole budget")
	assert.False(t, b.TryAcquire(11))
}
