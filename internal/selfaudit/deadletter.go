package selfaudit // import "github.com/otelcol-audit/otelcol-audit/internal/selfaudit"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// ActionEventDeadLettered is the action of a dead-letter marker: an exporter could not deliver
// one event to its store and wrote it to its dead-letter file instead.
const ActionEventDeadLettered = "event_dead_lettered"

// SummaryEventDeadLettered is the summary of a dead-letter marker; readers select markers on it.
const SummaryEventDeadLettered = "Event dead-lettered"

func init() { summaries[ActionEventDeadLettered] = SummaryEventDeadLettered }

// Record attributes of a marker, beyond those of every Event.
const (
	// AttrDeadLetterEventTime is the time of the event that was not delivered, RFC 3339 with
	// nanoseconds: reports count markers by it, not by the marker's own time.
	AttrDeadLetterEventTime = "audit.dead_letter.event_time"
	// AttrDeadLetterReason is the exporter's bounded reason for refusing it.
	AttrDeadLetterReason = "audit.dead_letter.reason"
)

// Structured-metadata keys under which the audit_loki exporter writes a marker's event time and
// reason, and the Loki report source reads them.
const (
	LokiMetaEventTime = "event_time"
	LokiMetaReason    = "reason"
)

// DeadLetter describes one event an exporter dead-lettered.
type DeadLetter struct {
	// Tenant is the event's tenant; the marker goes to the same tenant.
	Tenant string
	// EventID is the event's id; it becomes the marker's target.
	EventID string
	// EventTime is the event's own time.
	EventTime time.Time
	// Reason is the exporter's bounded reason (a dead-letter metric reason).
	Reason string
	// At is when the event was dead-lettered: the marker's time, so that a store that refuses
	// old or future entries accepts it.
	At time.Time
}

// Event returns the marker as an audit-of-audit event: author system, outcome failure,
// target the dead-lettered event id.
func (d *DeadLetter) Event() Event {
	return Event{
		Time:    d.At,
		Tenant:  d.Tenant,
		Author:  audit.AuthorSystem,
		Action:  ActionEventDeadLettered,
		Target:  d.EventID,
		Outcome: audit.OutcomeFailure,
		Description: "Event " + d.EventID + " of " + d.EventTime.UTC().Format(time.RFC3339Nano) +
			" could not be delivered (" + d.Reason + ")",
	}
}

// MarkerID is the marker's event id. Unlike Event.EventID it leaves out the marker's own time,
// so that the same event dead-lettered again for the same reason (a batch redelivered after a
// crash) yields the same id and readers count it once.
func (d *DeadLetter) MarkerID() string {
	raw := pcommon.NewValueMap()
	m := raw.Map()
	m.PutStr("tenant", d.Tenant)
	m.PutStr("action", ActionEventDeadLettered)
	m.PutStr("target", d.EventID)
	m.PutStr("reason", d.Reason)
	return audit.HashEventID(SourceName, d.EventTime.UnixNano(), raw)
}

// DeadLetterLogs returns the markers as log records, in order, one resource each, shaped as
// NewLogs shapes every audit-of-audit event, with the marker id and the event time and reason
// attributes.
func DeadLetterLogs(markers ...DeadLetter) plog.Logs {
	events := make([]Event, len(markers))
	for i := range markers {
		events[i] = markers[i].Event()
	}
	ld := NewLogs(events...)
	for i := range markers {
		a := ld.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords().At(0).Attributes()
		a.PutStr(audit.AttrEventID, markers[i].MarkerID())
		a.PutStr(AttrDeadLetterEventTime, markers[i].EventTime.UTC().Format(time.RFC3339Nano))
		a.PutStr(AttrDeadLetterReason, markers[i].Reason)
	}
	return ld
}
