package auditwebhookreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseWith parses a body as an endpoint kind would, collecting the events it emits.
func parseWith(kind, githubEvent string, body []byte, maxEvents, maxNodes int) ([]event, *badRequest) {
	events := []event{}
	p := &parser{maxEvents: maxEvents, maxNodes: maxNodes, emit: func(e event) { events = append(events, e) }}
	if bad := p.parse(kind, githubEvent, body); bad != nil {
		return nil, bad
	}
	return events, nil
}

// parseBody parses with the default limits.
func parseBody(kind string, body []byte) ([]event, *badRequest) {
	return parseWith(kind, "", body, defaultMaxEvents, defaultMaxJSONNodes)
}

func TestParseGitHubStreamUnwrapsSplunkHEC(t *testing.T) {
	// GitHub's Splunk stream posts HEC envelopes, stacked without separators.
	body := []byte(`{"event":{"action":"repo.create","actor":"octocat"},"sourcetype":"github:enterprise:audit"}{"event":{"action":"org.add_member","actor":"octocat"}}`)
	events, bad := parseBody(kindGitHub, body)
	require.Nil(t, bad)
	require.Len(t, events, 2)
	assert.Equal(t, "repo.create", events[0]["action"])
	assert.Equal(t, "org.add_member", events[1]["action"])
}

func TestParseNumbers(t *testing.T) {
	events, bad := parseBody(kindGeneric, []byte(`{"i":42,"neg":-7,"f":1.25,"exp":1e3,"huge":1e400,"big":123456789012345678901234567890}`))
	require.Nil(t, bad)
	ev := events[0]
	assert.Equal(t, int64(42), ev["i"])
	assert.Equal(t, int64(-7), ev["neg"])
	assert.InDelta(t, 1.25, ev["f"], 0)
	assert.InDelta(t, 1000.0, ev["exp"], 0)
	assert.Equal(t, "1e400", ev["huge"], "kept as text rather than lost")
	assert.InDelta(t, 1.2345678901234568e29, ev["big"], 1e15)
}

func TestParseKubernetesEmptyList(t *testing.T) {
	events, bad := parseBody(kindKubernetes, []byte(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":null}`))
	require.Nil(t, bad)
	assert.Empty(t, events)
}

func TestParseTrailingData(t *testing.T) {
	_, bad := parseBody(kindOkta, []byte(`{"data":{"events":[]}} {"x":1}`))
	require.NotNil(t, bad)
	assert.Equal(t, "body holds more than one JSON value", bad.Message)
}

func TestParseListsAtMostMaxErrors(t *testing.T) {
	body := []byte("[" + repeatJoin("1", ",", 500) + "]")
	_, bad := parseBody(kindGeneric, body)
	require.NotNil(t, bad)
	assert.Len(t, bad.Items, maxListedErrors)
	assert.Equal(t, 500, bad.Events)
	assert.Equal(t, "500 of 500 events are not JSON objects", bad.Message)
}

func repeatJoin(s, sep string, n int) string {
	out := make([]byte, 0, n*(len(s)+len(sep)))
	for i := 0; i < n; i++ {
		if i > 0 {
			out = append(out, sep...)
		}
		out = append(out, s...)
	}
	return string(out)
}
