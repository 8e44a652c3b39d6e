package auditnormalizerprocessor

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// azureProfile maps the Azure Activity Log and Microsoft Entra ID sign-in and audit logs, as
// diagnostic settings export them (to storage or Event Hubs; the {"records": [...]} envelope
// is opened by unwrapEnvelope), and Activity Log events as the REST API returns them.
type azureProfile struct{}

func (azureProfile) detect(m pcommon.Map) bool {
	if !hasValue(m, "operationName") {
		return false
	}
	return has(m, "resourceId") || has(m, "tenantId") || has(m, "callerIpAddress") || has(m, "correlationId") || has(m, "caller")
}

// Claims of the caller's token in an Activity Log event.
const (
	claimUPN      = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
	claimName     = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	claimObjectID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	claimTenantID = "http://schemas.microsoft.com/identity/claims/tenantid"
)

func (azureProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	ev.name = azureValue(m, "operationName")
	category := azureValue(m, "category")
	props, ok := sub(m, "properties")
	if !ok {
		props = emptyMap
	}
	ev.tenant = str(m, "tenantId")
	switch {
	case strings.HasSuffix(category, "SignInLogs") || strings.EqualFold(ev.name, "Sign-in activity"):
		azureSignIn(m, props, ev)
		ev.categorySource = category
	case category == "AuditLogs":
		azureDirectoryAudit(m, props, ev)
		ev.categorySource = firstNonEmpty(str(props, "category"), category)
	default:
		azureActivity(m, props, category, ev)
		if !isAzureOperation(ev.name) {
			ev.categorySource = category
		}
	}
	if ev.tenant == "" {
		ev.tenant = azureSubscription(str(m, "resourceId"))
	}
}

// azureSignIn maps an Entra ID sign-in: properties.status.errorCode 0 is a success, any other
// code a failure that failureReason explains; the top-level resultType mirrors the code.
func azureSignIn(m, props pcommon.Map, ev *event) {
	ev.categoryHint = audit.CategoryAuthentication
	ev.author = firstNonEmpty(str(props, "userPrincipalName"), str(m, "identity"), str(props, "userDisplayName"))
	ev.authorID = str(props, "userId")
	if st, ok := sub(props, "status"); ok && has(st, "errorCode") {
		c, _ := st.Get("errorCode")
		azureCode(c, ev)
		ev.failReason = firstNonEmpty(str(st, "failureReason"), str(m, "resultDescription"), valueString(c))
	} else if rt, ok := m.Get("resultType"); ok {
		azureCode(rt, ev)
		ev.failReason = str(m, "resultDescription")
	}
	ev.clientAddr = ipOnly(firstNonEmpty(str(props, "ipAddress"), str(m, "callerIpAddress")))
	ev.userAgent = str(props, "userAgent")
	ev.target = firstNonEmpty(str(props, "appDisplayName"), str(props, "resourceDisplayName"))
	ev.eventID = firstNonEmpty(str(props, "id"), str(m, "correlationId"))
	ev.addTime(props, "createdDateTime")
	ev.addTime(m, "time")
}

// azureCode reads a result that is an error code (0 is a success) or a word.
func azureCode(v pcommon.Value, ev *event) {
	if n, ok := valueInt(v); ok {
		if n == 0 {
			ev.outcome = audit.OutcomeSuccess
		} else {
			ev.outcome = audit.OutcomeFailure
		}
		return
	}
	ev.setOutcome(v)
}

// azureDirectoryAudit maps an Entra ID audit log entry (directory changes).
func azureDirectoryAudit(m, props pcommon.Map, ev *event) {
	ev.categoryHint = entraCategory(str(props, "category"))
	if by, ok := sub(props, "initiatedBy"); ok {
		if u, ok := sub(by, "user"); ok {
			ev.author = firstNonEmpty(str(u, "userPrincipalName"), str(u, "displayName"))
			ev.authorID = str(u, "id")
			ev.clientAddr = ipOnly(str(u, "ipAddress"))
		} else if app, ok := sub(by, "app"); ok {
			ev.author = firstNonEmpty(str(app, "displayName"), str(app, "appId"))
			ev.authorID = str(app, "servicePrincipalId")
		}
	}
	if ev.clientAddr == "" {
		ev.clientAddr = ipOnly(str(m, "callerIpAddress"))
	}
	if r, ok := props.Get("result"); ok {
		ev.setOutcome(r)
	} else if r, ok := m.Get("resultType"); ok {
		ev.setOutcome(r)
	}
	ev.failReason = firstNonEmpty(str(props, "resultReason"), str(m, "resultDescription"))
	if v, ok := props.Get("targetResources"); ok && v.Type() == pcommon.ValueTypeSlice {
		ts := v.Slice()
		for i := 0; i < ts.Len() && i < 2; i++ {
			if ts.At(i).Type() != pcommon.ValueTypeMap {
				continue
			}
			t := ts.At(i).Map()
			name := firstNonEmpty(str(t, "userPrincipalName"), str(t, "displayName"), str(t, "id"))
			if i == 0 {
				ev.target, ev.targetKind = name, entraKind(str(t, "type"))
			} else {
				ev.object, ev.objectKind = name, entraKind(str(t, "type"))
			}
		}
	}
	ev.eventID = firstNonEmpty(str(props, "id"), str(m, "correlationId"))
	ev.addTime(props, "activityDateTime")
	ev.addTime(m, "time")
}

