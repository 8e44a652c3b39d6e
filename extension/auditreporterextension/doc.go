// Package auditreporterextension implements the audit_reporter extension: the report engine.
// It reads normalised audit events from a source (the local spool the audit_report exporter
// writes, by default) and delivers scheduled CSV/XLSX reports per tenant by email, as
// attachments or signed download links, once per period; it serves those links, the
// on-demand export API ("Generate log file") and the manifest signing keys on links.server,
// and emits every delivery and export as an audit event through an audit_events extension.
//
// It is an extension rather than an exporter so that one reporter can serve a fleet of
// gateways: its ledger is its own file, and its events may come from another store than a
// local spool.
package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"
