// Package auditreportexporter implements the audit_report exporter: it stores normalised
// audit events in the durable, deduplicating spool that an audit_reporter extension opened,
// and acknowledges them only once they are fsynced. The extension renders the scheduled
// reports and the on-demand exports from that spool.
package auditreportexporter // import "github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter"
