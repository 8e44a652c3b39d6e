package auditnormalizerprocessor

import (
	"net/netip"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// event holds the facts a profile found in one raw event, before catalogue, tenant and time
// rules apply. Empty strings mean "not stated by the source".
type event struct {
	name         string
	categoryHint string // category when the name yields none (CloudTrail service)
	author       string
	authorID     string
	outcome      string // raw outcome spelling or a model value
	failReason   string // why it failed, as the source says
	target       string
	clientAddr   string
	userAgent    string
	tenant       string
	eventID      string
	time         pcommon.Value
	hasTime      bool
	timeFormat   string
	timeNanos    int64  // set instead of time by profiles that read pdata timestamps
	note         string // extra clause for the description ("as bob")
}

// profile maps one source's raw events.
type profile interface {
	// detect reports whether the raw event looks like this source's, from a few keys.
	detect(src pcommon.Map) bool
	// extract fills ev from the raw event src and the record.
	extract(src pcommon.Map, lr plog.LogRecord, ev *event)
}

// Profiles in detection order. Vendor profiles test distinctive keys, so the order only
// matters for the generic profile (after the vendors) and otel (last, from the record).
var profileNames = [...]string{
	audit.SourceOkta,
	audit.SourceCloudTrail,
	audit.SourceKubernetes,
	audit.SourceGitHub,
	audit.SourceKeycloak,
	audit.SourceGeneric,
	audit.SourceOTel,
}

const (
	profileGeneric = 5
	profileOTel    = 6
)

func profileIndex(name string) (int, bool) {
	for i, n := range profileNames {
		if n == name {
			return i, true
		}
	}
	return -1, false
}

func profileNamesList() string {
	return strings.Join(profileNames[:], ", ")
}

// ipOnly returns s when it is an IP address: CloudTrail puts service names such as
// cloudtrail.amazonaws.com in sourceIPAddress, which are not client addresses.
func ipOnly(s string) string {
	if s == "" {
		return ""
	}
	if _, err := netip.ParseAddr(s); err != nil {
		return ""
	}
	return s
}

// --- Okta System Log LogEvent -------------------------------------------------------------

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
	// Events without an outcome object exist; they stay unknown.
	if o, ok := sub(m, "outcome"); ok {
		ev.outcome = str(o, "result")
		ev.failReason = str(o, "reason")
	}
	if c, ok := sub(m, "client"); ok {
		ev.clientAddr = ipOnly(str(c, "ipAddress"))
		ev.userAgent = subStr(c, "userAgent", "rawUserAgent")
	}
	if t, ok := m.Get("target"); ok && t.Type() == pcommon.ValueTypeSlice && t.Slice().Len() > 0 {
		if first := t.Slice().At(0); first.Type() == pcommon.ValueTypeMap {
			ev.target = str(first.Map(), "alternateId")
			if ev.target == "" || ev.target == "unknown" {
				ev.target = str(first.Map(), "displayName")
			}
		}
	}
	ev.eventID = str(m, "uuid")
	ev.time, ev.hasTime = m.Get("published")
}

// --- AWS CloudTrail record (also inside an EventBridge event's detail) -------------------

type cloudTrailProfile struct{}

func isCloudTrailRecord(m pcommon.Map) bool {
	return has(m, "eventName") && (has(m, "eventSource") || has(m, "eventVersion"))
}

func (cloudTrailProfile) detect(m pcommon.Map) bool {
	if isCloudTrailRecord(m) {
		return true
	}
	d, ok := sub(m, "detail")
	return ok && has(m, "detail-type") && isCloudTrailRecord(d)
}

// maskedUserName is what CloudTrail writes for the user name of some failed console logins.
const maskedUserName = "HIDDEN_DUE_TO_SECURITY_REASONS"

// cloudTrailTargetKeys are requestParameters keys that name the object acted upon.
var cloudTrailTargetKeys = []string{"userName", "roleName", "groupName", "policyArn", "bucketName", "roleArn", "name", "instanceId", "secretId", "trailName", "key"}

