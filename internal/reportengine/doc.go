// Package reportengine holds what scheduled reports and on-demand exports share: one
// renderer that streams a tenant's events of a period into CSV/XLSX files (compressed or
// not) and describes them in manifests, one filter type and matcher, one download handler,
// one send-with-retry for report and notification emails, and one id generator.
//
// The audit_reporter extension drives it for scheduled reports (internal/reportengine plus
// its own scheduler and ledger) and through internal/exportjobs for exports, so that a
// report file and an export file of the same period are the same bytes.
package reportengine // import "github.com/otelcol-audit/otelcol-audit/internal/reportengine"
