// Package auditeventsreceiver forwards the audit-of-audit events emitted through an
// audit_events extension into its logs pipeline.
package auditeventsreceiver // import "github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver"
