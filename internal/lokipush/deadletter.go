package lokipush // import "github.com/otelcol-audit/otelcol-audit/internal/lokipush"

import (
	"sort"
	"time"

	"github.com/grafana/loki/pkg/push"
)

// DeadLetterRecord is one line of the audit_loki dead-letter file: an entry that was not
// delivered, with everything needed to push it again unchanged. cmd/lokireplay reads it back.
type DeadLetterRecord struct {
	// Tenant is the X-Scope-OrgID the entry was meant for; empty in single-tenant mode.
	Tenant string `json:"tenant"`
	// Reason is the bounded reason also counted in otelcol_audit_loki_dead_letter_total.
	Reason string `json:"reason"`
	// Error is Loki's answer, or the local validation that refused the entry.
	Error string `json:"error"`
	// Labels is the stream selector, e.g. {category="Authentication", service_name="lms"}.
	Labels string `json:"labels"`
	// Timestamp is the entry time, RFC 3339 with nanoseconds.
	Timestamp time.Time `json:"timestamp"`
	// Line is the rendered log line.
	Line string `json:"line"`
	// StructuredMetadata holds the entry's structured metadata.
	StructuredMetadata map[string]string `json:"structured_metadata,omitempty"`
}

// NewDeadLetterRecord returns the record of an entry refused for reason, errText being
// Loki's answer or the local check that refused it.
func NewDeadLetterRecord(tenant, reason, errText string, e *Entry) DeadLetterRecord {
	rec := DeadLetterRecord{Tenant: tenant, Reason: reason, Error: errText, Labels: e.Labels, Timestamp: e.Timestamp, Line: e.Line}
	if len(e.StructuredMetadata) > 0 {
		rec.StructuredMetadata = make(map[string]string, len(e.StructuredMetadata))
		for _, m := range e.StructuredMetadata {
			rec.StructuredMetadata[m.Name] = m.Value
		}
	}
	return rec
}

// Entry returns the record as an entry to push again. The file keeps structured metadata as
// a JSON object, whose order is lost, so it is sent sorted by name.
func (r *DeadLetterRecord) Entry() Entry {
	var meta push.LabelsAdapter
	if len(r.StructuredMetadata) > 0 {
		meta = make(push.LabelsAdapter, 0, len(r.StructuredMetadata))
		for k, v := range r.StructuredMetadata {
			meta = append(meta, push.LabelAdapter{Name: k, Value: v})
		}
		sort.Slice(meta, func(a, b int) bool { return meta[a].Name < meta[b].Name })
	}
	return Entry{Labels: r.Labels, Timestamp: r.Timestamp, Line: r.Line, StructuredMetadata: meta}
}
