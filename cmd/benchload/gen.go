package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-audit/otelcol-audit/internal/auditgen"
)

// Record mixes.
const (
	mixSemconv = "semconv"
	mixVendor  = "vendor"
)

// benchTenants are the tenants the bundled demo token may write.
var benchTenants = []string{"demo", "tenant-1", "tenant-2"}

// request is one pre-marshalled OTLP/HTTP body and the number of records it carries.
type request struct {
	body    []byte
	records int
}

// plan is the order in which requests are sent: plan[i] is the i-th request of the run.
type plan []*request

// events returns the number of records the plan sends.
func (p plan) events() int {
	n := 0
	for _, r := range p {
		n += r.records
	}
	return n
}

// buildOptions say what to build.
type buildOptions struct {
	mix    string
	events int
	batch  int
	// ring is the number of distinct full requests, sent in turn; 0 builds every request
	// distinct, so that every event id in the run is unique.
	ring int
	seed uint64
	// runID prefixes every event id, so that runs against one spool do not collide.
	runID string
	now   time.Time
}

// buildPlan marshals every distinct request before any is sent, on all cores, so that sending
// costs only the HTTP round trip.
func buildPlan(o buildOptions) (plan, error) {
	if o.mix != mixSemconv && o.mix != mixVendor {
		return nil, fmt.Errorf("mix: unknown %q, want %s or %s", o.mix, mixSemconv, mixVendor)
	}
	if o.events < 1 || o.batch < 1 {
		return nil, fmt.Errorf("events and batch must be at least 1")
	}
	full, rest := o.events/o.batch, o.events%o.batch
	distinct := full
	if o.ring > 0 && o.ring < full {
		distinct = o.ring
	}
	sizes := make([]int, distinct, distinct+1)
	for i := range sizes {
		sizes[i] = o.batch
	}
	if rest > 0 {
		sizes = append(sizes, rest)
	}
	built := make([]*request, len(sizes))
	errs := make([]error, len(sizes))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				built[i], errs[i] = buildRequest(o, i, sizes[i])
			}
		}()
	}
	for i := range sizes {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	p := make(plan, 0, full+1)
	for i := range full {
		p = append(p, built[i%distinct])
	}
	if rest > 0 {
		p = append(p, built[len(built)-1])
	}
	return p, nil
}

// buildRequest builds request i: records numbered i*batch onwards, from a generator seeded by
// the request's index, so that a plan is the same whatever the number of cores.
func buildRequest(o buildOptions, i, n int) (*request, error) {
	rng := rand.New(rand.NewPCG(o.seed, uint64(i)))
	first := i * o.batch
	var ld plog.Logs
	switch o.mix {
	case mixVendor:
		var err error
		if ld, err = vendorLogs(o, rng, first, n); err != nil {
			return nil, err
		}
	default:
		ld = semconvLogs(o, rng, first, n)
	}
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		return nil, fmt.Errorf("marshal request %d: %w", i, err)
	}
	return &request{body: body, records: n}, nil
}

// tenantLogs returns one record slice per tenant, each under its own resource, as an
// instrumented application with one SDK per tenant would send them.
func tenantLogs(ld plog.Logs, scope string) map[string]plog.LogRecordSlice {
	out := make(map[string]plog.LogRecordSlice, len(benchTenants))
	for _, t := range benchTenants {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", "lms")
		rl.Resource().Attributes().PutStr("tenant.id", t)
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName(scope)
		out[t] = sl.LogRecords()
	}
	return out
}

const benchScope = "github.com/otelcol-audit/otelcol-audit/cmd/benchload"

var (
	firstNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe"}
	courses    = []string{"Onboarding 101", "Data Protection Basics", "Leadership Essentials", "Secure Coding", "First Aid at Work", "Excel for Analysts"}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
	}
	docNets = []string{"192.0.2", "198.51.100", "203.0.113"}
)

// usersPerTenant bounds the distinct authors, as a real tenant has a bounded staff.
const usersPerTenant = 500

func pick(rng *rand.Rand, s []string) string { return s[rng.IntN(len(s))] }

// ip returns an address from the documentation ranges (RFC 5737).
func ip(rng *rand.Rand) string {
	return fmt.Sprintf("%s.%d", pick(rng, docNets), 1+rng.IntN(254))
}

func eventID(o buildOptions, n int) string { return fmt.Sprintf("%s-%09d", o.runID, n) }

// semconvEvent is one kind of application event, with its share of the mix in percent.
type semconvEvent struct {
	share   int
	name    string
	outcome string
	message string
	course  bool
}

var semconvEvents = []semconvEvent{
	{40, "user.login", "success", "user logged in", false},
	{10, "user.login", "failure", "login failed: wrong password", false},
	{10, "user.password.change", "success", "password changed", false},
	{25, "course.enrolment.create", "success", "user enrolled in a course", true},
	{15, "settings.update", "success", "setting changed", false},
}

