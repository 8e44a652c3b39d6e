// Package auditgen produces realistic audit events for demos, end-to-end tests and benchmarks:
// the activity of a learning platform in OpenTelemetry semantic conventions, brute-force login
// bursts, and raw payloads in the Okta, Kubernetes and CloudTrail shapes, over OTLP or as the
// vendors' own webhook deliveries (Okta, Kubernetes, CloudTrail, GitHub, generic). Output is
// deterministic for a given seed, so tests can compare what was sent with what arrived.
package auditgen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Scenario names.
const (
	ScenarioNormal     = "normal"
	ScenarioBruteForce = "bruteforce"
	ScenarioMixed      = "mixed"
)

// Scenarios lists the valid scenario names.
var Scenarios = []string{ScenarioNormal, ScenarioBruteForce, ScenarioMixed, ScenarioWebhooks}

// Generator builds batches of audit events. It is not safe for concurrent use.
type Generator struct {
	scenario string
	tenants  []string
	rng      *rand.Rand
	seq      int
	now      func() time.Time
}

// New returns a generator for a scenario over n tenants named tenant-1..tenant-n.
func New(scenario string, tenants int, seed uint64) (*Generator, error) {
	if tenants < 1 {
		return nil, fmt.Errorf("tenants: must be at least 1, got %d", tenants)
	}
	names := make([]string, tenants)
	for i := range names {
		names[i] = fmt.Sprintf("tenant-%d", i+1)
	}
	return NewNamed(scenario, names, seed)
}

// NewNamed returns a generator for a scenario over the named tenants.
func NewNamed(scenario string, tenants []string, seed uint64) (*Generator, error) {
	valid := false
	for _, s := range Scenarios {
		valid = valid || s == scenario
	}
	if !valid {
		return nil, fmt.Errorf("scenario: unknown %q, want one of %v", scenario, Scenarios)
	}
	if len(tenants) == 0 {
		return nil, fmt.Errorf("tenants: at least one tenant is needed")
	}
	return &Generator{
		scenario: scenario,
		tenants:  append([]string(nil), tenants...),
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:      time.Now,
	}, nil
}

// SetClock replaces the clock that stamps events (tests).
func (g *Generator) SetClock(now func() time.Time) { g.now = now }

// Sent identifies one generated event, for checking what arrived.
type Sent struct {
	Tenant  string
	EventID string
}

// Batch returns n events, grouped in one ResourceLogs per tenant, and their ids.
func (g *Generator) Batch(n int) (plog.Logs, []Sent) {
	ld := plog.NewLogs()
	byTenant := make(map[string]plog.LogRecordSlice, len(g.tenants))
	sent := make([]Sent, 0, n)
	for i := 0; i < n; i++ {
		tenant := g.tenants[g.rng.IntN(len(g.tenants))]
		records, ok := byTenant[tenant]
		if !ok {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr("service.name", "lms")
			rl.Resource().Attributes().PutStr("tenant.id", tenant)
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName("github.com/otelcol-audit/otelcol-audit/internal/auditgen")
			records = sl.LogRecords()
			byTenant[tenant] = records
		}
		g.seq++
		id := g.event(records.AppendEmpty(), tenant)
		sent = append(sent, Sent{Tenant: tenant, EventID: id})
	}
	return ld, sent
}

var (
	firstNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe"}
	courses    = []string{"Onboarding 101", "Data Protection Basics", "Leadership Essentials", "Secure Coding", "First Aid at Work", "Excel for Analysts"}
	teams      = []string{"Sales", "Support", "Engineering", "Finance", "People"}
	settings   = []string{"session_timeout", "password_policy", "sso_enforced", "default_language", "certificate_template"}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	}
)

func (g *Generator) pick(s []string) string { return s[g.rng.IntN(len(s))] }

func (g *Generator) user(tenant string) (email, id, name string) {
	n := g.rng.IntN(len(firstNames))
	return fmt.Sprintf("%s@%s.example.com", firstNames[n], tenant), fmt.Sprintf("u-%s-%03d", tenant, n), firstNames[n]
}

// ip returns an address from the documentation ranges (RFC 5737).
func (g *Generator) ip() string {
	nets := []string{"192.0.2", "198.51.100", "203.0.113"}
	return fmt.Sprintf("%s.%d", g.pick(nets), 1+g.rng.IntN(254))
}

func (g *Generator) eventID(tenant string) string {
	return fmt.Sprintf("gen-%s-%08d-%04x", tenant, g.seq, g.rng.Uint32()&0xffff)
}

