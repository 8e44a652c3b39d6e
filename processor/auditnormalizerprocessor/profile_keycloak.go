package auditnormalizerprocessor

import (
	"encoding/json"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// keycloakProfile maps Keycloak user and admin events in the shapes they reach us:
//   - the event store's and admin API's JSON (the Event and AdminEvent representations);
//   - the JBoss logging listener's key=value line (parsed by parseKeycloakLogLine), where the
//     admin event's author fields and the user event's details sit at the top level;
//   - Phase Two's keycloak-events webhooks, which prefix the type ("access.LOGIN",
//     "admin.USER-CREATE"), put the actor in authDetails and the id in uid.
type keycloakProfile struct{}

func (keycloakProfile) detect(m pcommon.Map) bool {
	if hasValue(m, "type") && has(m, "realmId") {
		return true
	}
	return hasValue(m, "operationType") && (has(m, "resourceType") || has(m, "authDetails"))
}

// Type prefixes of Phase Two's keycloak-events webhooks.
const (
	phaseTwoAccess = "access."
	phaseTwoAdmin  = "admin."
)

func (keycloakProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	ev.tenant = strNotNull(m, "realmId")
	ev.eventID = firstNonEmpty(strNotNull(m, "id"), strNotNull(m, "uid"))
	ev.addTime(m, "time")
	typ := str(m, "type")
	op := strNotNull(m, "operationType")
	if rest, ok := strings.CutPrefix(typ, phaseTwoAdmin); ok && op == "" {
		// "admin.USER-CREATE": the resource type and the operation, when not also given apart.
		if i := strings.LastIndexByte(rest, '-'); i > 0 {
			op = rest[i+1:]
		} else {
			op = rest
		}
	}
	ad, hasAuth := sub(m, "authDetails")
	if !hasAuth {
		ad = emptyMap
	}
	if op != "" {
		keycloakAdminEvent(m, ad, hasAuth, typ, op, ev)
		return
	}
	ev.name = strings.TrimPrefix(typ, phaseTwoAccess)
	// The author is the user name as typed: for LOGIN_ERROR with user_not_found there is no
	// user id, and the attempted name is the only author there is.
	ev.authorID = firstNonEmpty(strNotNull(m, "userId"), strNotNull(ad, "userId"))
	ev.author = firstNonEmpty(subStr(m, "details", "username"), strNotNull(ad, "username"), strNotNull(m, "username"), ev.authorID)
	ev.clientAddr = ipOnly(firstNonEmpty(strNotNull(m, "ipAddress"), strNotNull(ad, "ipAddress")))
	ev.target = firstNonEmpty(strNotNull(m, "clientId"), strNotNull(ad, "clientId"))
	// Keycloak records user events once they happened; failures have their own *_ERROR types.
	if strings.HasSuffix(ev.name, "_ERROR") {
		ev.outcome = audit.OutcomeFailure
		ev.failReason = strNotNull(m, "error")
	} else {
		ev.outcome = audit.OutcomeSuccess
	}
}

func keycloakAdminEvent(m, ad pcommon.Map, hasAuth bool, typ, op string, ev *event) {
	rt := strNotNull(m, "resourceType")
	if rt == "" {
		if rest, ok := strings.CutPrefix(typ, phaseTwoAdmin); ok {
			if i := strings.LastIndexByte(rest, '-'); i > 0 {
				rt = rest[:i]
			}
		}
	}
	if rt != "" {
		ev.name = rt + "." + op
	} else {
		ev.name = op
	}
	if hasAuth {
		ev.authorID = strNotNull(ad, "userId")
		ev.author = firstNonEmpty(strNotNull(ad, "username"), ev.authorID)
		ev.clientAddr = ipOnly(strNotNull(ad, "ipAddress"))
		if ev.tenant == "" {
			ev.tenant = strNotNull(ad, "realmId")
		}
	} else {
		// The logging listener's line carries the author's fields at the top level.
		ev.authorID = strNotNull(m, "userId")
		ev.author = firstNonEmpty(strNotNull(m, "username"), ev.authorID)
		ev.clientAddr = ipOnly(strNotNull(m, "ipAddress"))
	}
	ev.target = strNotNull(m, "resourcePath")
	if rep, ok := m.Get("representation"); ok {
		keycloakRepresentation(rep, rt, ev)
	}
	if e := strNotNull(m, "error"); e != "" {
		ev.outcome = audit.OutcomeFailure
		ev.failReason = e
	} else {
		ev.outcome = audit.OutcomeSuccess
	}
}

// keycloakNamed is the part of a representation that names it: a user's username, a role's
// or group's name, a client's clientId, an identity provider's alias.
type keycloakNamed struct {
	Username string `json:"username"`
	Name     string `json:"name"`
	ClientID string `json:"clientId"`
	Alias    string `json:"alias"`
}

func (k keycloakNamed) name() string {
	return firstNonEmpty(k.Username, k.Name, k.ClientID, k.Alias)
}

// keycloakRepresentation reads the name of the object an admin event acted on from its
// representation (a JSON string; a map when a pipeline parsed it). A role mapping or a group
// membership carries the roles or group granted: they are the description's object, and the
// target stays the resource path (the user). Otherwise the representation is the target.
func keycloakRepresentation(rep pcommon.Value, resourceType string, ev *event) {
	var name string
	switch rep.Type() {
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(rep.Str())
		if s == "" {
			return
		}
		if s[0] == '[' {
			var list []keycloakNamed
			if json.Unmarshal([]byte(s), &list) == nil && len(list) > 0 {
				name = list[0].name()
			}
		} else {
			var one keycloakNamed
			if json.Unmarshal([]byte(s), &one) == nil {
				name = one.name()
			}
		}
	case pcommon.ValueTypeMap:
		r := rep.Map()
		name = firstNonEmpty(str(r, "username"), str(r, "name"), str(r, "clientId"), str(r, "alias"))
	case pcommon.ValueTypeSlice:
		if rep.Slice().Len() > 0 && rep.Slice().At(0).Type() == pcommon.ValueTypeMap {
			name = str(rep.Slice().At(0).Map(), "name")
		}
	}
	if name == "" {
		return
	}
	switch {
	case strings.HasSuffix(resourceType, "ROLE_MAPPING"):
		ev.object, ev.objectKind = name, "role"
	case resourceType == "GROUP_MEMBERSHIP":
		ev.object, ev.objectKind = name, "group"
	default:
		ev.target = name
		ev.targetKind = keycloakKind(resourceType)
	}
}

// keycloakKind names common resource types in the description.
func keycloakKind(resourceType string) string {
	switch resourceType {
	case "USER":
		return "user"
	case "GROUP":
		return "group"
	case "CLIENT":
		return "client"
	case "REALM_ROLE", "CLIENT_ROLE":
		return "role"
	case "IDENTITY_PROVIDER":
		return "identity provider"
	default:
		return ""
	}
}
