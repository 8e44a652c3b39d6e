package auditnormalizerprocessor

import (
	"encoding/base64"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// parseTextEvent reads an event from a string body: a JSON object, a JSON object after a log
// prefix ("2026-11-30 10:00:00,123 INFO [org.keycloak.events] (executor-thread-1) {…}"), or
// the key=value line of Keycloak's JBoss logging event listener.
func parseTextEvent(s string) (pcommon.Map, bool) {
	if m, ok := parseJSONObject(s); ok {
		return m, true
	}
	if i := strings.IndexByte(s, '{'); i > 0 {
		if j := strings.LastIndexByte(s, '}'); j > i {
			if m, ok := parseJSONObject(s[i : j+1]); ok {
				return m, true
			}
		}
	}
	return parseKeycloakLogLine(s)
}

// parseKeycloakLogLine reads the line Keycloak's JBoss logging event listener writes:
//
//	type=LOGIN_ERROR, realmId=acme, clientId=portal, userId=null, ipAddress=203.0.113.9, error=user_not_found, username=admin
//	operationType=CREATE, realmId=master, clientId=admin-cli, userId=…, ipAddress=…, resourceType=USER, resourcePath=users/…
//
// possibly after a log prefix. Values are bare, or quoted with ' or " (newer releases quote
// every value). Keys keep their first value; detail keys ("username") sit at the top level.
func parseKeycloakLogLine(s string) (pcommon.Map, bool) {
	if !strings.Contains(s, "realmId=") {
		return pcommon.Map{}, false
	}
	start := keyIndex(s, "type=")
	if op := keyIndex(s, "operationType="); op >= 0 && (start < 0 || op < start) {
		start = op
	}
	if start < 0 {
		return pcommon.Map{}, false
	}
	m := pcommon.NewMap()
	rest := s[start:]
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			break
		}
		key := strings.TrimSpace(rest[:eq])
		rest = rest[eq+1:]
		var value string
		value, rest = kvValue(rest)
		if _, dup := m.Get(key); !dup && key != "" {
			m.PutStr(key, value)
		}
		rest = strings.TrimLeft(rest, " ")
		rest = strings.TrimPrefix(rest, ",")
		rest = strings.TrimLeft(rest, " ")
	}
	if !has(m, "realmId") {
		return pcommon.Map{}, false
	}
	return m, true
}

// keyIndex finds key at the start of s or after a space.
func keyIndex(s, key string) int {
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], key)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || s[i-1] == ' ' {
			return i
		}
		off = i + 1
	}
	return -1
}

// kvValue reads one value and returns it with the text after it.
func kvValue(s string) (value, rest string) {
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		q := s[0]
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case q:
				return s[1:i], s[i+1:]
			}
		}
		return s[1:], ""
	}
	if s != "" && s[0] == '[' {
		if i := strings.IndexByte(s, ']'); i > 0 {
			return s[:i+1], s[i+1:]
		}
	}
	if i := strings.Index(s, ", "); i >= 0 {
		return strings.TrimSpace(s[:i]), s[i:]
	}
	return strings.TrimSpace(s), ""
}

// maxEnvelopeDepth bounds how many envelopes are opened around one event.
const maxEnvelopeDepth = 4

// unwrapEnvelope returns the single event an envelope holds, or m itself. Envelopes with more
// than one event are split into records before this processor (by the receiver); one that
// still arrives here with a single event is opened, so that the event maps with its profile:
//   - Azure diagnostic export and Event Hub {"records": [...]}, CloudTrail {"Records": [...]};
//   - Azure Kubernetes Service audit logs: category kube-audit (or kube-audit-admin) with the
//     Kubernetes audit event as a JSON string in properties.log;
//   - the Kubernetes webhook backend's EventList, Okta event hooks' data.events;
//   - a Pub/Sub push of a Google Cloud LogEntry, base64 in message.data.
func unwrapEnvelope(m pcommon.Map) pcommon.Map {
	for depth := 0; depth < maxEnvelopeDepth; depth++ {
		inner, ok := envelopeItem(m)
		if !ok {
			break
		}
		m = inner
	}
	return m
}

func envelopeItem(m pcommon.Map) (pcommon.Map, bool) {
	if item, ok := singleItem(m, "records"); ok {
		return item, true
	}
	if item, ok := singleItem(m, "Records"); ok {
		return item, true
	}
	if c := str(m, "category"); c == "kube-audit" || c == "kube-audit-admin" {
		if props, ok := sub(m, "properties"); ok {
			if log, ok := props.Get("log"); ok {
				switch log.Type() {
				case pcommon.ValueTypeStr:
					return parseJSONObject(log.Str())
				case pcommon.ValueTypeMap:
					return log.Map(), true
				}
			}
		}
	}
	if str(m, "kind") == "EventList" {
		return singleItem(m, "items")
	}
	if d, ok := sub(m, "data"); ok {
		if item, ok := singleItem(d, "events"); ok {
			return item, true
		}
	}
	if msg, ok := sub(m, "message"); ok && (has(m, "subscription") || has(msg, "messageId") || has(msg, "message_id")) {
		if data := str(msg, "data"); data != "" {
			if b, err := base64.StdEncoding.DecodeString(data); err == nil {
				return parseJSONObject(string(b))
			}
			if b, err := base64.URLEncoding.DecodeString(data); err == nil {
				return parseJSONObject(string(b))
			}
		}
	}
	return pcommon.Map{}, false
}

// singleItem returns m[key][0] when m[key] is a slice of exactly one map.
func singleItem(m pcommon.Map, key string) (pcommon.Map, bool) {
	v, ok := m.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeSlice || v.Slice().Len() != 1 {
		return pcommon.Map{}, false
	}
	if item := v.Slice().At(0); item.Type() == pcommon.ValueTypeMap {
		return item.Map(), true
	}
	return pcommon.Map{}, false
}
