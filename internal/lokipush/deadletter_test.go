package lokipush

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeadLetterRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 25, 23, 30, 0, 123456789, time.UTC)
	e := Entry{
		Labels: `{service_name="lms"}`, Timestamp: at, Line: "alice logged in",
		StructuredMetadata: push.LabelsAdapter{{Name: "event_id", Value: "e1"}, {Name: "author", Value: "alice"}},
	}
	rec := NewDeadLetterRecord("acme", ReasonTooFarInFuture, "loki answered 400: timestamp too new", &e)
	line, err := json.Marshal(&rec)
	require.NoError(t, err)
	assert.JSONEq(t, `{"tenant":"acme","reason":"too_far_in_future","error":"loki answered 400: timestamp too new",`+
		`"labels":"{service_name=\"lms\"}","timestamp":"2026-11-25T23:30:00.123456789Z","line":"alice logged in",`+
		`"structured_metadata":{"author":"alice","event_id":"e1"}}`, string(line))

	var back DeadLetterRecord
	require.NoError(t, json.Unmarshal(line, &back))
	got := back.Entry()
	assert.Equal(t, e.Labels, got.Labels)
	assert.Equal(t, e.Line, got.Line)
	assert.True(t, at.Equal(got.Timestamp))
	assert.Equal(t, push.LabelsAdapter{{Name: "author", Value: "alice"}, {Name: "event_id", Value: "e1"}}, got.StructuredMetadata, "sorted by name")

	bare := NewDeadLetterRecord("", ReasonMissingTimestamp, "refused", &Entry{Labels: `{a="b"}`})
	line, err = json.Marshal(&bare)
	require.NoError(t, err)
	assert.NotContains(t, string(line), "structured_metadata")
	assert.Nil(t, bare.Entry().StructuredMetadata)
}
