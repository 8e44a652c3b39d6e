package auditnormalizerprocessor

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// gcpProfile maps Google Cloud Audit Logs: a LogEntry whose protoPayload is an AuditLog
// (Admin Activity, Data Access, System Event and Policy Denied logs alike). A Pub/Sub push of
// the LogEntry is opened by unwrapEnvelope.
type gcpProfile struct{}

func (gcpProfile) detect(m pcommon.Map) bool {
	pp, ok := sub(m, "protoPayload")
	if !ok {
		return false
	}
	return strings.HasSuffix(str(pp, "@type"), "audit.AuditLog") || (has(pp, "methodName") && has(pp, "serviceName"))
}

func (gcpProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	pp, ok := sub(m, "protoPayload")
	if !ok {
		// Pinned to this profile by audit.source, but not a LogEntry.
		pp = emptyMap
	}
	service := str(pp, "serviceName")
	ev.name = str(pp, "methodName")
	head, _, _ := strings.Cut(service, ".")
	ev.categorySource = gcpServiceName(head)
	ev.categoryHint = gcpCategory(head, ev.name)
	if ai, ok := sub(pp, "authenticationInfo"); ok {
		ev.author = firstNonEmpty(str(ai, "principalEmail"), str(ai, "principalSubject"))
		if subject := str(ai, "principalSubject"); subject != ev.author {
			ev.authorID = subject
		}
	}
	// A status with a non-zero code is a failure; no status, or code 0 (OK), is a success.
	if st, ok := pp.Get("status"); ok {
		gcpOutcome(st, ev)
	} else {
		ev.outcome = audit.OutcomeSuccess
	}
	if rm, ok := sub(pp, "requestMetadata"); ok {
		// callerIp may read "private" or "gce-internal-ip": not addresses.
		ev.clientAddr = ipOnly(str(rm, "callerIp"))
		ev.userAgent = str(rm, "callerSuppliedUserAgent")
	}
	ev.target = str(pp, "resourceName")
	gcpPolicyDelta(pp, ev)
	ev.tenant = gcpProject(m)
	ev.eventID = str(m, "insertId")
	ev.addTime(m, "timestamp")
}

func gcpOutcome(st pcommon.Value, ev *event) {
	if st.Type() != pcommon.ValueTypeMap {
		ev.setOutcome(st)
		return
	}
	c, ok := st.Map().Get("code")
	if !ok || c.Type() == pcommon.ValueTypeEmpty {
		ev.outcome = audit.OutcomeSuccess
		return
	}
	code, ok := valueInt(c)
	switch {
	case !ok:
		ev.setOutcome(c)
	case code == 0:
		ev.outcome = audit.OutcomeSuccess
	default:
		ev.outcome = audit.OutcomeFailure
		ev.failReason = firstNonEmpty(str(st.Map(), "message"), gcpCodeName(code))
	}
}

// gcpCodeName names the google.rpc.Code values that audit logs carry.
func gcpCodeName(code int64) string {
	switch code {
	case 3:
		return "INVALID_ARGUMENT"
	case 5:
		return "NOT_FOUND"
	case 6:
		return "ALREADY_EXISTS"
	case 7:
		return "PERMISSION_DENIED"
	case 9:
		return "FAILED_PRECONDITION"
	case 16:
		return "UNAUTHENTICATED"
	default:
		return strconv.FormatInt(code, 10)
	}
}

// gcpPolicyDelta names the first role binding an IAM policy change adds or removes:
// "(role roles/owner for user:bob@example.com)".
func gcpPolicyDelta(pp pcommon.Map, ev *event) {
	sd, ok := sub(pp, "serviceData")
	if !ok {
		return
	}
	pd, ok := sub(sd, "policyDelta")
	if !ok {
		return
	}
	bd, ok := firstItem(pd, "bindingDeltas")
	if !ok {
		return
	}
	role, member := str(bd, "role"), str(bd, "member")
	if role == "" {
		return
	}
	ev.objectKind = "role"
	ev.object = role
	if member != "" {
		ev.object = role + " for " + member
	}
}

// gcpProject reads the project of the entry: resource.labels.project_id, else the project
// named in logName ("projects/<id>/logs/…").
func gcpProject(m pcommon.Map) string {
	if r, ok := sub(m, "resource"); ok {
		if p := subStr(r, "labels", "project_id"); p != "" {
			return p
		}
	}
	if rest, ok := strings.CutPrefix(str(m, "logName"), "projects/"); ok {
		if i := strings.IndexByte(rest, '/'); i > 0 {
			return rest[:i]
		}
	}
	return ""
}

// gcpServices spells the common services' names for audit.category.source.
var gcpServices = map[string]string{
	"iam": "IAM", "iamcredentials": "IAM Credentials", "sts": "STS", "compute": "Compute Engine",
	"storage": "Cloud Storage", "cloudresourcemanager": "Resource Manager",
	"secretmanager": "Secret Manager", "cloudkms": "Cloud KMS", "container": "Kubernetes Engine",
	"logging": "Cloud Logging", "bigquery": "BigQuery", "cloudsql": "Cloud SQL",
	"sqladmin": "Cloud SQL", "run": "Cloud Run", "cloudfunctions": "Cloud Functions",
	"pubsub": "Pub/Sub", "login": "Login", "admin": "Admin",
}

func gcpServiceName(head string) string {
	if head == "" {
		return ""
	}
	if n, ok := gcpServices[head]; ok {
		return n
	}
	return humanize(head)
}

// gcpCategory maps a method the catalogue does not name to the built-in set: IAM policy
// changes on any resource and IAM itself are Access control; sign-in and credential services
// Authentication; Secret Manager and Cloud KMS Secrets; log routing Settings; every other
// service Infrastructure.
func gcpCategory(service, method string) string {
	if strings.HasSuffix(method, "SetIamPolicy") || strings.HasSuffix(method, "setIamPolicy") || strings.HasSuffix(method, "setIamPermissions") {
		return audit.CategoryAccessControl
	}
	switch service {
	case "":
		return ""
	case "iam":
		return audit.CategoryAccessControl
	case "iamcredentials", "sts", "login", "oauth2":
		return audit.CategoryAuthentication
	case "secretmanager", "cloudkms":
		return audit.CategorySecrets
	case "logging":
		return audit.CategorySettings
	}
	return audit.CategoryInfrastructure
}
