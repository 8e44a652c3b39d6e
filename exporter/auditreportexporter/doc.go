// Package auditreportexporter implements the audit_report exporter: it stores normalised
// audit events in a durable, deduplicating spool and delivers scheduled CSV/XLSX reports per
// tenant by email, as attachments or signed download links, exactly once per period.
package auditreportexporter
