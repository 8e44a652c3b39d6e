package lokipush

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestURL(t *testing.T) {
	assert.Equal(t, "http://loki:3100/loki/api/v1/push", URL("http://loki:3100", DefaultPushPath))
	assert.Equal(t, "http://loki:3100/loki/api/v1/push", URL("http://loki:3100/", "loki/api/v1/push"))
	assert.Equal(t, "http://vl:9428/insert/loki/api/v1/push", URL("http://vl:9428/insert/loki/api/v1/push", DefaultPushPath), "an endpoint that names the push path is kept")
}

func TestNewRequestAndEncode(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	meta := push.LabelsAdapter{{Name: "event_id", Value: "e1"}, {Name: "author", Value: "alice"}}
	entries := []Entry{
		{Labels: `{service_name="lms"}`, Timestamp: at, Line: "b1"},
		{Labels: `{category="Authentication", service_name="lms"}`, Timestamp: at, Line: "a1", StructuredMetadata: meta},
		{Labels: `{service_name="lms"}`, Timestamp: at.Add(time.Second), Line: "b2"},
	}
	req := NewRequest(entries)
	require.Len(t, req.Streams, 2)
	assert.Equal(t, `{category="Authentication", service_name="lms"}`, req.Streams[0].Labels, "streams sorted by labels")
	assert.Equal(t, meta, req.Streams[0].Entries[0].StructuredMetadata, "metadata order kept")
	require.Len(t, req.Streams[1].Entries, 2)
	assert.Equal(t, "b1", req.Streams[1].Entries[0].Line, "entries keep their order")
	assert.Equal(t, "b2", req.Streams[1].Entries[1].Line)

	body, err := Encode(req)
	require.NoError(t, err)
	again, err := Encode(NewRequest(entries))
	require.NoError(t, err)
	assert.Equal(t, body, again, "the same entries encode to the same bytes")
	raw, err := snappy.Decode(nil, body)
	require.NoError(t, err)
	var got push.PushRequest
	require.NoError(t, got.Unmarshal(raw))
	assert.Equal(t, req.Streams[0].Labels, got.Streams[0].Labels)
	assert.Equal(t, "a1", got.Streams[0].Entries[0].Line)
	assert.True(t, at.Equal(got.Streams[0].Entries[0].Timestamp))
}

func TestEntrySize(t *testing.T) {
	e := Entry{Labels: `{a="b"}`, Line: "hello", StructuredMetadata: push.LabelsAdapter{{Name: "k", Value: "v"}}}
	assert.Equal(t, len(e.Labels)+len(e.Line)+entryOverhead+2+4, e.Size())
}

// TestEncodeBodiesAreIndependent: Encode reuses its scratch buffers, so a body it returned must
// not change when later, larger or smaller, requests are encoded.
func TestEncodeBodiesAreIndependent(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	request := func(lines int, prefix string) *push.PushRequest {
		entries := make([]Entry, lines)
		for i := range entries {
			entries[i] = Entry{Labels: `{service_name="lms"}`, Timestamp: at, Line: fmt.Sprintf("%s line %d", prefix, i)}
		}
		return NewRequest(entries)
	}
	big, err := Encode(request(1000, "big"))
	require.NoError(t, err)
	want := bytes.Clone(big)
	for i := range 5 {
		_, err := Encode(request(10*i+1, "small"))
		require.NoError(t, err)
	}
	assert.Equal(t, want, big)
	raw, err := snappy.Decode(nil, big)
	require.NoError(t, err)
	var got push.PushRequest
	require.NoError(t, got.Unmarshal(raw))
	require.Len(t, got.Streams, 1)
	assert.Len(t, got.Streams[0].Entries, 1000)
	assert.Equal(t, "big line 999", got.Streams[0].Entries[999].Line)
}