// pickEvent returns the event whose share covers r, 0 <= r < 100.
func pickEvent(r int) semconvEvent {
	for _, e := range semconvEvents {
		if r < e.share {
			return e
		}
		r -= e.share
	}
	return semconvEvents[len(semconvEvents)-1]
}

func semconvLogs(o buildOptions, rng *rand.Rand, first, n int) plog.Logs {
	ld := plog.NewLogs()
	byTenant := tenantLogs(ld, benchScope)
	observed := pcommon.NewTimestampFromTime(o.now)
	for j := range n {
		tenant := pick(rng, benchTenants)
		lr := byTenant[tenant].AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(o.now.Add(-time.Duration(rng.IntN(60_000)) * time.Millisecond)))
		lr.SetObservedTimestamp(observed)
		lr.SetSeverityNumber(plog.SeverityNumberInfo)
		lr.SetSeverityText("INFO")
		ev := pickEvent(rng.IntN(100))
		u := rng.IntN(usersPerTenant)
		name := firstNames[u%len(firstNames)]
		lr.SetEventName(ev.name)
		a := lr.Attributes()
		a.PutStr("user.email", fmt.Sprintf("%s.%03d@%s.example.com", name, u, tenant))
		a.PutStr("user.id", fmt.Sprintf("u-%s-%03d", tenant, u))
		a.PutStr("user.name", name)
		a.PutStr("client.address", ip(rng))
		a.PutStr("user_agent.original", pick(rng, userAgents))
		a.PutStr("event.outcome", ev.outcome)
		a.PutStr("event.id", eventID(o, first+j))
		if ev.course {
			a.PutStr("course.name", pick(rng, courses))
		}
		lr.Body().SetStr(ev.message)
	}
	return ld
}

// vendorLogs builds Okta, Kubernetes and CloudTrail events (the shapes of internal/auditgen)
// and GitHub audit log entries, a quarter each, spread over the tenants' resources. Every
// other body is the event's JSON text rather than a map, as a file or syslog receiver would
// deliver it.
func vendorLogs(o buildOptions, rng *rand.Rand, first, n int) (plog.Logs, error) {
	gh := n / 4
	gen, err := auditgen.NewNamed(auditgen.ScenarioMixed, benchTenants, rng.Uint64())
	if err != nil {
		return plog.Logs{}, err
	}
	gen.SetClock(func() time.Time { return o.now })
	ld, _ := gen.Batch(n - gh)
	rls := ld.ResourceLogs()
	if rls.Len() == 0 {
		// Only when n-gh is 0: GitHub entries need a resource too.
		ld = plog.NewLogs()
		tenantLogs(ld, benchScope)
		rls = ld.ResourceLogs()
	}
	for j := range gh {
		rl := rls.At(rng.IntN(rls.Len()))
		tenant, _ := rl.Resource().Attributes().Get("tenant.id")
		lr := rl.ScopeLogs().At(0).LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(o.now.Add(-time.Duration(rng.IntN(60_000)) * time.Millisecond)))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(o.now))
		gitHubEntry(lr, rng, tenant.Str(), eventID(o, first+n-gh+j), lr.Timestamp().AsTime())
	}
	k := 0
	for i := range rls.Len() {
		records := rls.At(i).ScopeLogs().At(0).LogRecords()
		for r := range records.Len() {
			body := records.At(r).Body()
			if k++; k%2 == 0 && body.Type() == pcommon.ValueTypeMap {
				text, err := json.Marshal(body.Map().AsRaw())
				if err != nil {
					return plog.Logs{}, fmt.Errorf("encode vendor body: %w", err)
				}
				body.SetStr(string(text))
			}
		}
	}
	return ld, nil
}

var gitHubActions = []string{"repo.create", "repo.access", "org.add_member", "org.update_member", "team.add_member", "protected_branch.policy_override", "repo.destroy", "org.oauth_app_access_denied"}

// gitHubEntry builds an entry of GitHub's organisation audit log (REST API or streaming).
func gitHubEntry(lr plog.LogRecord, rng *rand.Rand, tenant, id string, ts time.Time) {
	u := rng.IntN(usersPerTenant)
	actor := fmt.Sprintf("%s-%03d", firstNames[u%len(firstNames)], u)
	entry := map[string]any{
		"@timestamp":     ts.UnixMilli(),
		"created_at":     ts.UnixMilli(),
		"_document_id":   id,
		"action":         pick(rng, gitHubActions),
		"actor":          actor,
		"actor_id":       int64(1000 + u),
		"actor_ip":       ip(rng),
		"user_agent":     pick(rng, userAgents),
		"org":            tenant,
		"org_id":         int64(7000),
		"repo":           tenant + "/" + pick(rng, []string{"lms-web", "lms-api", "infra", "docs"}),
		"user":           pick(rng, firstNames),
		"operation_type": pick(rng, []string{"create", "modify", "access", "remove"}),
	}
	_ = lr.Body().SetEmptyMap().FromRaw(entry)
}