func (g *Generator) event(lr plog.LogRecord, tenant string) string {
	ts := g.now().Add(-time.Duration(g.rng.IntN(1000)) * time.Millisecond)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(g.now()))
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")
	switch g.scenario {
	case ScenarioBruteForce:
		return g.bruteForce(lr, tenant)
	case ScenarioMixed, ScenarioWebhooks:
		switch g.seq % 3 {
		case 0:
			return g.okta(lr, ts)
		case 1:
			return g.kubernetes(lr, ts)
		default:
			return g.cloudTrail(lr, ts)
		}
	default:
		return g.normal(lr, tenant)
	}
}

// semconv fills the attributes a well-instrumented application sets on an audit event.
func (g *Generator) semconv(lr plog.LogRecord, tenant, eventName, outcome, target, message string) string {
	email, uid, name := g.user(tenant)
	id := g.eventID(tenant)
	lr.SetEventName(eventName)
	a := lr.Attributes()
	a.PutStr("user.email", email)
	a.PutStr("user.id", uid)
	a.PutStr("user.name", name)
	a.PutStr("client.address", g.ip())
	a.PutStr("user_agent.original", g.pick(userAgents))
	a.PutStr("event.outcome", outcome)
	a.PutStr("event.id", id)
	if target != "" {
		a.PutStr("audit.target", target)
	}
	lr.Body().SetStr(message)
	return id
}

func (g *Generator) normal(lr plog.LogRecord, tenant string) string {
	switch r := g.rng.IntN(100); {
	case r < 30:
		return g.semconv(lr, tenant, "user.login", "success", "", "user logged in")
	case r < 35:
		return g.semconv(lr, tenant, "user.login", "failure", "", "login failed: wrong password")
	case r < 40:
		return g.semconv(lr, tenant, "user.logout", "success", "", "user logged out")
	case r < 58:
		return g.semconv(lr, tenant, "course.enrolled", "success", g.pick(courses), "user enrolled in a course")
	case r < 70:
		return g.semconv(lr, tenant, "course.completed", "success", g.pick(courses), "user completed a course")
	case r < 78:
		return g.semconv(lr, tenant, "module.completed", "success", g.pick(courses)+" / Module 2", "user completed a module")
	case r < 85:
		return g.semconv(lr, tenant, "user.profile_updated", "success", "", "user updated their profile")
	case r < 90:
		return g.semconv(lr, tenant, "settings.updated", "success", g.pick(settings), "setting changed")
	case r < 95:
		return g.semconv(lr, tenant, "team.leader_changed", "success", g.pick(teams), "team leader changed")
	default:
		return g.semconv(lr, tenant, "export.requested", "success", "audit-log.csv", "audit log export requested")
	}
}

// bruteForce sends failed logins for one author from one IP per tenant, with an occasional
// success at the end of a burst: the pattern the failed-login alerts look for.
func (g *Generator) bruteForce(lr plog.LogRecord, tenant string) string {
	id := g.eventID(tenant)
	lr.SetEventName("user.login")
	a := lr.Attributes()
	a.PutStr("user.email", "victim@"+tenant+".example.com")
	a.PutStr("user.id", "u-"+tenant+"-victim")
	a.PutStr("client.address", "203.0.113.66")
	a.PutStr("user_agent.original", "python-requests/2.32.3")
	a.PutStr("event.id", id)
	outcome := "failure"
	if g.seq%50 == 0 {
		outcome = "success"
	}
	a.PutStr("event.outcome", outcome)
	lr.Body().SetStr("login attempt")
	return id
}

