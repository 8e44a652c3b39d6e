// Package audit defines the otelcol-audit event model: the attribute names every normalised
// log record carries, the outcome values, and the tenant and event-id rules that the
// receiver, the normaliser and the exporters share. See docs/audit-model.md.
package audit
