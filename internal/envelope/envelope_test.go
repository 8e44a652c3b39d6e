package envelope

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestOpen(t *testing.T) {
	event := map[string]any{"eventName": "ConsoleLogin"}
	events := []any{event, event}
	tests := []struct {
		name  string
		m     map[string]any
		shape Shape
		// held is what the returned value holds: the events' count for a list, else the value.
		held any
	}{
		{"CloudTrail delivery file", map[string]any{"Records": events}, CloudTrailRecords, 2},
		{"Azure export", map[string]any{"records": []any{event}}, AzureRecords, 1},
		{"empty records", map[string]any{"records": []any{}}, AzureRecords, 0},
		{"Records beside other keys", map[string]any{"Records": events, "eventName": "x"}, None, nil},
		{"records holding a non-object", map[string]any{"records": []any{event, "x"}}, None, nil},
		{"records not a list", map[string]any{"records": "x"}, None, nil},
		{
			"Kubernetes EventList",
			map[string]any{"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "metadata": map[string]any{}, "items": events},
			KubernetesEventList, 2,
		},
		{"EventList of another API", map[string]any{"kind": "EventList", "apiVersion": "v1", "items": events}, None, nil},
		{"a Kubernetes event", map[string]any{"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "a"}, None, nil},
		{
			"Okta event hook",
			map[string]any{"eventType": "com.okta.event_hook", "source": "s", "data": map[string]any{"events": events}},
			OktaEventHook, 2,
		},
		{"data.events of something else", map[string]any{"eventType": "user.session.start", "data": map[string]any{"events": events}}, None, nil},
		{"data.events without a type", map[string]any{"data": map[string]any{"events": events}}, None, nil},
		{"Splunk HEC", map[string]any{"event": event, "sourcetype": "github:enterprise:audit", "time": int64(1)}, SplunkHEC, event},
		{"an event with an event object", map[string]any{"event": map[string]any{"action": "login"}, "user": "ada"}, None, nil},
		{
			"AKS kube-audit",
			map[string]any{"category": "kube-audit", "properties": map[string]any{"log": `{"auditID":"a"}`}},
			AKSKubeAudit, `{"auditID":"a"}`,
		},
		{
			"AKS kube-audit-admin, log already parsed",
			map[string]any{"category": "kube-audit-admin", "properties": map[string]any{"log": map[string]any{"auditID": "a"}}},
			AKSKubeAudit, map[string]any{"auditID": "a"},
		},
		{"Azure activity event", map[string]any{"category": "Administrative", "properties": map[string]any{"log": "x"}}, None, nil},
		{
			"Pub/Sub push",
			map[string]any{"message": map[string]any{"data": "e30=", "messageId": "1"}, "subscription": "projects/p/subscriptions/s"},
			PubSubPush, "e30=",
		},
		{"Pub/Sub push, snake case", map[string]any{"message": map[string]any{"data": "e30=", "message_id": "1"}}, PubSubPush, "e30="},
		{"a message that is no push", map[string]any{"message": map[string]any{"data": "e30="}}, None, nil},
		{"an event", map[string]any{"eventType": "user.session.start", "actor": map[string]any{}, "uuid": "u"}, None, nil},
		{"empty", map[string]any{}, None, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			require.NoError(t, m.FromRaw(tt.m))
			shape, v := Open(m)
			assert.Equal(t, tt.shape, shape, shape.String())
			switch {
			case shape == None:
			case shape.Multi():
				assert.Equal(t, tt.held, v.Slice().Len())
			default:
				assert.Equal(t, tt.held, v.AsRaw())
			}
		})
	}
}

func TestShapeNames(t *testing.T) {
	seen := map[string]bool{}
	for s := None; s <= PubSubPush; s++ {
		name := s.String()
		assert.NotEmpty(t, name)
		assert.False(t, seen[name], "%s named twice", name)
		seen[name] = true
	}
	assert.Equal(t, "none", Shape(200).String())
	for _, s := range MultiShapes {
		assert.True(t, s.Multi(), s.String())
	}
	assert.False(t, SplunkHEC.Multi())
	assert.False(t, None.Multi())
}

// BenchmarkOpenEvent is the cost Open adds to an event that is no envelope.
func BenchmarkOpenEvent(b *testing.B) {
	m := pcommon.NewMap()
	require.NoError(b, m.FromRaw(map[string]any{
		"uuid": "u", "published": "2026-11-25T09:00:00Z", "eventType": "user.session.start", "version": "0",
		"severity": "INFO", "displayMessage": "User login to Okta", "actor": map[string]any{"id": "a"},
		"client": map[string]any{}, "outcome": map[string]any{"result": "SUCCESS"}, "target": []any{},
		"transaction": map[string]any{}, "debugContext": map[string]any{}, "authenticationContext": map[string]any{},
		"securityContext": map[string]any{}, "request": map[string]any{},
	}))
	b.ReportAllocs()
	for b.Loop() {
		if s, _ := Open(m); s != None {
			b.Fatal(s)
		}
	}
}
