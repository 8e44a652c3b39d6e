// Package envelope names the containers vendors wrap audit events in, and recognises them in
// a decoded JSON object. The webhook receiver walks the same keys in its streaming parser; the
// normaliser opens envelopes that reach it inside one log record (a forwarder, a storage
// notification function, a file reader). See docs/audit-model.md#envelopes.
package envelope

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Keys and values that make an object an envelope.
const (
	// KeyCloudTrailRecords holds the records of a CloudTrail delivery file:
	// {"Records": [record, ...]}.
	KeyCloudTrailRecords = "Records"
	// KeyAzureRecords holds the records of an Azure diagnostic export or Event Hub message:
	// {"records": [record, ...]}.
	KeyAzureRecords = "records"

	// KeyKind, KeyAPIVersion and KeyItems make the Kubernetes audit webhook backend's
	// {"kind": "EventList", "apiVersion": "audit.k8s.io/v1", "items": [event, ...]}.
	KeyKind       = "kind"
	KeyAPIVersion = "apiVersion"
	KeyItems      = "items"
	// KindEventList is the kind of a list of Kubernetes audit events.
	KindEventList = "EventList"
	// KubernetesAuditV1 is the API version the webhook backend is configured to post.
	KubernetesAuditV1 = "audit.k8s.io/v1"
	// KubernetesAuditGroup prefixes every version of the audit API.
	KubernetesAuditGroup = "audit.k8s.io/"

	// KeyOktaData and KeyOktaEvents hold the events of an Okta event hook delivery:
	// {"eventType": "com.okta.event_hook", "data": {"events": [LogEvent, ...]}}.
	KeyOktaData   = "data"
	KeyOktaEvents = "events"
	// KeyOktaEventType names what the delivery is; in an event hook, OktaEventHookType.
	KeyOktaEventType  = "eventType"
	OktaEventHookType = "com.okta.event_hook"

	// KeyEventBridgeDetail holds the CloudTrail record of an EventBridge event:
	// {"detail-type": "AWS API Call via CloudTrail", "detail": record}. The normaliser's
	// cloudtrail profile reads detail in place, so that audit.original keeps the EventBridge
	// fields; the receiver's CloudTrail endpoint emits detail.
	KeyEventBridgeDetail = "detail"

	// KeyHECEvent holds the event of a Splunk HTTP Event Collector envelope:
	// {"event": event, "time": ..., "sourcetype": ...}.
	KeyHECEvent = "event"

	// KeyAzureCategory, KeyAzureProperties and KeyAzureLog locate the Kubernetes audit event
	// of an Azure Kubernetes Service diagnostic record: {"category": "kube-audit",
	// "properties": {"log": "<audit event as JSON>"}}.
	KeyAzureCategory       = "category"
	KeyAzureProperties     = "properties"
	KeyAzureLog            = "log"
	CategoryKubeAudit      = "kube-audit"
	CategoryKubeAuditAdmin = "kube-audit-admin"

	// KeyPubSubMessage and KeyPubSubData locate the base64 LogEntry of a Pub/Sub push:
	// {"message": {"data": "<base64>", "messageId": "..."}, "subscription": "..."}.
	KeyPubSubMessage      = "message"
	KeyPubSubData         = "data"
	KeyPubSubSubscription = "subscription"
	KeyPubSubMessageID    = "messageId"
	// KeyPubSubMessageIDSnake is how some push clients spell messageId.
	KeyPubSubMessageIDSnake = "message_id"
)

// Shape is a kind of envelope.
type Shape uint8

// Envelope shapes. The first four hold any number of events, the others exactly one.
const (
	None Shape = iota
	CloudTrailRecords
	AzureRecords
	KubernetesEventList
	OktaEventHook
	SplunkHEC
	AKSKubeAudit
	PubSubPush
)

var shapeNames = [...]string{
	None:                "none",
	CloudTrailRecords:   "cloudtrail_records",
	AzureRecords:        "azure_records",
	KubernetesEventList: "kubernetes_event_list",
	OktaEventHook:       "okta_event_hook",
	SplunkHEC:           "splunk_hec",
	AKSKubeAudit:        "aks_kube_audit",
	PubSubPush:          "pubsub_push",
}

// String is the shape's name, fit for a metric attribute.
func (s Shape) String() string {
	if int(s) < len(shapeNames) {
		return shapeNames[s]
	}
	return shapeNames[None]
}

// Multi reports whether the shape holds a list of events rather than one.
func (s Shape) Multi() bool {
	return s >= CloudTrailRecords && s <= OktaEventHook
}

