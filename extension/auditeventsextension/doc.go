// Package auditeventsextension is the hub through which components of this distribution
// turn their own actions (exports requested, completed, failed and downloaded; scheduled
// reports delivered) into audit events of the audit model. A component finds the hub with
// host.GetExtensions() and calls Emit; the audit_events receiver attaches to the same hub
// and forwards what is emitted into its logs pipeline, so the events are normalised, sent
// to Loki and spooled for reports like any other audit event.
package auditeventsextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension"
