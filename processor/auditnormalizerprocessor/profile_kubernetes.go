package auditnormalizerprocessor

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// kubernetesProfile maps the Kubernetes audit.k8s.io/v1 Event, also when Azure Kubernetes
// Service wrapped it (see unwrapEnvelope).
type kubernetesProfile struct{}

func (kubernetesProfile) detect(m pcommon.Map) bool {
	if str(m, "kind") == "Event" && strings.HasPrefix(str(m, "apiVersion"), "audit.k8s.io/") {
		return true
	}
	return has(m, "auditID") && has(m, "verb")
}

func (kubernetesProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	verb := str(m, "verb")
	// The API server itself: every request is about the cluster's infrastructure unless its
	// resource says otherwise.
	ev.categoryHint = audit.CategoryInfrastructure
	if obj, ok := sub(m, "objectRef"); ok {
		resource, sr := str(obj, "resource"), str(obj, "subresource")
		ev.categoryHint = kubernetesCategory(resource, sr)
		full := resource
		if sr != "" {
			full += "/" + sr
		}
		ns, name := str(obj, "namespace"), str(obj, "name")
		switch {
		case full == "":
			ev.name = verb
		case ns != "" && name != "":
			// The usual case: action and target are built as one string, one allocation.
			both := full + "." + verb + ns + "/" + name
			n := len(full) + 1 + len(verb)
			ev.name, ev.target = both[:n], both[n:]
		default:
			ev.name = full + "." + verb
		}
		switch {
		case ev.target != "":
		case ns != "" && name != "":
			ev.target = ns + "/" + name
		case name != "":
			ev.target = name
		case ns != "":
			ev.target = ns + "/" + full
		default:
			ev.target = full
		}
		if resource == "rolebindings" || resource == "clusterrolebindings" {
			kubernetesRoleRef(m, ev)
		}
	} else {
		ev.name = verb
		ev.target = str(m, "requestURI")
	}
	if u, ok := sub(m, "user"); ok {
		ev.author = str(u, "username")
		ev.authorID = str(u, "uid")
	}
	if as := subStr(m, "impersonatedUser", "username"); as != "" {
		ev.note = "as " + as
	}
	if rs, ok := sub(m, "responseStatus"); ok {
		// The status code is a number; a string or an object in its place is read too.
		if c, ok := rs.Get("code"); ok {
			code, ok := valueInt(c)
			switch {
			case !ok || code <= 0:
				ev.setOutcome(c)
			case code >= 400:
				ev.outcome = audit.OutcomeFailure
				ev.failReason = str(rs, "reason")
				if ev.failReason == "" {
					ev.failReason = strconv.FormatInt(code, 10)
				}
			default:
				ev.outcome = audit.OutcomeSuccess
			}
		}
	}
	if ips, ok := m.Get("sourceIPs"); ok && ips.Type() == pcommon.ValueTypeSlice && ips.Slice().Len() > 0 {
		ev.clientAddr = ipOnly(valueString(ips.Slice().At(0)))
	}
	ev.userAgent = str(m, "userAgent")
	// One request is audited at up to four stages under one auditID. The id dedupes repeats
	// of a stage, not stages: the final stage keeps the bare auditID, earlier stages add theirs.
	ev.eventID = str(m, "auditID")
	if stage := str(m, "stage"); ev.eventID != "" && stage != "" && stage != "ResponseComplete" {
		ev.eventID += "/" + stage
	}
	ev.addTime(m, "stageTimestamp")
	ev.addTime(m, "requestReceivedTimestamp")
}

// kubernetesCategory maps a resource to the built-in set: RBAC objects, service accounts and
// their tokens, and access reviews are access control; secrets are secrets; everything else
// (workloads, configuration, namespaces, nodes, custom resources) is infrastructure.
func kubernetesCategory(resource, subresource string) string {
	switch resource {
	case "roles", "rolebindings", "clusterroles", "clusterrolebindings", "serviceaccounts",
		"subjectaccessreviews", "selfsubjectaccessreviews", "localsubjectaccessreviews",
		"selfsubjectrulesreviews", "certificatesigningrequests":
		return audit.CategoryAccessControl
	case "tokenreviews", "selfsubjectreviews":
		return audit.CategoryAuthentication
	case "secrets":
		return audit.CategorySecrets
	}
	if subresource == "token" {
		return audit.CategoryAccessControl
	}
	return audit.CategoryInfrastructure
}

// kubernetesRoleRef names the role a binding grants, from the request or response object
// (audit levels Request and RequestResponse): "(cluster role cluster-admin)".
func kubernetesRoleRef(m pcommon.Map, ev *event) {
	for _, key := range []string{"requestObject", "responseObject"} {
		obj, ok := sub(m, key)
		if !ok {
			continue
		}
		ref, ok := sub(obj, "roleRef")
		if !ok {
			continue
		}
		if name := str(ref, "name"); name != "" {
			ev.object = name
			ev.objectKind = "role"
			if str(ref, "kind") == "ClusterRole" {
				ev.objectKind = "cluster role"
			}
			return
		}
	}
}