func (cloudTrailProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	if d, ok := sub(m, "detail"); ok && !isCloudTrailRecord(m) {
		m = d
	}
	ev.name = str(m, "eventName")
	if svc, _, ok := strings.Cut(str(m, "eventSource"), "."); ok && svc != "" {
		if len(svc) <= 3 {
			ev.categoryHint = strings.ToUpper(svc)
		} else {
			ev.categoryHint = humanize(svc)
		}
	}
	if id, ok := sub(m, "userIdentity"); ok {
		ev.author, ev.authorID = cloudTrailAuthor(id)
		ev.tenant = str(id, "accountId")
	}
	if acct := str(m, "recipientAccountId"); acct != "" {
		ev.tenant = acct
	}
	if code := str(m, "errorCode"); code != "" {
		ev.outcome = audit.OutcomeFailure
		ev.failReason = code
	} else if r := subStr(m, "responseElements", "ConsoleLogin"); r != "" {
		ev.outcome = r
	} else {
		// CloudTrail states errorCode only for failed calls.
		ev.outcome = audit.OutcomeSuccess
	}
	if ev.name == "ConsoleLogin" && ev.outcome != audit.OutcomeSuccess {
		if msg := str(m, "errorMessage"); msg != "" {
			ev.failReason = msg
		}
	}
	ev.clientAddr = ipOnly(str(m, "sourceIPAddress"))
	ev.userAgent = str(m, "userAgent")
	if rp, ok := sub(m, "requestParameters"); ok {
		for _, k := range cloudTrailTargetKeys {
			if t := str(rp, k); t != "" {
				ev.target = t
				break
			}
		}
	}
	if ev.target == "" {
		if rs, ok := m.Get("resources"); ok && rs.Type() == pcommon.ValueTypeSlice && rs.Slice().Len() > 0 {
			if r := rs.Slice().At(0); r.Type() == pcommon.ValueTypeMap {
				ev.target = str(r.Map(), "ARN")
			}
		}
	}
	ev.eventID = str(m, "eventID")
	ev.time, ev.hasTime = m.Get("eventTime")
}

// cloudTrailAuthor names the principal by identity type: root as "root", an assumed role as
// "<role>/<session>", an AWS service by its host name; a masked user name is no author.
func cloudTrailAuthor(id pcommon.Map) (author, authorID string) {
	arn := str(id, "arn")
	authorID = arn
	if authorID == "" {
		authorID = str(id, "principalId")
	}
	switch str(id, "type") {
	case "Root":
		return "root", authorID
	case "AssumedRole", "FederatedUser":
		if _, rest, ok := strings.Cut(arn, ":assumed-role/"); ok {
			return rest, authorID
		}
		if _, rest, ok := strings.Cut(arn, ":federated-user/"); ok {
			return rest, authorID
		}
		if ctx, ok := sub(id, "sessionContext"); ok {
			if issuer := subStr(ctx, "sessionIssuer", "userName"); issuer != "" {
				return issuer, authorID
			}
		}
	case "AWSService":
		// The platform acting on its own; the service is named in authorID.
		if authorID == "" {
			authorID = str(id, "invokedBy")
		}
		return audit.AuthorSystem, authorID
	}
	if name := str(id, "userName"); name != "" && name != maskedUserName {
		return name, authorID
	}
	if str(id, "userName") == maskedUserName {
		return "", ""
	}
	return "", authorID
}

// --- Kubernetes audit.k8s.io/v1 Event ------------------------------------------------------

type kubernetesProfile struct{}

func (kubernetesProfile) detect(m pcommon.Map) bool {
	if str(m, "kind") == "Event" && strings.HasPrefix(str(m, "apiVersion"), "audit.k8s.io/") {
		return true
	}
	return has(m, "auditID") && has(m, "verb")
}

