package auditnormalizerprocessor

import (
	"encoding/base64"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-audit/otelcol-audit/internal/envelope"
)

// parseTextEvent reads an event from a string body: a JSON object, a JSON object after a log
// prefix ("2026-11-30 10:00:00,123 INFO [org.keycloak.events] (executor-thread-1) {…}"), or
// the key=value line of Keycloak's JBoss logging event listener.
func parseTextEvent(s string) (pcommon.Map, bool) {
	if m, ok := parseJSONObject(s); ok {
		return m, true
	}
	return parsePrefixedEvent(s)
}

// parsePrefixedEvent reads a string body that is not a JSON object: a JSON object after a
// log prefix, or a Keycloak logging-listener line.
func parsePrefixedEvent(s string) (pcommon.Map, bool) {
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

// unwrapEnvelope returns the single event an envelope holds, or m itself (see envelope.Open):
//   - a Splunk HEC envelope's event;
//   - an Azure Kubernetes Service audit log (category kube-audit or kube-audit-admin): the
//     Kubernetes audit event, a JSON string in properties.log;
//   - a Pub/Sub push of a Google Cloud LogEntry, base64 in message.data;
//   - the one event of an envelope of events (CloudTrail Records, Azure records, an
//     EventList, an Okta event hook). Envelopes in the body are split into one record per
//     event before this (see split.go), so this is met only inside another envelope or in an
//     audit.original written by an earlier release.
//
// The envelope stays the raw event: it is what audit.original keeps.
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
	shape, v := envelope.Open(m)
	switch {
	case shape == envelope.None:
		return pcommon.Map{}, false
	case shape.Multi():
		if v.Slice().Len() == 1 {
			return v.Slice().At(0).Map(), true
		}
		return pcommon.Map{}, false
	case v.Type() == pcommon.ValueTypeMap:
		// A HEC event, or an AKS log that a forwarder already parsed.
		return v.Map(), true
	case shape == envelope.PubSubPush:
		data := v.Str()
		if b, err := base64.StdEncoding.DecodeString(data); err == nil {
			return parseJSONObject(string(b))
		}
		if b, err := base64.URLEncoding.DecodeString(data); err == nil {
			return parseJSONObject(string(b))
		}
		return pcommon.Map{}, false
	default:
		return parseJSONObject(v.Str())
	}
}
