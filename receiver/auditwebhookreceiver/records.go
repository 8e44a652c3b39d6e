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

// buildLogs turns the events of one request into one ResourceLogs, one record per event.
func buildLogs(meta batchMeta, events []event, observed time.Time) plog.Logs {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(attrServiceName, meta.serviceName)
	rl.Resource().Attributes().PutStr(attrEndpoint, meta.endpoint)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	records := sl.LogRecords()
	records.EnsureCapacity(len(events))
	obs := pcommon.NewTimestampFromTime(observed)
	for _, ev := range events {
		lr := records.AppendEmpty()
		lr.SetObservedTimestamp(obs)
		if ts, ok := eventTime(meta.source, ev, observed); ok {
			lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		}
		// FromRaw cannot fail here: decoding produced only types it accepts.
		_ = lr.Body().SetEmptyMap().FromRaw(ev)
		attrs := lr.Attributes()
		attrs.PutStr(audit.AttrSource, meta.source)
		attrs.PutStr(audit.AttrTenant, meta.tenant)
		if meta.deliveryID != "" {
			attrs.PutStr(attrDeliveryID, meta.deliveryID)
		}
		if meta.githubEvent != "" {
			attrs.PutStr(attrGitHubEvent, meta.githubEvent)
		}
	}
	return logs
}

// Plausible event times: anything outside is left for the normaliser, which flags it.
var (
	minPlausible = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxAhead     = 24 * time.Hour
)

// eventTime reads the event time where each source's published format puts it, when that is
// cheap and unambiguous. Anything else is left unset for the normaliser's per-profile parsing.
func eventTime(source string, ev event, now time.Time) (time.Time, bool) {
	var t time.Time
	var ok bool
	switch source {
	case audit.SourceOkta:
		t, ok = rfc3339(ev["published"])
	case audit.SourceKubernetes:
		if t, ok = rfc3339(ev["stageTimestamp"]); !ok {
			t, ok = rfc3339(ev["requestReceivedTimestamp"])
		}
	case audit.SourceCloudTrail:
		t, ok = rfc3339(ev["eventTime"])
	case audit.SourceGitHub:
		if t, ok = epochMillis(ev["@timestamp"]); !ok {
			if t, ok = epochMillis(ev["created_at"]); !ok {
				t, ok = rfc3339(ev["created_at"])
			}
		}
	default:
		// Generic senders use many conventions; only unambiguous RFC 3339 strings are read.
		for _, k := range []string{"timestamp", "time", "@timestamp", "eventTime"} {
			if t, ok = rfc3339(ev[k]); ok {
				break
			}
		}
	}
	if !ok || t.Before(minPlausible) || t.After(now.Add(maxAhead)) {
		return time.Time{}, false
	}
	return t, true
}

func rfc3339(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func epochMillis(v any) (time.Time, bool) {
	switch n := v.(type) {
	case int64:
		return time.UnixMilli(n), true
	case float64:
		return time.UnixMilli(int64(n)), true
	default:
		return time.Time{}, false
	}
}
