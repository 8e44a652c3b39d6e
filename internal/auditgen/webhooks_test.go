package auditgen

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWebhooksPostEveryVendorShapeStampedNow(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	g, err := NewNamed(ScenarioWebhooks, []string{"demo"}, 3)
	require.NoError(t, err)
	g.SetClock(func() time.Time { return now })
	reqs, err := g.Webhooks(4)
	require.NoError(t, err)
	require.Len(t, reqs, len(WebhookKinds))

	recent := func(t *testing.T, ts time.Time) {
		t.Helper()
		assert.WithinDuration(t, now, ts, time.Second, "events are stamped with the clock, not a fixture date")
	}
	seen := map[string]bool{}
	for i, r := range reqs {
		assert.Equal(t, WebhookKinds[i], r.Kind)
		assert.Equal(t, "/webhook/"+r.Kind, r.Path)
		require.Len(t, r.EventIDs, 4, r.Kind)
		for _, id := range r.EventIDs {
			assert.False(t, seen[id], "duplicate id %s", id)
			seen[id] = true
		}
		var body any
		require.NoError(t, json.Unmarshal(r.Body, &body), r.Kind)
		switch r.Kind {
		case WebhookOkta:
			env := body.(map[string]any)
			assert.Equal(t, "com.okta.event_hook", env["eventType"])
			events := env["data"].(map[string]any)["events"].([]any)
			require.Len(t, events, 4)
			for j, e := range events {
				ev := e.(map[string]any)
				assert.Equal(t, r.EventIDs[j], ev["uuid"])
				ts, err := time.Parse(time.RFC3339, ev["published"].(string))
				require.NoError(t, err)
				recent(t, ts)
			}
		case WebhookKubernetes:
			list := body.(map[string]any)
			assert.Equal(t, "EventList", list["kind"])
			assert.Equal(t, "audit.k8s.io/v1", list["apiVersion"])
			for j, e := range list["items"].([]any) {
				ev := e.(map[string]any)
				assert.Equal(t, r.EventIDs[j], ev["auditID"])
				assert.NotContains(t, ev, "kind")
				ts, err := time.Parse(time.RFC3339, ev["stageTimestamp"].(string))
				require.NoError(t, err)
				recent(t, ts)
			}
		case WebhookCloudTrail:
			for j, e := range body.(map[string]any)["Records"].([]any) {
				rec := e.(map[string]any)
				assert.Equal(t, r.EventIDs[j], rec["eventID"])
				ts, err := time.Parse(time.RFC3339, rec["eventTime"].(string))
				require.NoError(t, err)
				recent(t, ts)
			}
		case WebhookGitHub:
			entries := body.([]any)
			require.Len(t, entries, 4)
			for j, e := range entries {
				entry := e.(map[string]any)
				assert.Equal(t, r.EventIDs[j], entry["_document_id"])
				assert.NotEmpty(t, entry["action"])
				recent(t, time.UnixMilli(int64(entry["@timestamp"].(float64))))
			}
		case WebhookGeneric:
			for j, e := range body.([]any) {
				ev := e.(map[string]any)
				assert.Equal(t, r.EventIDs[j], ev["event_id"])
				assert.NotEmpty(t, ev["event_type"])
				assert.NotEmpty(t, ev["actor"].(map[string]any)["email"])
				ts, err := time.Parse(time.RFC3339, ev["timestamp"].(string))
				require.NoError(t, err)
				recent(t, ts)
			}
		}
	}
}

func TestWebhooksAreDeterministic(t *testing.T) {
	clock := func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }
	a, err := New(ScenarioWebhooks, 1, 9)
	require.NoError(t, err)
	b, err := New(ScenarioWebhooks, 1, 9)
	require.NoError(t, err)
	a.SetClock(clock)
	b.SetClock(clock)
	ra, err := a.Webhooks(10)
	require.NoError(t, err)
	rb, err := b.Webhooks(10)
	require.NoError(t, err)
	assert.Equal(t, ra, rb)

	_, err = a.Webhooks(0)
	assert.ErrorContains(t, err, "at least 1")
}
