package selfaudit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func TestReportClaimed(t *testing.T) {
	from := time.Date(2026, 11, 23, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	at := time.Date(2026, 11, 30, 0, 2, 0, 123, time.UTC)
	ev := ReportClaimed("acme", "weekly", from, "0123abcd", at)
	ld := NewLogs(ev)
	require.Equal(t, 1, ld.LogRecordCount())
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	attr := func(k string) string {
		v, _ := lr.Attributes().Get(k)
		return v.Str()
	}
	assert.Equal(t, SummaryReportClaimed, attr(audit.AttrSummary))
	assert.Equal(t, CategoryAuditLog, attr(audit.AttrCategory))
	assert.Equal(t, audit.OutcomeSuccess, attr(audit.AttrOutcome))
	assert.Equal(t, "reporter:0123abcd", attr(audit.AttrAuthor))
	assert.Equal(t, "weekly/2026-11-22T23:00:00Z", attr(audit.AttrTarget), "the delivery's target")
	assert.Equal(t, "acme", attr(audit.AttrTenant))
	assert.Equal(t, "audit_log."+ActionReportClaimed, attr(audit.AttrAction))
	assert.Equal(t, "audit_log.report_claimed", lr.EventName())
	assert.True(t, at.Equal(lr.Timestamp().AsTime()), "a claim is timed when it is made, to the nanosecond")
	_, err := audit.RecordFacts(lr)
	assert.NoError(t, err, "a claim is a normalised record")

	// Every claim is its own event: a later claim of the same reporter is another one.
	again := ReportClaimed("acme", "weekly", from, "0123abcd", at.Add(time.Nanosecond))
	assert.NotEqual(t, ev.EventID(), again.EventID())
	same := ReportClaimed("acme", "weekly", from, "0123abcd", at)
	assert.Equal(t, ev.EventID(), same.EventID())

	instance, ok := ClaimInstance(ev.Author)
	assert.True(t, ok)
	assert.Equal(t, "0123abcd", instance)
	for _, author := range []string{audit.AuthorSystem, "reporter:", "token:ops", ""} {
		_, ok := ClaimInstance(author)
		assert.False(t, ok, author)
	}
}
