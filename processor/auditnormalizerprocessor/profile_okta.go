package auditnormalizerprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// oktaProfile maps the Okta System Log LogEvent.
type oktaProfile struct{}

func (oktaProfile) detect(m pcommon.Map) bool {
	if !has(m, "eventType") {
		return false
	}
	if _, ok := sub(m, "actor"); !ok {
		return false
	}
	return has(m, "uuid") || has(m, "published")
}

func (oktaProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	ev.name = str(m, "eventType")
	if actor, ok := sub(m, "actor"); ok {
		ev.author = str(actor, "alternateId")
		if ev.author == "" || ev.author == "unknown" {
			ev.author = str(actor, "displayName")
		}
		if str(actor, "type") == "SystemPrincipal" {
			ev.author = audit.AuthorSystem
		}
		ev.authorID = str(actor, "id")
	}
	// Events without an outcome exist; they stay unknown. The LogEvent's outcome is an object
	// with a result; a bare value in its place is read too.
	if o, ok := m.Get("outcome"); ok {
		if om, isMap := sub(m, "outcome"); isMap {
			if r, ok := om.Get("result"); ok {
				ev.setOutcome(r)
			}
			ev.failReason = str(om, "reason")
		} else {
			ev.setOutcome(o)
		}
	}
	if c, ok := sub(m, "client"); ok {
		ev.clientAddr = ipOnly(str(c, "ipAddress"))
		ev.userAgent = subStr(c, "userAgent", "rawUserAgent")
	}
	oktaTargets(m, ev)
	if ev.object == "" {
		// Admin role grants name the role in the debug data.
		if dc, ok := sub(m, "debugContext"); ok {
			if role := subStr(dc, "debugData", "privilegeGranted"); role != "" {
				ev.object, ev.objectKind = role, "role"
			}
		}
	}
	ev.eventID = str(m, "uuid")
	ev.addTime(m, "published")
}

// oktaTargets reads target[]: the user acted upon (or else the first target) is the target;
// a group, application or other object next to it is the description's object
// ("Group member added by admin on bob (group Engineering)").
func oktaTargets(m pcommon.Map, ev *event) {
	v, ok := m.Get("target")
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return
	}
	targets := v.Slice()
	primary := -1
	for i := 0; i < targets.Len() && primary < 0; i++ {
		if t := targets.At(i); t.Type() == pcommon.ValueTypeMap {
			if typ := str(t.Map(), "type"); typ == "User" || typ == "AppUser" {
				primary = i
			}
		}
	}
	for i := 0; i < targets.Len(); i++ {
		t := targets.At(i)
		if t.Type() != pcommon.ValueTypeMap {
			continue
		}
		if primary < 0 {
			primary = i
		}
		if i == primary {
			ev.target = oktaName(t.Map())
			continue
		}
		if ev.object == "" {
			ev.object = oktaName(t.Map())
			ev.objectKind = oktaKind(str(t.Map(), "type"))
		}
	}
	// A sign-in names the user's own account next to the application signed in to: the
	// application is what was acted upon.
	if ev.target != "" && ev.target == ev.author && ev.object != "" {
		ev.target, ev.targetKind = ev.object, ev.objectKind
		ev.object, ev.objectKind = "", ""
	}
}

func oktaName(t pcommon.Map) string {
	name := str(t, "alternateId")
	if name == "" || name == "unknown" {
		name = str(t, "displayName")
	}
	return name
}

// oktaKind names Okta target types in the description.
func oktaKind(typ string) string {
	switch typ {
	case "UserGroup":
		return "group"
	case "AppInstance":
		return "application"
	case "User", "AppUser":
		return "user"
	case "PolicyEntity", "PolicyRule":
		return "policy"
	case "ROLE", "Role":
		return "role"
	default:
		return ""
	}
}
