package auditnormalizerprocessor

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// event holds the facts a profile found in one raw event, before catalogue, tenant and time
// rules apply. Empty strings mean "not stated by the source".
type event struct {
	name string
	// categoryHint is the built-in category the profile reads from the event's structure
	// (the Kubernetes resource, the CloudTrail service), used when the catalogue does not
	// know the name.
	categoryHint string
	// categorySource is the source's own grouping (CloudTrail service, Google Cloud service),
	// kept in audit.category.source; else the catalogue derives one from the name.
	categorySource string
	author         string
	authorID       string
	outcome        string // raw outcome spelling or a model value
	// outcomeUnreadable is set when the source states an outcome that cannot be read.
	outcomeUnreadable bool
	failReason        string // why it failed, as the source says
	target            string
	// targetKind names what the target is ("role", "user"), for the description.
	targetKind string
	// object is a significant second object (the policy attached, the role bound), with its
	// kind, for the description.
	object, objectKind string
	clientAddr         string
	userAgent          string
	tenant             string
	eventID            string
	// times are the event's time fields in order of preference; the first that reads as a
	// plausible time wins.
	times     [2]pcommon.Value
	timeCount int
	timeNanos int64  // set instead of times by profiles that read pdata timestamps
	note      string // extra clause for the description ("as bob")
}

// addTime adds m[key] as a candidate event time, if present.
func (ev *event) addTime(m pcommon.Map, key string) {
	if v, ok := m.Get(key); ok && ev.timeCount < len(ev.times) {
		ev.times[ev.timeCount] = v
		ev.timeCount++
	}
}

// setOutcome reads an outcome value of any type.
func (ev *event) setOutcome(v pcommon.Value) {
	o, ok := readOutcome(v)
	ev.outcome = o
	ev.outcomeUnreadable = !ok
}

// profile maps one source's raw events.
type profile interface {
	// detect reports whether the raw event looks like this source's, from a few keys.
	detect(src pcommon.Map) bool
	// extract fills ev from the raw event src and the record.
	extract(src pcommon.Map, lr plog.LogRecord, ev *event)
}

// Profile indices, in detection order. Vendor profiles test distinctive keys, so the order
// only matters for the generic profile (after the vendors) and otel (last, from the record).
const (
	profileOkta = iota
	profileCloudTrail
	profileKubernetes
	profileGitHub
	profileKeycloak
	profileGCP
	profileAzure
	profileGeneric
	profileOTel
	profileCount
)

// profileNames are the profiles' names, as in audit.source and the profile setting.
var profileNames = [profileCount]string{
	profileOkta:       audit.SourceOkta,
	profileCloudTrail: audit.SourceCloudTrail,
	profileKubernetes: audit.SourceKubernetes,
	profileGitHub:     audit.SourceGitHub,
	profileKeycloak:   audit.SourceKeycloak,
	profileGCP:        audit.SourceGCP,
	profileAzure:      audit.SourceAzure,
	profileGeneric:    audit.SourceGeneric,
	profileOTel:       audit.SourceOTel,
}

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

// profileSet holds one configured instance of every profile, indexed as profileNames.
type profileSet struct {
	all     [profileCount]profile
	otel    otelProfile
	generic *genericProfile
	// genericConfigured is true when generic::event_name is set: only then may detection
	// pick the generic profile on its own.
	genericConfigured bool
}

func newProfileSet(cfg *Config) profileSet {
	s := profileSet{
		otel:              otelProfile{targetKeys: cfg.OTel.TargetAttributes},
		generic:           newGenericProfile(cfg.Generic),
		genericConfigured: cfg.Generic.EventName != "",
	}
	s.all = [profileCount]profile{
		profileOkta:       oktaProfile{},
		profileCloudTrail: cloudTrailProfile{},
		profileKubernetes: kubernetesProfile{},
		profileGitHub:     gitHubProfile{},
		profileKeycloak:   keycloakProfile{},
		profileGCP:        gcpProfile{},
		profileAzure:      azureProfile{},
		profileGeneric:    s.generic,
		profileOTel:       s.otel,
	}
	return s
}

// extract runs profile p's extract. The calls are static: through the profile interface, ev
// (on the caller's stack) would escape, and every record would allocate its event.
func (s *profileSet) extract(p int, src pcommon.Map, lr plog.LogRecord, ev *event) {
	switch p {
	case profileOkta:
		oktaProfile{}.extract(src, lr, ev)
	case profileCloudTrail:
		cloudTrailProfile{}.extract(src, lr, ev)
	case profileKubernetes:
		kubernetesProfile{}.extract(src, lr, ev)
	case profileGitHub:
		gitHubProfile{}.extract(src, lr, ev)
	case profileKeycloak:
		keycloakProfile{}.extract(src, lr, ev)
	case profileGCP:
		gcpProfile{}.extract(src, lr, ev)
	case profileAzure:
		azureProfile{}.extract(src, lr, ev)
	case profileGeneric:
		s.generic.extract(src, lr, ev)
	case profileOTel:
		s.otel.extract(src, lr, ev)
	}
}

// detect returns the first vendor profile that recognises m, then the generic profile when
// it is configured; -1 when none does.
func (s *profileSet) detect(m pcommon.Map) int {
	gates := detectionGates(m)
	for i := 0; i < profileGeneric; i++ {
		if gates&(1<<i) != 0 && s.all[i].detect(m) {
			return i
		}
	}
	if s.genericConfigured && s.all[profileGeneric].detect(m) {
		return profileGeneric
	}
	return -1
}

// detectionGates returns, in one pass over m's keys, the vendor profiles whose detect may
// accept m: each detect needs one of its gate keys at the top level. Looking each profile's
// keys up in turn would scan m once per key; an Azure event would be scanned nine times
// before its own profile is reached.
func detectionGates(m pcommon.Map) uint {
	var gates uint
	m.Range(func(k string, _ pcommon.Value) bool {
		switch k {
		case "eventType":
			gates |= 1 << profileOkta
		case "eventName", "detail":
			gates |= 1 << profileCloudTrail
		case "kind", "auditID":
			gates |= 1 << profileKubernetes
		case "action":
			gates |= 1 << profileGitHub
		case "type", "operationType":
			gates |= 1 << profileKeycloak
		case "protoPayload":
			gates |= 1 << profileGCP
		case "operationName":
			gates |= 1 << profileAzure
		}
		return true
	})
	return gates
}
