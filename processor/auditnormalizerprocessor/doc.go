// Package auditnormalizerprocessor implements the audit_normalizer processor. It maps audit
// events from known sources (OpenTelemetry semantic conventions, Okta, GitHub, Kubernetes,
// AWS CloudTrail, Keycloak, Google Cloud Audit Logs, the Azure Activity Log and Entra ID logs,
// and a configurable generic source) onto the otelcol-audit event model defined in
// internal/audit: author, category, summary, description, outcome, tenant, target, event id
// and the event's own time. See docs/audit-model.md.
package auditnormalizerprocessor // import "github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor"
