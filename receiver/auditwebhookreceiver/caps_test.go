package auditwebhookreceiver

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
)

func TestEventCapPerEnvelope(t *testing.T) {
	const limit = 10
	array := func(n int) string { return "[" + repeatJoin(`{"a":1}`, ",", n) + "]" }
	tests := []struct {
		name        string
		kind        string
		githubEvent string
		body        func(n int) string
	}{
		{"generic array of empty objects", kindGeneric, "", func(n int) string { return "[" + repeatJoin("{}", ",", n) + "]" }},
		{"generic array of non-objects", kindGeneric, "", func(n int) string { return "[" + repeatJoin("1", ",", n) + "]" }},
		{"generic ndjson", kindGeneric, "", func(n int) string { return repeatJoin(`{"a":1}`, "\n", n) + "\n" }},
		{"generic ndjson with several values per line", kindGeneric, "", func(n int) string { return repeatJoin(`{"a":1}`, " ", n) }},
		{"okta data.events", kindOkta, "", func(n int) string {
			return `{"eventType":"com.okta.event_hook","data":{"other":[1,2,3],"events":` + array(n) + `}}`
		}},
		{"kubernetes items", kindKubernetes, "", func(n int) string {
			return `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":` + array(n) + `}`
		}},
		{"kubernetes items before kind", kindKubernetes, "", func(n int) string {
			return `{"items":` + array(n) + `,"kind":"EventList","apiVersion":"audit.k8s.io/v1"}`
		}},
		{"cloudtrail Records", kindCloudTrail, "", func(n int) string { return `{"Records":` + array(n) + `}` }},
		{"github stream array", kindGitHub, "", func(n int) string { return array(n) }},
		{"github stream ndjson", kindGitHub, "", func(n int) string { return repeatJoin(`{"action":"repo.create"}`, "\n", n) }},
		{"github splunk hec stacked", kindGitHub, "", func(n int) string { return repeatJoin(`{"event":{"action":"repo.create"}}`, "", n) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emitted := 0
			p := &parser{maxEvents: limit, maxNodes: 1000, emit: func(event) { emitted++ }}
			bad := p.parse(tt.kind, tt.githubEvent, []byte(tt.body(limit+1)))
			require.NotNil(t, bad)
			assert.Equal(t, http.StatusRequestEntityTooLarge, bad.status())
			assert.Equal(t, "request holds more than 10 events (max_events_per_request)", bad.Message)
			assert.LessOrEqual(t, emitted, limit, "decoding stops at the limit")

			if !strings.Contains(tt.name, "non-objects") {
				events, bad := parseWith(tt.kind, tt.githubEvent, []byte(tt.body(limit)), limit, 1000)
				require.Nil(t, bad, "exactly the limit is accepted")
				assert.Len(t, events, limit)
			}
		})
	}
}