// MultiShapes lists the shapes that hold a list of events.
var MultiShapes = []Shape{CloudTrailRecords, AzureRecords, KubernetesEventList, OktaEventHook}

// isHECKey reports whether k is a key of a Splunk HEC envelope other than its event.
func isHECKey(k string) bool {
	switch k {
	case "time", "host", "source", "sourcetype", "index", "fields":
		return true
	}
	return false
}

// Open tells which envelope m is, and returns what holds its event(s):
//   - for a multi-event shape, the slice of events, every one an object;
//   - for Splunk HEC, the event object;
//   - for AKS kube-audit, properties.log (a JSON string, or an object);
//   - for a Pub/Sub push, message.data (a base64 string).
//
// Content reaching the normaliser may come from anywhere, so the rules are strict enough not
// to take an event for an envelope: Records and records must be the object's only key,
// an EventList must be of the audit API, an Okta delivery must say it is an event hook, and a
// HEC envelope may hold nothing but HEC keys. An envelope whose list holds something other
// than objects is none: nothing of it is dropped by splitting.
//
// Keys are read in one pass, so an object that is no envelope costs one walk of its keys.
func Open(m pcommon.Map) (Shape, pcommon.Value) {
	var records, azureRecords, kind, apiVersion, items, data, eventType, hecEvent, category, properties, message, subscription field
	onlyHEC := true
	m.Range(func(k string, v pcommon.Value) bool {
		switch k {
		case KeyCloudTrailRecords:
			records.set(v)
		case KeyAzureRecords:
			azureRecords.set(v)
		case KeyKind:
			kind.set(v)
		case KeyAPIVersion:
			apiVersion.set(v)
		case KeyItems:
			items.set(v)
		case KeyOktaData:
			data.set(v)
		case KeyOktaEventType:
			eventType.set(v)
		case KeyHECEvent:
			hecEvent.set(v)
		case KeyAzureCategory:
			category.set(v)
		case KeyAzureProperties:
			properties.set(v)
		case KeyPubSubMessage:
			message.set(v)
		case KeyPubSubSubscription:
			subscription.set(v)
		}
		if k != KeyHECEvent && !isHECKey(k) {
			onlyHEC = false
		}
		return true
	})
	only := m.Len() == 1
	switch {
	case only && records.objectSlice():
		return CloudTrailRecords, records.v
	case only && azureRecords.objectSlice():
		return AzureRecords, azureRecords.v
	case kind.str() == KindEventList && strings.HasPrefix(apiVersion.str(), KubernetesAuditGroup) && items.objectSlice():
		return KubernetesEventList, items.v
	case data.isMap() && eventType.str() == OktaEventHookType:
		if evs, ok := data.v.Map().Get(KeyOktaEvents); ok && isObjectSlice(evs) {
			return OktaEventHook, evs
		}
	case (category.str() == CategoryKubeAudit || category.str() == CategoryKubeAuditAdmin) && properties.isMap():
		if log, ok := properties.v.Map().Get(KeyAzureLog); ok && (log.Type() == pcommon.ValueTypeStr || log.Type() == pcommon.ValueTypeMap) {
			return AKSKubeAudit, log
		}
	case message.isMap():
		msg := message.v.Map()
		_, hasID := msg.Get(KeyPubSubMessageID)
		_, hasSnakeID := msg.Get(KeyPubSubMessageIDSnake)
		if subscription.ok || hasID || hasSnakeID {
			if d, ok := msg.Get(KeyPubSubData); ok && d.Type() == pcommon.ValueTypeStr && d.Str() != "" {
				return PubSubPush, d
			}
		}
	case onlyHEC && hecEvent.isMap():
		return SplunkHEC, hecEvent.v
	}
	return None, pcommon.Value{}
}

// field is a value Open found, or none: a zero pcommon.Value cannot be asked its type.
type field struct {
	v  pcommon.Value
	ok bool
}

func (f *field) set(v pcommon.Value) { f.v, f.ok = v, true }

func (f field) isMap() bool { return f.ok && f.v.Type() == pcommon.ValueTypeMap }

func (f field) objectSlice() bool { return f.ok && isObjectSlice(f.v) }

// str is the value when it is a string, else "".
func (f field) str() string {
	if f.ok && f.v.Type() == pcommon.ValueTypeStr {
		return f.v.Str()
	}
	return ""
}

// isObjectSlice reports whether v is a slice whose elements are all objects.
func isObjectSlice(v pcommon.Value) bool {
	if v.Type() != pcommon.ValueTypeSlice {
		return false
	}
	s := v.Slice()
	for i := 0; i < s.Len(); i++ {
		if s.At(i).Type() != pcommon.ValueTypeMap {
			return false
		}
	}
	return true
}
