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
	all  [profileCount]profile
	otel otelProfile
	// genericConfigured is true when generic::event_name is set: only then may detection
	// pick the generic profile on its own.
	genericConfigured bool
}

func newProfileSet(cfg *Config) profileSet {
	s := profileSet{
		otel:              otelProfile{targetKeys: cfg.OTel.TargetAttributes},
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
		profileGeneric:    newGenericProfile(cfg.Generic),
		profileOTel:       s.otel,
	}
	return s
}

// detect returns the first vendor profile that recognises m, then the generic profile when
// it is configured; -1 when none does.
func (s *profileSet) detect(m pcommon.Map) int {
	for i := 0; i < profileGeneric; i++ {
		if s.all[i].detect(m) {
			return i
		}
	}
	if s.genericConfigured && s.all[profileGeneric].detect(m) {
		return profileGeneric
	}
	return -1
}
