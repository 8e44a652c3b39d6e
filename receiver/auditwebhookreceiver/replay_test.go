package auditwebhookreceiver

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestReplayCache(t *testing.T) {
	now := time.Unix(1_000, 0)
	c := newReplayCache(time.Minute, 3, func() time.Time { return now })

	state, _ := c.begin("a")
	assert.Equal(t, replayNew, state)
	state, _ = c.begin("a")
	assert.Equal(t, replayInFlight, state, "a concurrent duplicate")
	c.finish("a", 4)
	state, accepted := c.begin("a")
	assert.Equal(t, replayDone, state)
	assert.Equal(t, 4, accepted)

	state, _ = c.begin("b")
	assert.Equal(t, replayNew, state)
	c.abort("b")
	state, _ = c.begin("b")
	assert.Equal(t, replayNew, state, "an aborted id is processed again")
	c.finish("b", 1)

	now = now.Add(61 * time.Second)
	state, _ = c.begin("a")
	assert.Equal(t, replayNew, state, "expired after the TTL")
}

func TestReplayCacheIsBounded(t *testing.T) {
	now := time.Unix(1_000, 0)
	c := newReplayCache(time.Hour, 100, func() time.Time { return now })
	for i := 0; i < 10_000; i++ {
		key := strconv.Itoa(i)
		c.begin(key)
		if i%3 == 0 {
			c.abort(key)
		} else {
			c.finish(key, 1)
		}
	}
	assert.LessOrEqual(t, c.len(), 100)
	assert.LessOrEqual(t, len(c.order), 2*100+16, "the eviction queue stays bounded too")
	state, _ := c.begin("9998")
	assert.Equal(t, replayDone, state, "recent ids are kept")
	state, _ = c.begin("1")
	assert.Equal(t, replayNew, state, "the oldest ids are forgotten first")
}
