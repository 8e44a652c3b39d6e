package auditwebhookreceiver

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

func TestReplayCache(t *testing.T) {
	now := time.Unix(1_000, 0)
	c := newReplayCache(time.Minute, 3, 3, func() time.Time { return now })

	state, _ := c.begin("t", "a")
	assert.Equal(t, replayNew, state)
	state, _ = c.begin("t", "a")
	assert.Equal(t, replayInFlight, state, "a concurrent duplicate")
	c.finish(4, "a")
	state, accepted := c.begin("t", "a")
	assert.Equal(t, replayDone, state)
	assert.Equal(t, 4, accepted)

	state, _ = c.begin("t", "b")
	assert.Equal(t, replayNew, state)
	c.abort("b")
	state, _ = c.begin("t", "b")
	assert.Equal(t, replayNew, state, "an aborted id is processed again")
	c.finish(1, "b")

	now = now.Add(61 * time.Second)
	state, _ = c.begin("t", "a")
	assert.Equal(t, replayNew, state, "expired after the TTL")
}

func TestReplayCacheIsBounded(t *testing.T) {
	now := time.Unix(1_000, 0)
	c := newReplayCache(time.Hour, 100, 100, func() time.Time { return now })
	for i := 0; i < 10_000; i++ {
		key := strconv.Itoa(i)
		c.begin("t", key)
		if i%3 == 0 {
			c.abort(key)
		} else {
			c.finish(1, key)
		}
	}
	assert.LessOrEqual(t, c.len(), 100)
	assert.LessOrEqual(t, len(c.tenants["t"].order), 2*100+16, "the eviction queue stays bounded too")
	state, _ := c.begin("t", "9998")
	assert.Equal(t, replayDone, state, "recent ids are kept")
	state, _ = c.begin("t", "1")
	assert.Equal(t, replayNew, state, "the oldest ids are forgotten first")
}

func TestReplayCachePerTenantShare(t *testing.T) {
	now := time.Unix(1_000, 0)
	c := newReplayCache(time.Hour, 10, 5, func() time.Time { return now })
	for _, k := range []string{"q1", "q2", "q3"} {
		c.begin("quiet", k)
		c.finish(1, k)
	}
	for i := 0; i < 1000; i++ {
		key := "n" + strconv.Itoa(i)
		c.begin("noisy", key)
		c.finish(1, key)
	}
	assert.Equal(t, 5, c.tenants["noisy"].live, "a tenant holds its share at most")
	for _, k := range []string{"q1", "q2", "q3"} {
		state, _ := c.begin("quiet", k)
		assert.Equal(t, replayDone, state, "another tenant's flood does not flush %s", k)
	}
	state, _ := c.begin("noisy", "n999")
	assert.Equal(t, replayDone, state)
	state, _ = c.begin("noisy", "n0")
	assert.Equal(t, replayNew, state, "the flooding tenant forgets its own oldest ids")
}

func TestReplayCacheFullEvictsTheLargestTenant(t *testing.T) {
	now := time.Unix(1_000, 0)
	// Shares that add up to more than the total, as when tenants come from an auth extension.
	c := newReplayCache(time.Hour, 10, 6, func() time.Time { return now })
	for i := 0; i < 6; i++ {
		c.begin("a", "a"+strconv.Itoa(i))
	}
	for i := 0; i < 4; i++ {
		c.begin("b", "b"+strconv.Itoa(i))
	}
	c.begin("c", "c0")
	assert.Equal(t, 10, c.len())
	assert.Equal(t, 5, c.tenants["a"].live, "the largest tenant gave one up")
	assert.Equal(t, 4, c.tenants["b"].live)
	assert.Equal(t, 1, c.tenants["c"].live)
}

func TestReplayCacheSeveralKeys(t *testing.T) {
	now := time.Unix(1_000, 0)
	c := newReplayCache(time.Minute, 100, 100, func() time.Time { return now })
	state, _ := c.begin("t", "id-1", "body-1")
	require.Equal(t, replayNew, state)
	c.finish(2, "id-1", "body-1")

	state, accepted := c.begin("t", "id-2", "body-1")
	assert.Equal(t, replayDone, state, "the same body under a new id")
	assert.Equal(t, 2, accepted)
	state, _ = c.begin("t", "id-2", "body-2")
	assert.Equal(t, replayNew, state, "a refused begin reserved nothing")
	state, _ = c.begin("t", "id-3", "body-2")
	assert.Equal(t, replayInFlight, state)
	c.abort("id-2", "body-2")
	state, _ = c.begin("t", "id-3", "body-2")
	assert.Equal(t, replayNew, state)
	assert.Equal(t, 4, c.len())

	now = now.Add(2 * time.Minute)
	state, _ = c.begin("t", "id-1", "body-1")
	assert.Equal(t, replayNew, state, "expired")
	assert.Equal(t, 2, c.len())
}

func TestConfiguredTenants(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Len(t, configuredTenants(cfg), 1, "every endpoint falls back to default")

	cfg.Okta.Tenant = "acme"
	cfg.Okta.Credentials = []Credential{{Secret: "okta-secret-0123456", Tenant: "globex"}}
	cfg.GitHub.WebhookSecrets = []Credential{{Secret: "gh-secret-0123456789", Tenant: "initech"}}
	cfg.CloudTrail.Enabled = false
	cfg.CloudTrail.Tenant = "ignored"
	assert.Equal(t, map[string]struct{}{"default": {}, "acme": {}, "globex": {}, "initech": {}}, configuredTenants(cfg))

	cfg.Replay.MaxEntries = 100
	r, err := newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.Equal(t, 25, r.replay.perTenant)
	cfg.Replay.PerTenantMaxEntries = 60
	r, err = newReceiver(receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.Equal(t, 60, r.replay.perTenant)
}
