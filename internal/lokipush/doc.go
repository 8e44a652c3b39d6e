// Package lokipush is the wire side of Loki's push API, shared by the audit_loki exporter and
// cmd/lokireplay: entries grouped into a push.PushRequest, protobuf with snappy, one POST
// per tenant with X-Scope-OrgID, and the answer classified as sent, retryable (with
// Retry-After) or refused (with the reason Loki counts it under).
//
// It also defines the dead-letter record, the JSON line the exporter writes for an entry that
// cannot be delivered and lokireplay reads back, so that both sides agree on its shape.
//
// How records become entries (labels, structured metadata, the line) is the exporter's
// business and stays there.
package lokipush // import "github.com/otelcol-audit/otelcol-audit/internal/lokipush"
