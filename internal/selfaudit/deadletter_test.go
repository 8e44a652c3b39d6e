package selfaudit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func TestDeadLetterLogs(t *testing.T) {
	eventTime := time.Date(2026, 11, 30, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	d := DeadLetter{Tenant: "acme", EventID: "evt-1", EventTime: eventTime, Reason: "line_too_long", At: time.Unix(1_790_000_000, 0)}
	ld := DeadLetterLogs(d)
	require.Equal(t, 1, ld.LogRecordCount())
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	attr := func(k string) string {
		v, _ := lr.Attributes().Get(k)
		return v.Str()
	}
	assert.Equal(t, SummaryEventDeadLettered, attr(audit.AttrSummary))
	assert.Equal(t, CategoryAuditLog, attr(audit.AttrCategory))
	assert.Equal(t, audit.OutcomeFailure, attr(audit.AttrOutcome))
	assert.Equal(t, audit.AuthorSystem, attr(audit.AttrAuthor))
	assert.Equal(t, "evt-1", attr(audit.AttrTarget))
	assert.Equal(t, "acme", attr(audit.AttrTenant))
	assert.Equal(t, "audit_log."+ActionEventDeadLettered, attr(audit.AttrAction))
	assert.Equal(t, "2026-11-30T11:00:00.123456789Z", attr(AttrDeadLetterEventTime))
	assert.Equal(t, "line_too_long", attr(AttrDeadLetterReason))
	assert.Equal(t, d.MarkerID(), attr(audit.AttrEventID))
	assert.True(t, d.At.Equal(lr.Timestamp().AsTime()), "the marker is timed when it is written")
	assert.Contains(t, lr.Body().Str(), "evt-1")
	_, err := audit.RecordFacts(lr)
	assert.NoError(t, err, "a marker is a normalised record")

	// The id ignores when the marker was written, and nothing else.
	later := d
	later.At = d.At.Add(time.Hour)
	assert.Equal(t, d.MarkerID(), later.MarkerID())
	for _, other := range []DeadLetter{
		{Tenant: "globex", EventID: "evt-1", EventTime: eventTime, Reason: "line_too_long"},
		{Tenant: "acme", EventID: "evt-2", EventTime: eventTime, Reason: "line_too_long"},
		{Tenant: "acme", EventID: "evt-1", EventTime: eventTime.Add(1), Reason: "line_too_long"},
		{Tenant: "acme", EventID: "evt-1", EventTime: eventTime, Reason: "too_far_behind"},
	} {
		assert.NotEqual(t, d.MarkerID(), other.MarkerID(), "%+v", other)
	}
}
