package selfaudit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func event(target string) Event {
	return Event{Time: time.Unix(1_790_000_000, 0), Tenant: "acme", Author: "token:ops", Action: ActionExportRequested, Target: target, Outcome: audit.OutcomeSuccess}
}

func TestEventIDDeterministic(t *testing.T) {
	a, b := event("x"), event("x")
	assert.Equal(t, a.EventID(), b.EventID())
	b.Action = ActionExportCompleted
	assert.NotEqual(t, a.EventID(), b.EventID())
	assert.Equal(t, "Export requested", a.Summary())
	b.Action = "custom"
	assert.Equal(t, "custom", b.Summary(), "an unknown action is its own summary")
}

func TestNewLogs(t *testing.T) {
	ev := event("exp1")
	ev.SourceIP = "203.0.113.7"
	failed := ReportDelivered("globex", "weekly", time.Unix(1_789_430_400, 0), "run-7", time.Unix(1_790_000_100, 0), audit.OutcomeFailure)
	ld := NewLogs(ev, failed)
	require.Equal(t, 2, ld.ResourceLogs().Len(), "one resource per event")

	rl := ld.ResourceLogs().At(0)
	tenant, _ := rl.Resource().Attributes().Get(audit.AttrTenant)
	assert.Equal(t, "acme", tenant.Str())
	assert.Equal(t, ScopeName, rl.ScopeLogs().At(0).Scope().Name())
	lr := rl.ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, "audit_log."+ActionExportRequested, lr.EventName())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	assert.Equal(t, "Export requested exp1 by token:ops", lr.Body().Str())
	assert.Equal(t, map[string]any{
		audit.AttrSource:        audit.SourceOTel,
		"user.name":             "token:ops",
		"event.outcome":         audit.OutcomeSuccess,
		audit.AttrAuthor:        "token:ops",
		audit.AttrCategory:      CategoryAuditLog,
		audit.AttrSummary:       "Export requested",
		audit.AttrDescription:   "Export requested exp1 by token:ops",
		audit.AttrOutcome:       audit.OutcomeSuccess,
		audit.AttrTenant:        "acme",
		audit.AttrTarget:        "exp1",
		audit.AttrAction:        "audit_log.export_requested",
		audit.AttrEventID:       ev.EventID(),
		audit.AttrClientAddress: "203.0.113.7",
	}, lr.Attributes().AsRaw())

	lr = ld.ResourceLogs().At(1).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber(), "a failure is a warning")
	assert.Equal(t, "Report weekly could not be delivered (run run-7)", lr.Body().Str())
	author, _ := lr.Attributes().Get(audit.AttrAuthor)
	assert.Equal(t, audit.AuthorSystem, author.Str())
}

func TestReportDelivered(t *testing.T) {
	from := time.Date(2026, 9, 21, 0, 0, 0, 0, time.FixedZone("IST", 3600))
	at := time.Unix(1_790_000_000, 0)
	ev := ReportDelivered("acme", "daily", from, "run-1", at, audit.OutcomeSuccess)
	assert.Equal(t, Event{
		Time: at, Tenant: "acme", Author: audit.AuthorSystem, Action: ActionReportDelivered,
		Target: "daily/2026-09-20T23:00:00Z", Outcome: audit.OutcomeSuccess, Description: "Report daily delivered (run run-1)",
		IDWithoutTime: true,
	}, ev)
	assert.Equal(t, "Report delivered", ev.Summary())
	assert.Equal(t, ReportTarget("daily", from), ev.Target)

	// The same delivery, emitted later by another run or another collector, is one event.
	again := ReportDelivered("acme", "daily", from, "run-2", at.Add(time.Hour), audit.OutcomeSuccess)
	assert.Equal(t, ev.EventID(), again.EventID())
	for _, other := range []Event{
		ReportDelivered("globex", "daily", from, "run-1", at, audit.OutcomeSuccess),
		ReportDelivered("acme", "weekly", from, "run-1", at, audit.OutcomeSuccess),
		ReportDelivered("acme", "daily", from.Add(24*time.Hour), "run-1", at, audit.OutcomeSuccess),
		ReportDelivered("acme", "daily", from, "run-1", at, audit.OutcomeFailure),
	} {
		assert.NotEqual(t, ev.EventID(), other.EventID(), "%s %s %s", other.Tenant, other.Target, other.Outcome)
	}
}
