package auditwebhookreceiver

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

// Attributes this receiver adds besides audit.source and audit.tenant.
const (
	// attrEndpoint (resource) is the endpoint kind that received the events.
	attrEndpoint = "audit.webhook.endpoint"
	// attrDeliveryID (record) is the sender's delivery id (webhook-id, X-GitHub-Delivery).
	attrDeliveryID = "audit.webhook.delivery_id"
	// attrGitHubEvent (record) is X-GitHub-Event of a webhook delivery: the payload's own
	// "action" ("created") only makes sense together with it ("repository").
	attrGitHubEvent = "github.event"
	attrServiceName = "service.name"
)

// batchMeta is what a request contributes to each of its records.
type batchMeta struct {
	endpoint    string
	serviceName string
	source      string
	tenant      string
	deliveryID  string
	githubEvent string
}

// logsBuilder turns the events of one request into one ResourceLogs, one record per event,
// as the parser emits them: an event's decoded tree is garbage once its record is built.
// Records carry the receipt time as ObservedTimestamp and no Timestamp: the normaliser reads
// the event time per source profile.
type logsBuilder struct {
	meta     batchMeta
	logs     plog.Logs
	records  plog.LogRecordSlice
	observed pcommon.Timestamp
}

func newLogsBuilder(meta batchMeta, observed time.Time) *logsBuilder {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(attrServiceName, meta.serviceName)
	rl.Resource().Attributes().PutStr(attrEndpoint, meta.endpoint)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	return &logsBuilder{meta: meta, logs: logs, records: sl.LogRecords(), observed: pcommon.NewTimestampFromTime(observed)}
}

func (b *logsBuilder) add(ev event) {
	lr := b.records.AppendEmpty()
	lr.SetObservedTimestamp(b.observed)
	// FromRaw cannot fail here: decoding produced only types it accepts.
	_ = lr.Body().SetEmptyMap().FromRaw(ev)
	attrs := lr.Attributes()
	attrs.PutStr(audit.AttrSource, b.meta.source)
	if b.meta.tenant != "" {
		attrs.PutStr(audit.AttrTenant, b.meta.tenant)
	}
	if b.meta.deliveryID != "" {
		attrs.PutStr(attrDeliveryID, b.meta.deliveryID)
	}
	if b.meta.githubEvent != "" {
		attrs.PutStr(attrGitHubEvent, b.meta.githubEvent)
	}
}

func (b *logsBuilder) count() int { return b.records.Len() }
