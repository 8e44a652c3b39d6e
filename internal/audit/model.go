package audit

// Attribute names written on every normalised log record. They are the contract between the
// normaliser, the exporters and the dashboards; renaming one is a breaking change.
const (
	// AttrAuthor is who did it: an email or login, or AuthorSystem for platform changes.
	AttrAuthor = "audit.author"
	// AttrAuthorID is the source's stable id for the author, when it has one.
	AttrAuthorID = "audit.author.id"
	// AttrCategory is the section of the product where the change was made ("Authentication").
	AttrCategory = "audit.category"
	// AttrSummary is the kind of change ("Login failed").
	AttrSummary = "audit.summary"
	// AttrDescription is a human sentence; the record body carries the same text.
	AttrDescription = "audit.description"
	// AttrOutcome is one of OutcomeSuccess, OutcomeFailure, OutcomeUnknown.
	AttrOutcome = "audit.outcome"
	// AttrTenant is the tenant the event belongs to; it selects the Loki tenant and the report.
	AttrTenant = "audit.tenant"
	// AttrEventID is the source's own id, or a deterministic hash of the event.
	AttrEventID = "audit.event_id"
	// AttrTarget is the object acted upon.
	AttrTarget = "audit.target"
	// AttrSource is the source profile that mapped the event ("okta", "cloudtrail", ...).
	AttrSource = "audit.source"
	// AttrAction is the source's own event name ("user.session.start", "ConsoleLogin").
	AttrAction = "audit.action"
	// AttrClientAddress is the source IP of the actor (OpenTelemetry semantic convention).
	AttrClientAddress = "client.address"
	// AttrUserAgent is the actor's user agent (OpenTelemetry semantic convention).
	AttrUserAgent = "user_agent.original"

	// AttrOriginal keeps the raw event (map or string) that the body held before
	// normalisation, so that nothing the source sent is lost.
	AttrOriginal = "audit.original"
	// AttrUnmappedReason is set, with a value from the Reason* set, when the event could not be
	// fully mapped and fallback values were used.
	AttrUnmappedReason = "audit.unmapped_reason"
	// AttrTimeFallback is true when the source time was missing or implausible and the record
	// timestamp is the observed time instead.
	AttrTimeFallback = "audit.time_fallback"
	// AttrTenantOriginal keeps a refused tenant id when the event was moved to the quarantine
	// tenant.
	AttrTenantOriginal = "audit.tenant.original"
)

// Outcome values of AttrOutcome.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeUnknown = "unknown"
)

// AuthorSystem is the author of changes made by the platform itself.
const AuthorSystem = "system"

// Reasons an event was not fully mapped. The set is fixed so that it can be a metric attribute.
const (
	// ReasonNoProfile: no source profile recognised the event.
	ReasonNoProfile = "no_profile"
	// ReasonNoEventName: the profile matched but the event carries no event name.
	ReasonNoEventName = "no_event_name"
	// ReasonUnparsableBody: the body was a string that is not a JSON object.
	ReasonUnparsableBody = "unparsable_body"
	// ReasonNoAuthor: the event names no author.
	ReasonNoAuthor = "no_author"
	// ReasonUnreadableOutcome: the event states an outcome that cannot be read (a value of an
	// unexpected type or an unknown spelling); the outcome is unknown.
	ReasonUnreadableOutcome = "unreadable_outcome"
	// ReasonUnreadableTime: the event states a time that cannot be read or is implausible; the
	// record time is the observed time.
	ReasonUnreadableTime = "unreadable_time"
	// ReasonEnvelopeTooLarge: the body was an envelope of more events than one record may be
	// split into; the record is kept whole, unmapped, with the envelope in audit.original.
	ReasonEnvelopeTooLarge = "envelope_too_large"
)

// NormalizeOutcome maps the many spellings sources use to the three model values.
// Unknown spellings map to OutcomeUnknown, never to success.
func NormalizeOutcome(v string) string {
	// Lowercased on the stack: every spelling below is shorter than the buffer, so a longer
	// value is unknown without a look.
	var buf [maxOutcomeSpelling]byte
	if len(v) > len(buf) {
		return OutcomeUnknown
	}
	b := buf[:len(v)]
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b) {
	case "success", "succeeded", "successful", "allow", "allowed", "ok", "true", "pass", "passed":
		return OutcomeSuccess
	case "failure", "failed", "fail", "deny", "denied", "error", "false", "rejected", "blocked":
		return OutcomeFailure
	default:
		return OutcomeUnknown
	}
}

// maxOutcomeSpelling is the length of NormalizeOutcome's longest spelling, "successful".
const maxOutcomeSpelling = len("successful")

// Source profile names, the values of AttrSource. A receiver that knows its source sets
// AttrSource on the record it emits, which pins the normaliser's profile.
const (
	SourceOTel       = "otel"
	SourceOkta       = "okta"
	SourceGitHub     = "github"
	SourceKubernetes = "kubernetes"
	SourceCloudTrail = "cloudtrail"
	SourceKeycloak   = "keycloak"
	SourceGCP        = "gcp"
	SourceAzure      = "azure"
	SourceGeneric    = "generic"
)