// azureActivity maps an Activity Log event: the diagnostic export's resultType (Start and
// Accept are intermediate: unknown until the Success or Failure event), or the REST API's
// status.value.
func azureActivity(m, props pcommon.Map, category string, ev *event) {
	ev.categoryHint = azureCategory(ev.name, category)
	claims := emptyMap
	if c, ok := sub(m, "claims"); ok {
		claims = c
	} else if id, ok := sub(m, "identity"); ok {
		if c, ok := sub(id, "claims"); ok {
			claims = c
		}
	}
	ev.author = firstNonEmpty(str(m, "caller"), str(claims, claimUPN), str(claims, claimName), str(claims, "name"), str(claims, "appid"))
	ev.authorID = str(claims, claimObjectID)
	if ev.tenant == "" {
		ev.tenant = str(claims, claimTenantID)
	}
	result := azureValue(m, "resultType")
	if result != "" {
		v, _ := m.Get("resultType")
		azureCode(v, ev)
	} else if st, ok := m.Get("status"); ok {
		result = azureValue(m, "status")
		ev.setOutcome(st)
	}
	if ev.outcome == audit.OutcomeFailure {
		ev.failReason = firstNonEmpty(str(props, "statusCode"), azureValue(m, "subStatus"), str(m, "resultSignature"))
	}
	ev.clientAddr = ipOnly(firstNonEmpty(str(m, "callerIpAddress"), subStr(m, "httpRequest", "clientIpAddress")))
	ev.target = str(m, "resourceId")
	// One operation logs a Start (or Accept) and a Success (or Failure) event under one
	// correlationId. The id dedupes repeats of a stage, not stages: the final event keeps the
	// bare correlationId, intermediate ones add their stage.
	ev.eventID = str(m, "eventDataId")
	if ev.eventID == "" {
		ev.eventID = str(m, "correlationId")
		if ev.eventID != "" && result != "" && ev.outcome == audit.OutcomeUnknown {
			ev.eventID += "/" + result
		}
	}
	ev.addTime(m, "time")
	ev.addTime(m, "eventTimestamp")
}

// azureValue reads a field that the diagnostic export writes as a string and the REST API as
// {"value": …, "localizedValue": …}.
func azureValue(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeMap {
		return str(v.Map(), "value")
	}
	return str(m, key)
}

// azureSubscription reads the subscription id of a resource id
// ("/subscriptions/<id>/resourceGroups/…"), in any case.
func azureSubscription(resourceID string) string {
	const prefix = "/subscriptions/"
	if len(resourceID) <= len(prefix) || !strings.EqualFold(resourceID[:len(prefix)], prefix) {
		return ""
	}
	rest := resourceID[len(prefix):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// azureCategory maps an operation the catalogue does not name to the built-in set by its
// resource provider: Microsoft.Authorization (role assignments and definitions) and managed
// identities are Access control, policies and locks Settings, Key Vault Secrets, diagnostic
// settings (where the audit trail goes) Settings, other providers Infrastructure.
func azureCategory(operation, category string) string {
	provider, rest, _ := strings.Cut(operation, "/")
	switch {
	case category == "Policy":
		return audit.CategorySettings
	case strings.EqualFold(provider, "Microsoft.Authorization"):
		if hasPrefixFold(rest, "policy") || hasPrefixFold(rest, "locks") {
			return audit.CategorySettings
		}
		return audit.CategoryAccessControl
	case strings.EqualFold(provider, "Microsoft.ManagedIdentity"):
		return audit.CategoryAccessControl
	case strings.EqualFold(provider, "Microsoft.KeyVault"):
		return audit.CategorySecrets
	case strings.EqualFold(provider, "Microsoft.Insights") && hasPrefixFold(rest, "diagnosticSettings"):
		return audit.CategorySettings
	case strings.EqualFold(provider, "Microsoft.aadiam"):
		return audit.CategorySettings
	case provider == "" || rest == "":
		return ""
	}
	return audit.CategoryInfrastructure
}

// entraCategory maps an Entra ID audit log category to the built-in set.
func entraCategory(c string) string {
	switch c {
	case "UserManagement":
		return audit.CategoryUsers
	case "RoleManagement", "GroupManagement", "ApplicationManagement", "EntitlementManagement":
		return audit.CategoryAccessControl
	case "Policy", "DirectoryManagement", "Device":
		return audit.CategorySettings
	case "Authentication", "UserAuthenticationMethod", "AuthenticationMethod":
		return audit.CategoryAuthentication
	default:
		return ""
	}
}

func entraKind(typ string) string {
	switch typ {
	case "User":
		return "user"
	case "Group":
		return "group"
	case "Role":
		return "role"
	case "Application", "ServicePrincipal":
		return "application"
	default:
		return ""
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