func TestNodeCap(t *testing.T) {
	tests := []struct {
		name string
		kind string
		body string
	}{
		// One event, but a million-node tree.
		{"nested tiny objects", kindGeneric, `[{"a":[` + repeatJoin("{}", ",", 1001) + `]}]`},
		{"nested arrays", kindGeneric, `{"a":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}`},
		{"many empty objects", kindGeneric, "[" + repeatJoin("{}", ",", 1001) + "]"},
		{"in an envelope value that is not the events", kindOkta, `{"data":{"events":[],"x":[` + repeatJoin("{}", ",", 1001) + `]}}`},
		{"ndjson", kindGeneric, repeatJoin(`{"a":{}}`, "\n", 501)},
		{"github webhook", kindGitHub, `{"action":"x","a":[` + repeatJoin("[]", ",", 1001) + `]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			p := &parser{maxEvents: 5000, maxNodes: 1000, emit: func(event) { called = true }}
			bad := p.parse(tt.kind, "member", []byte(tt.body))
			require.NotNil(t, bad)
			assert.Equal(t, http.StatusRequestEntityTooLarge, bad.status())
			assert.Equal(t, "request holds more than 1000 JSON objects and arrays (max_json_nodes_per_request)", bad.Message)
			assert.False(t, called, "refused before decoding")
		})
	}
}

func TestExceedsNodesIgnoresStrings(t *testing.T) {
	assert.False(t, exceedsNodes([]byte(`{"a":"{[{[{[","b":"\"{[\\"}`), 1))
	assert.True(t, exceedsNodes([]byte(`{"a":"\\"}{}`), 1), `an escaped backslash ends the string`)
	assert.False(t, exceedsNodes([]byte(`{}`), 1))
	assert.True(t, exceedsNodes([]byte(`[{}]`), 1))
	assert.False(t, exceedsNodes([]byte(`"unterminated {[`), 0))
}

func TestDeepNestingIsRefused(t *testing.T) {
	body := `[{"a":` + strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000) + `}]`
	_, bad := parseWith(kindGeneric, "", []byte(body), 5000, 100_000)
	require.NotNil(t, bad)
	assert.Equal(t, http.StatusBadRequest, bad.status())
	assert.Equal(t, "body is not valid JSON", bad.Message)
	require.Len(t, bad.Items, 1)
	assert.Contains(t, bad.Items[0].Message, "exceeded max depth")
}

func TestHugeString(t *testing.T) {
	huge := strings.Repeat("x", 4<<20)
	events, bad := parseBody(kindGeneric, []byte(`{"a":"`+huge+`"}`))
	require.Nil(t, bad)
	require.Len(t, events, 1)
	assert.Len(t, events[0]["a"], len(huge))

	_, bad = parseBody(kindGeneric, []byte(`"`+huge+`"`))
	require.NotNil(t, bad)
	assert.Equal(t, "expected a JSON object, an array of objects or NDJSON", bad.Message)

	_, bad = parseBody(kindOkta, []byte(`{"data":"`+huge+`"}`))
	require.NotNil(t, bad)
	assert.Equal(t, []itemError{{Path: "$.data", Message: "expected an object, got string"}}, bad.Items)
}

func TestEnvelopeSkipsOtherKeys(t *testing.T) {
	events, bad := parseBody(kindOkta, []byte(`{"eventType":"com.okta.event_hook","cloudEventsVersion":"0.1","source":{"nested":[{"events":[1]}]},"data":{"meta":{"events":"no"},"events":[{"uuid":"1"},{"uuid":"2"}],"tail":[[]]},"events":[{"uuid":"outside"}]}`))
	require.Nil(t, bad)
	require.Len(t, events, 2)
	assert.Equal(t, "1", events[0]["uuid"])
	assert.Equal(t, "2", events[1]["uuid"])

	_, bad = parseBody(kindOkta, []byte(`{"data":{"events":[{}]},"data":{"events":[{}]}}`))
	require.NotNil(t, bad, "a repeated envelope key is refused rather than read twice")
	assert.Equal(t, []itemError{{Path: "$.data", Message: "the key appears more than once"}}, bad.Items)
}

func TestCloudTrailShapes(t *testing.T) {
	events, bad := parseBody(kindCloudTrail, []byte(`{"detail":{"eventName":"A"},"Records":[{"eventName":"B"}]}`))
	require.Nil(t, bad)
	require.Len(t, events, 1)
	assert.Equal(t, "B", events[0]["eventName"], "Records win over detail")

	events, bad = parseBody(kindCloudTrail, []byte(`{"eventVersion":"1.08","eventName":"ConsoleLogin","n":7}`))
	require.Nil(t, bad)
	require.Len(t, events, 1)
	assert.Equal(t, int64(7), events[0]["n"], "a bare record is the event")

	_, bad = parseBody(kindCloudTrail, []byte(`{"detail":[1]}`))
	require.NotNil(t, bad)
	assert.Equal(t, []itemError{{Path: "$.detail", Message: "expected an object, got array"}}, bad.Items)
}

func TestKubernetesKindCheckedAfterItems(t *testing.T) {
	_, bad := parseBody(kindKubernetes, []byte(`{"items":[{"auditID":"a"}],"kind":{"x":1},"apiVersion":"audit.k8s.io/v1"}`))
	require.NotNil(t, bad)
	assert.Equal(t, []itemError{{Path: "$.kind", Message: `expected "EventList", got object`}}, bad.Items)
}

func TestCapsOverHTTP(t *testing.T) {
	sink := &consumertest.LogsSink{}
	srv := startReceiver(t, sink, func(cfg *Config) {
		cfg.MaxEventsPerRequest = 5
		cfg.MaxJSONNodesPerRequest = 50
	})
	resp := srv.post("/webhook/generic", []byte("["+repeatJoin("{}", ",", 6)+"]"), nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.code, string(resp.body))
	assert.JSONEq(t, `{"error":"request holds more than 5 events (max_events_per_request)"}`, string(resp.body))

	resp = srv.post("/webhook/generic", []byte(`[{"a":[`+repeatJoin("{}", ",", 60)+`]}]`), nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, resp.code, string(resp.body))
	assert.JSONEq(t, `{"error":"request holds more than 50 JSON objects and arrays (max_json_nodes_per_request)"}`, string(resp.body))

	h := map[string]string{headerWebhookID: "msg_cap"}
	require.Equal(t, http.StatusRequestEntityTooLarge, srv.post("/webhook/generic", []byte("["+repeatJoin("{}", ",", 6)+"]"), h).code)
	resp = srv.post("/webhook/generic", []byte("["+repeatJoin("{}", ",", 5)+"]"), h)
	require.Equal(t, http.StatusOK, resp.code, "a refused delivery is not remembered")
	assert.JSONEq(t, `{"accepted":5}`, string(resp.body))
	assert.Equal(t, 5, sink.LogRecordCount())
}

func BenchmarkRefuseManyEmptyObjects(b *testing.B) {
	// The body of the memory incident: 10 MiB of "{}," is refused by the node scan.
	body := bytes.Repeat([]byte("{},"), (10<<20)/3)
	body[0] = '['
	body[len(body)-1] = ']'
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_, bad := parseBody(kindGeneric, body)
		if bad == nil || bad.status() != http.StatusRequestEntityTooLarge {
			b.Fatal("not refused")
		}
	}
}