func (kubernetesProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	verb := str(m, "verb")
	if obj, ok := sub(m, "objectRef"); ok {
		resource := str(obj, "resource")
		if sr := str(obj, "subresource"); sr != "" {
			resource += "/" + sr
		}
		if resource != "" {
			ev.name = resource + "." + verb
		} else {
			ev.name = verb
		}
		ns, name := str(obj, "namespace"), str(obj, "name")
		switch {
		case ns != "" && name != "":
			ev.target = ns + "/" + name
		case name != "":
			ev.target = name
		case ns != "":
			ev.target = ns + "/" + resource
		default:
			ev.target = resource
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
		if code, err := strconv.Atoi(str(rs, "code")); err == nil && code > 0 {
			if code >= 400 {
				ev.outcome = audit.OutcomeFailure
				ev.failReason = str(rs, "reason")
				if ev.failReason == "" {
					ev.failReason = strconv.Itoa(code)
				}
			} else {
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
	if t, ok := m.Get("stageTimestamp"); ok && t.Type() == pcommon.ValueTypeStr && t.Str() != "" {
		ev.time, ev.hasTime = t, true
	} else {
		ev.time, ev.hasTime = m.Get("requestReceivedTimestamp")
	}
}

// --- GitHub audit log entry ----------------------------------------------------------------

type gitHubProfile struct{}

func (gitHubProfile) detect(m pcommon.Map) bool {
	a, ok := m.Get("action")
	if !ok || a.Type() != pcommon.ValueTypeStr {
		return false
	}
	if _, isDelivery := sub(m, "sender"); isDelivery {
		return has(m, "organization") || has(m, "repository") || has(m, "enterprise")
	}
	return has(m, "actor") && (has(m, "_document_id") || has(m, "@timestamp") || has(m, "org") || has(m, "created_at") || has(m, "business"))
}

var gitHubTargetKeys = []string{"user", "team", "repo", "repository", "permission"}

// Attributes the webhook receiver sets on a GitHub webhook delivery.
const (
	attrGitHubEvent       = "github.event"
	attrWebhookDeliveryID = "audit.webhook.delivery_id"
)

// gitHubDeliveryTargets are the objects a webhook delivery acts on, most specific first,
// with the field that names each.
var gitHubDeliveryTargets = [][2]string{
	{"member", "login"}, {"team", "name"}, {"repository", "full_name"}, {"organization", "login"},
}

func (p gitHubProfile) extract(m pcommon.Map, lr plog.LogRecord, ev *event) {
	if sender, ok := sub(m, "sender"); ok && !has(m, "actor") {
		p.extractDelivery(m, sender, lr, ev)
		return
	}
	ev.name = str(m, "action")
	ev.author = str(m, "actor")
	ev.authorID = str(m, "actor_id")
	// GitHub states no outcome; only actions named as failures or rejections say one.
	if strings.Contains(ev.name, "fail") || strings.Contains(ev.name, "reject") {
		ev.outcome = audit.OutcomeFailure
	}
	ev.clientAddr = ipOnly(str(m, "actor_ip"))
	ev.userAgent = str(m, "user_agent")
	for _, k := range gitHubTargetKeys {
		if t := str(m, k); t != "" {
			ev.target = t
			break
		}
	}
	ev.tenant = str(m, "org")
	if ev.tenant == "" {
		ev.tenant = str(m, "business")
	}
	ev.eventID = str(m, "_document_id")
	if t, ok := m.Get("@timestamp"); ok {
		ev.time, ev.hasTime = t, true
	} else {
		ev.time, ev.hasTime = m.Get("created_at")
	}
}

// extractDelivery maps a webhook delivery (member, repository, team, organization events):
// the event name is X-GitHub-Event plus the payload's action ("member.added"), the author is
// the sender, the tenant the organization, and the id X-GitHub-Delivery, which GitHub keeps
// across redeliveries. Deliveries carry no event time; the record's time is used.
func (gitHubProfile) extractDelivery(m, sender pcommon.Map, lr plog.LogRecord, ev *event) {
	a := lr.Attributes()
	ev.name = str(a, attrGitHubEvent)
	if action := str(m, "action"); action != "" {
		if ev.name != "" {
			ev.name += "."
		}
		ev.name += action
	}
	ev.author = str(sender, "login")
	ev.authorID = str(sender, "id")
	if strings.HasSuffix(ev.author, "[bot]") {
		ev.author = audit.AuthorSystem
	}
	if membership, ok := sub(m, "membership"); ok {
		ev.target = subStr(membership, "user", "login")
	}
	for _, t := range gitHubDeliveryTargets {
		if ev.target != "" {
			break
		}
		ev.target = subStr(m, t[0], t[1])
	}
	ev.tenant = subStr(m, "organization", "login")
	if ev.tenant == "" {
		ev.tenant = subStr(m, "enterprise", "slug")
	}
	ev.eventID = str(a, attrWebhookDeliveryID)
	ev.timeNanos = int64(lr.Timestamp())
}

// --- Keycloak user and admin events --------------------------------------------------------

type keycloakProfile struct{}

func (keycloakProfile) detect(m pcommon.Map) bool {
	if has(m, "type") && has(m, "realmId") {
		return true
	}
	return has(m, "operationType") && (has(m, "resourceType") || has(m, "authDetails"))
}

func (keycloakProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	ev.tenant = str(m, "realmId")
	ev.eventID = str(m, "id")
	ev.time, ev.hasTime = m.Get("time")
	if op := str(m, "operationType"); op != "" {
		// Admin event.
		rt := str(m, "resourceType")
		if rt != "" {
			ev.name = rt + "." + op
		} else {
			ev.name = op
		}
		if ad, ok := sub(m, "authDetails"); ok {
			ev.author = str(ad, "username")
			ev.authorID = str(ad, "userId")
			if ev.author == "" {
				ev.author = ev.authorID
			}
			ev.clientAddr = ipOnly(str(ad, "ipAddress"))
			if ev.tenant == "" {
				ev.tenant = str(ad, "realmId")
			}
		}
		ev.target = str(m, "resourcePath")
		if e := str(m, "error"); e != "" {
			ev.outcome = audit.OutcomeFailure
			ev.failReason = e
		} else {
			ev.outcome = audit.OutcomeSuccess
		}
		return
	}
	ev.name = str(m, "type")
	ev.authorID = str(m, "userId")
	ev.author = subStr(m, "details", "username")
	if ev.author == "" {
		ev.author = ev.authorID
	}
	ev.clientAddr = ipOnly(str(m, "ipAddress"))
	ev.target = str(m, "clientId")
	// Keycloak records user events once they happened; failures have their own *_ERROR types.
	if strings.HasSuffix(ev.name, "_ERROR") {
		ev.outcome = audit.OutcomeFailure
		ev.failReason = str(m, "error")
	} else {
		ev.outcome = audit.OutcomeSuccess
	}
}

// --- Generic profile: configured paths, else conventional field names ---------------------

// genericProfile reads each fact from the first path of its list that holds a value. With
// generic::event_name configured, every list is the one configured path; without it, the
// lists are the field names in-house audit events commonly use, so that JSON posted to the
// generic webhook maps without configuration.
type genericProfile struct {
	eventName, author, authorID, outcome, target, clientAddr, userAgent, tenant, eventID, time paths
	timeFormat                                                                                 string
	conventional                                                                               bool
}

type paths []fieldPath

func (ps paths) get(m pcommon.Map) (pcommon.Value, bool) {
	for _, p := range ps {
		if v, ok := p.get(m); ok && valueString(v) != "" {
			return v, true
		}
	}
	return pcommon.Value{}, false
}

func (ps paths) str(m pcommon.Map) string {
	if v, ok := ps.get(m); ok {
		return valueString(v)
	}
	return ""
}

func compilePaths(configured string, conventional bool, names ...string) paths {
	if !conventional {
		if configured == "" {
			return nil
		}
		return paths{compilePath(configured)}
	}
	ps := make(paths, len(names))
	for i, n := range names {
		ps[i] = compilePath(n)
	}
	return ps
}

func newGenericProfile(cfg GenericConfig) *genericProfile {
	conv := cfg.EventName == ""
	return &genericProfile{
		conventional: conv,
		eventName:    compilePaths(cfg.EventName, conv, "event_type", "eventType", "event_name", "eventName", "event", "action", "activity", "operation", "type"),
		author:       compilePaths(cfg.Author, conv, "actor.email", "actor.login", "actor.username", "actor.name", "actor", "user.email", "user.username", "user.login", "user.name", "user", "username", "email", "principal"),
		authorID:     compilePaths(cfg.AuthorID, conv, "actor.id", "actor_id", "actorId", "user.id", "user_id", "userId"),
		outcome:      compilePaths(cfg.Outcome, conv, "outcome", "result", "status", "success"),
		target:       compilePaths(cfg.Target, conv, "target.name", "target.id", "target", "resource.name", "resource.id", "resource", "object"),
		clientAddr:   compilePaths(cfg.ClientAddress, conv, "ip", "ip_address", "ipAddress", "source_ip", "sourceIp", "client_ip", "clientIp", "client.ip", "remote_addr"),
		userAgent:    compilePaths(cfg.UserAgent, conv, "user_agent", "userAgent"),
		tenant:       compilePaths(cfg.Tenant, conv, "tenant", "tenant_id", "tenantId"),
		eventID:      compilePaths(cfg.EventID, conv, "event_id", "eventId", "uuid", "id"),
		time:         compilePaths(cfg.Time, conv, "timestamp", "time", "@timestamp", "occurred_at", "created_at", "eventTime"),
		timeFormat:   cfg.TimeFormat,
	}
}

// detect: a configured event-name path that exists; conventionally, an event name together
// with an author or an id, so that arbitrary JSON (a log line with a "type") is not taken for
// an audit event.
func (g *genericProfile) detect(m pcommon.Map) bool {
	if _, ok := g.eventName.get(m); !ok {
		return false
	}
	if !g.conventional {
		return true
	}
	_, hasAuthor := g.author.get(m)
	_, hasID := g.eventID.get(m)
	return hasAuthor || hasID
}

func (g *genericProfile) extract(m pcommon.Map, _ plog.LogRecord, ev *event) {
	ev.name = g.eventName.str(m)
	ev.author = g.author.str(m)
	ev.authorID = g.authorID.str(m)
	ev.outcome = g.outcome.str(m)
	ev.target = g.target.str(m)
	ev.clientAddr = ipOnly(g.clientAddr.str(m))
	ev.userAgent = g.userAgent.str(m)
	ev.tenant = g.tenant.str(m)
	ev.eventID = g.eventID.str(m)
	ev.time, ev.hasTime = g.time.get(m)
	ev.timeFormat = g.timeFormat
}

// --- OpenTelemetry semantic conventions ----------------------------------------------------

type otelProfile struct {
	targetKeys []string
}

// detect looks at the record, not at a raw payload: the event name or a user attribute.
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

func (otelProfile) detect(pcommon.Map) bool { return false }

func (p otelProfile) extract(_ pcommon.Map, lr plog.LogRecord, ev *event) {
	a := lr.Attributes()
	ev.name = lr.EventName()
	if ev.name == "" {
		ev.name = str(a, "event.name")
	}
	var email, name, fullName, userID, enduserID string
	var outcome, errType string
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
			outcome = valueString(v)
		case "error.type":
			errType = valueString(v)
		case "http.response.status_code":
			switch v.Type() {
			case pcommon.ValueTypeInt:
				status = v.Int()
			default:
				status, _ = strconv.ParseInt(valueString(v), 10, 64)
			}
		case "user_agent.original":
			ev.userAgent = valueString(v)
		case "client.address":
			ev.clientAddr = valueString(v)
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
	case outcome != "":
		ev.outcome = outcome
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
