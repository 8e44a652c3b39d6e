// Package auditwebhookreceiver receives audit events that sources POST as JSON (Okta event
// hooks, the Kubernetes audit webhook backend, CloudTrail through EventBridge, GitHub audit-log
// streams and webhooks, and generic senders), verifies who sent them over the raw body, and
// emits one log record per event, marked with its source profile and tenant for the
// audit_normalizer processor.
package auditwebhookreceiver // import "github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver"
