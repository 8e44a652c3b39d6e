package auditnormalizerprocessor

import (
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// otelProfile maps records that follow the OpenTelemetry semantic conventions.
type otelProfile struct {
	targetKeys []string // otel::target_attributes
}

// detectRecord looks at the record, not at a raw payload: the event name or a user attribute.
func (otelProfile) detectRecord(lr plog.LogRecord) bool {
	if lr.EventName() != "" {
		return true
	}
	a := lr.Attributes()
	for _, k := range otelDetectKeys {
		if has(a, k) {
			return true
		}
	}
	return false
}

var otelDetectKeys = []string{"event.name", "user.id", "user.email", "user.name", "enduser.id"}

// detect is always false: the profile is chosen from the record by detectRecord, never from
// a raw event.
func (otelProfile) detect(pcommon.Map) bool { return false }

func (p otelProfile) extract(_ pcommon.Map, lr plog.LogRecord, ev *event) {
	a := lr.Attributes()
	ev.name = lr.EventName()
	if ev.name == "" {
		ev.name = str(a, "event.name")
	}
	var email, name, fullName, userID, enduserID string
	var outcome pcommon.Value
	var hasOutcome bool
	var errType string
	var status int64
	// One pass over the attributes instead of a lookup per key: records carry few, and most
	// of them are read here.
	a.Range(func(k string, v pcommon.Value) bool {
		switch k {
		case "user.email":
			email = valueString(v)
		case "user.name":
			name = valueString(v)
		case "user.full_name":
			fullName = valueString(v)
		case "user.id":
			userID = valueString(v)
		case "enduser.id":
			enduserID = valueString(v)
		case "event.outcome":
			outcome, hasOutcome = v, stated(v)
		case "error.type":
			errType = valueString(v)
		case "http.response.status_code":
			switch v.Type() {
			case pcommon.ValueTypeInt:
				status = v.Int()
			default:
				status, _ = valueInt(v)
			}
		case "user_agent.original":
			ev.userAgent = valueString(v)
		case "client.address":
			// Kept on the record as the producer sent it; only an IP address reaches the
			// description.
			ev.clientAddr = ipOnly(valueString(v))
		case "event.id":
			// Not a semantic convention yet, but the common spelling (ECS, CloudEvents
			// bridges) of a producer's own event id.
			ev.eventID = valueString(v)
		}
		return true
	})
	ev.author = firstNonEmpty(email, name, fullName, enduserID, userID)
	ev.authorID = firstNonEmpty(userID, enduserID)
	switch {
	case hasOutcome:
		ev.setOutcome(outcome)
	case errType != "" || status >= 400:
		ev.outcome = audit.OutcomeFailure
	case status > 0:
		ev.outcome = audit.OutcomeSuccess
	}
	// The reason is shown only when the outcome is failure.
	if errType != "" {
		ev.failReason = errType
	} else if status >= 400 {
		ev.failReason = strconv.FormatInt(status, 10)
	}
	for _, k := range p.targetKeys {
		if t := str(a, k); t != "" {
			ev.target = t
			break
		}
	}
	ev.timeNanos = int64(lr.Timestamp())
}
