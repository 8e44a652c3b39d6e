package selfaudit // import "github.com/otelcol-audit/otelcol-audit/internal/selfaudit"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// CategoryAuditLog is the category of every audit-of-audit event.
const CategoryAuditLog = audit.CategoryAuditLog

// Actions of audit-of-audit events. The record's event name is "audit_log.<action>", which
// the audit_normalizer's otel profile reads as category "Audit log" and the summary below.
const (
	ActionExportRequested  = "export_requested"
	ActionExportCompleted  = "export_completed"
	ActionExportFailed     = "export_failed"
	ActionExportDownloaded = "export_downloaded"
	ActionExportCancelled  = "export_cancelled"
	ActionReportDelivered  = "report_delivered"
)

var summaries = map[string]string{
	ActionExportRequested:  "Export requested",
	ActionExportCompleted:  "Export completed",
	ActionExportFailed:     "Export failed",
	ActionExportDownloaded: "Export downloaded",
	ActionExportCancelled:  "Export cancelled",
	ActionReportDelivered:  "Report delivered",
}

// SourceName is the audit.source-independent name hashed into event ids and set as the
// resource's service.name.
const SourceName = "otelcol-audit"

// ScopeName is the instrumentation scope of the records: the audit_events extension, which
// carries them into the pipeline whichever component emitted them.
const ScopeName = "github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension"

// Event is one audit-of-audit event.
type Event struct {
	// Time is when it happened; it is part of the event id.
	Time time.Time
	// Tenant is the tenant whose data the action concerns.
	Tenant string
	// Author is the requesting identity ("token:ops", a subject from an auth extension) or
	// audit.AuthorSystem for the collector's own actions.
	Author string
	// Action is one of the Action constants.
	Action string
	// Target is the export id, or ReportTarget for a report period.
	Target string
	// Outcome is audit.OutcomeSuccess or audit.OutcomeFailure.
	Outcome string
	// Description is a human sentence; optional.
	Description string
	// SourceIP is the client address of an HTTP request; optional.
	SourceIP string
	// IDWithoutTime leaves Time out of the event id: the event states a fact about its
	// target (a report period delivered, or not) that is the same event whenever, and by
	// whichever collector, it is emitted.
	IDWithoutTime bool
}

// Summary returns the event's summary ("Export requested").
func (e *Event) Summary() string {
	if s, ok := summaries[e.Action]; ok {
		return s
	}
	return e.Action
}

// EventID is deterministic: the same action on the same target by the same author at the
// same time (at any time with IDWithoutTime) always has the same id, so an event emitted
// again after a restart is deduplicated downstream (spool, reports).
func (e *Event) EventID() string {
	raw := pcommon.NewValueMap()
	m := raw.Map()
	m.PutStr("tenant", e.Tenant)
	m.PutStr("action", e.Action)
	m.PutStr("target", e.Target)
	m.PutStr("author", e.Author)
	m.PutStr("outcome", e.Outcome)
	ts := e.Time.UnixNano()
	if e.IDWithoutTime {
		ts = 0
	}
	return audit.HashEventID(SourceName, ts, raw)
}

// NewLogs returns the events as log records, one resource per event (the tenant is a
// resource attribute, as the normaliser reads it first). Every audit attribute is set, so
// the records are complete even in a pipeline without the normaliser; the normaliser maps
// them to the same values through its otel profile (event name, user.name, event.outcome,
// audit.target) and keeps audit.event_id.
func NewLogs(events ...Event) plog.Logs {
	ld := plog.NewLogs()
	for i := range events {
		e := &events[i]
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", SourceName)
		rl.Resource().Attributes().PutStr(audit.AttrTenant, e.Tenant)
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName(ScopeName)
		lr := sl.LogRecords().AppendEmpty()
		ts := pcommon.NewTimestampFromTime(e.Time)
		lr.SetTimestamp(ts)
		lr.SetObservedTimestamp(ts)
		lr.SetEventName("audit_log." + e.Action)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		if e.Outcome == audit.OutcomeFailure {
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
		}
		lr.SetSeverityText(lr.SeverityNumber().String())
		description := e.Description
		if description == "" {
			description = e.Summary() + " " + e.Target + " by " + e.Author
		}
		lr.Body().SetStr(description)
		a := lr.Attributes()
		a.PutStr(audit.AttrSource, audit.SourceOTel)
		a.PutStr("user.name", e.Author)
		a.PutStr("event.outcome", e.Outcome)
		a.PutStr(audit.AttrAuthor, e.Author)
		a.PutStr(audit.AttrCategory, CategoryAuditLog)
		a.PutStr(audit.AttrSummary, e.Summary())
		a.PutStr(audit.AttrDescription, description)
		a.PutStr(audit.AttrOutcome, e.Outcome)
		a.PutStr(audit.AttrTenant, e.Tenant)
		a.PutStr(audit.AttrTarget, e.Target)
		a.PutStr(audit.AttrAction, "audit_log."+e.Action)
		a.PutStr(audit.AttrEventID, e.EventID())
		if e.SourceIP != "" {
			a.PutStr(audit.AttrClientAddress, e.SourceIP)
		}
	}
	return ld
}

// ReportTarget is the target of a report period's delivery event: the report's name and the
// period's start in UTC, RFC 3339 ("weekly/2026-11-23T00:00:00Z"). A distributed ledger
// finds a period's delivery by it.
func ReportTarget(report string, from time.Time) string {
	return report + "/" + from.UTC().Format(time.RFC3339)
}

// ReportDelivered returns the event the audit_reporter emits for a report period of a
// tenant that starts at from: delivered (success) or a failed attempt (failure). Its target
// is ReportTarget, its author the collector itself, and the run id is in the description.
// Its id depends on the tenant, the report, the period and the outcome only, so that the
// same delivery emitted twice (a resend after a restart, two reporters) is one event
// downstream.
func ReportDelivered(tenant, report string, from time.Time, runID string, at time.Time, outcome string) Event {
	description := "Report " + report + " delivered"
	if outcome == audit.OutcomeFailure {
		description = "Report " + report + " could not be delivered"
	}
	if runID != "" {
		description += " (run " + runID + ")"
	}
	return Event{
		Time:          at,
		Tenant:        tenant,
		Author:        audit.AuthorSystem,
		Action:        ActionReportDelivered,
		Target:        ReportTarget(report, from),
		Outcome:       outcome,
		Description:   description,
		IDWithoutTime: true,
	}
}