func (g *Generator) uuid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(g.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// okta builds a System Log LogEvent as Okta's API and event hooks deliver it.
func (g *Generator) okta(lr plog.LogRecord, ts time.Time) string {
	ev, id := g.oktaEvent(ts)
	_ = lr.Body().SetEmptyMap().FromRaw(ev)
	return id
}

func (g *Generator) oktaEvent(ts time.Time) (map[string]any, string) {
	email, uid, name := g.user("okta")
	id := g.uuid()
	result, reason, eventType := "SUCCESS", "", "user.session.start"
	if g.rng.IntN(4) == 0 {
		result, reason = "FAILURE", "INVALID_CREDENTIALS"
	}
	if g.rng.IntN(5) == 0 {
		eventType, result, reason = "user.account.update_password", "SUCCESS", ""
	}
	return map[string]any{
		"uuid":            id,
		"published":       ts.UTC().Format("2006-01-02T15:04:05.000Z"),
		"eventType":       eventType,
		"version":         "0",
		"severity":        "INFO",
		"legacyEventType": "core.user_auth.login_success",
		"displayMessage":  "User login to Okta",
		"actor": map[string]any{
			"id": "00u" + uid, "type": "User", "alternateId": email, "displayName": name,
		},
		"client": map[string]any{
			"userAgent": map[string]any{"rawUserAgent": g.pick(userAgents), "os": "Windows", "browser": "CHROME"},
			"zone":      "null", "device": "Computer", "ipAddress": g.ip(),
			"geographicalContext": map[string]any{"city": "Dublin", "country": "Ireland"},
		},
		"outcome":               map[string]any{"result": result, "reason": reason},
		"target":                []any{map[string]any{"id": "00u" + uid, "type": "User", "alternateId": email, "displayName": name}},
		"transaction":           map[string]any{"type": "WEB", "id": "Wn4f" + id[:8]},
		"authenticationContext": map[string]any{"authenticationStep": 0, "externalSessionId": "102" + id[:10]},
		"securityContext":       map[string]any{"asNumber": 64496, "isp": "Example ISP"},
	}, id
}

// kubernetes builds an audit.k8s.io/v1 Event at stage ResponseComplete.
func (g *Generator) kubernetes(lr plog.LogRecord, ts time.Time) string {
	ev, id := g.kubernetesEvent(ts)
	_ = lr.Body().SetEmptyMap().FromRaw(ev)
	return id
}

func (g *Generator) kubernetesEvent(ts time.Time) (map[string]any, string) {
	id := g.uuid()
	verbs := []string{"create", "update", "patch", "delete", "get"}
	resources := []string{"secrets", "configmaps", "deployments", "rolebindings"}
	verb, resource := g.pick(verbs), g.pick(resources)
	code := 200
	if verb == "create" {
		code = 201
	}
	if g.rng.IntN(6) == 0 {
		code = 403
	}
	return map[string]any{
		"kind":       "Event",
		"apiVersion": "audit.k8s.io/v1",
		"level":      "Metadata",
		"auditID":    id,
		"stage":      "ResponseComplete",
		"requestURI": "/api/v1/namespaces/lms/" + resource + "/app-config",
		"verb":       verb,
		"user": map[string]any{
			"username": "system:serviceaccount:lms:deployer",
			"uid":      "7c9b2c1e-2f0b-4c55-9a8e-0d6b1e0f4b8a",
			"groups":   []any{"system:serviceaccounts", "system:serviceaccounts:lms", "system:authenticated"},
		},
		"sourceIPs":                []any{g.ip()},
		"userAgent":                "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46",
		"objectRef":                map[string]any{"resource": resource, "namespace": "lms", "name": "app-config", "apiVersion": "v1"},
		"responseStatus":           map[string]any{"metadata": map[string]any{}, "code": int64(code)},
		"requestReceivedTimestamp": ts.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"stageTimestamp":           ts.Add(3 * time.Millisecond).UTC().Format("2006-01-02T15:04:05.000000Z"),
		"annotations":              map[string]any{"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""},
	}, id
}

// cloudTrail builds a CloudTrail record: console logins and IAM changes.
func (g *Generator) cloudTrail(lr plog.LogRecord, ts time.Time) string {
	rec, id := g.cloudTrailRecord(ts)
	_ = lr.Body().SetEmptyMap().FromRaw(rec)
	return id
}

func (g *Generator) cloudTrailRecord(ts time.Time) (map[string]any, string) {
	id := g.uuid()
	_, _, name := g.user("aws")
	rec := map[string]any{
		"eventVersion":       "1.09",
		"eventTime":          ts.UTC().Format("2006-01-02T15:04:05Z"),
		"eventID":            id,
		"eventType":          "AwsApiCall",
		"awsRegion":          "eu-west-1",
		"sourceIPAddress":    g.ip(),
		"userAgent":          "aws-cli/2.22.0",
		"recipientAccountId": "123456789012",
		"requestID":          g.uuid(),
		"readOnly":           false,
		"managementEvent":    true,
		"eventCategory":      "Management",
		"userIdentity": map[string]any{
			"type": "IAMUser", "principalId": "AIDAEXAMPLE" + name, "arn": "arn:aws:iam::123456789012:user/" + name,
			"accountId": "123456789012", "userName": name,
		},
	}
	if g.rng.IntN(2) == 0 {
		result := "Success"
		if g.rng.IntN(4) == 0 {
			result = "Failure"
			rec["errorMessage"] = "Failed authentication"
		}
		rec["eventSource"], rec["eventName"], rec["eventType"] = "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn"
		rec["responseElements"] = map[string]any{"ConsoleLogin": result}
		rec["additionalEventData"] = map[string]any{"MFAUsed": "Yes", "LoginTo": "https://console.aws.amazon.com/"}
	} else {
		rec["eventSource"], rec["eventName"] = "iam.amazonaws.com", "AttachUserPolicy"
		rec["requestParameters"] = map[string]any{"userName": "carol", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
		if g.rng.IntN(5) == 0 {
			rec["errorCode"], rec["errorMessage"] = "AccessDenied", "User is not authorized to perform iam:AttachUserPolicy"
		}
	}
	return rec, id
}
