package auditnormalizerprocessor

import (
	"errors"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Quarantine reasons, the fixed set of the tenant_quarantined metric's reason attribute.
const (
	QuarantineEmpty       = "empty"
	QuarantineTooLong     = "too_long"
	QuarantineInvalidChar = "invalid_char"
	QuarantineDots        = "dots"
)

// summaryUnknown is the summary of events that name no event.
const summaryUnknown = "Unknown event"

// Result tells what normalisation did to one record; the processor counts it.
type Result struct {
	// Source is the profile that mapped the record, or "" when none did.
	Source string
	// Reason is one of the audit.Reason* values when the record was not fully mapped.
	Reason string
	// Fallback is true when category and summary are fallback values.
	Fallback bool
	// Tenant, Category, Summary and Outcome are the values written on the record.
	Tenant, Category, Summary, Outcome string
	// Quarantine is the Quarantine* reason when the tenant was refused, else "".
	Quarantine string
}

// Normalizer maps log records onto the audit model in place. It is safe for concurrent use.
// The processor is the unit of integration; receivers and tests may use a Normalizer directly
// to see what the pipeline will write.
type Normalizer struct {
	cfg      *Config
	pinned   int
	profiles [len(profileNames)]profile
	otel     otelProfile
	cat      *catalogue
	now      func() time.Time
}

// NewNormalizer builds a Normalizer from a validated configuration.
func NewNormalizer(cfg *Config) (*Normalizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Normalizer{cfg: cfg, pinned: -1, cat: newCatalogue(cfg.Catalogue), now: nowFunc}
	if cfg.Profile != ProfileAuto {
		n.pinned, _ = profileIndex(cfg.Profile)
	}
	n.otel = otelProfile{targetKeys: cfg.OTel.TargetAttributes}
	n.profiles = [len(profileNames)]profile{
		oktaProfile{}, cloudTrailProfile{}, kubernetesProfile{}, gitHubProfile{}, keycloakProfile{},
		newGenericProfile(cfg.Generic), n.otel,
	}
	return n, nil
}

// detectIn returns the first vendor or generic profile that recognises m.
func (n *Normalizer) detectIn(m pcommon.Map) int {
	for i := 0; i < profileGeneric; i++ {
		if n.profiles[i].detect(m) {
			return i
		}
	}
	if n.cfg.Generic.EventName != "" && n.profiles[profileGeneric].detect(m) {
		return profileGeneric
	}
	return -1
}

// NormalizeRecord maps one record in place: audit attributes are written, the record body
// becomes the description and the raw event moves to audit.original. Records already
// normalised read their raw event back from audit.original, so normalising twice equals once.
func (n *Normalizer) NormalizeRecord(resource pcommon.Map, lr plog.LogRecord) Result {
	attrs := lr.Attributes()
	now := n.now()

	// The raw event: audit.original on a record normalised before, else the body.
	raw, rawFromAttr := attrs.Get(audit.AttrOriginal)
	if !rawFromAttr {
		raw = lr.Body()
		// A body equal to the description is one this normaliser wrote over an empty body.
		if raw.Type() == pcommon.ValueTypeStr {
			if d, ok := attrs.Get(audit.AttrDescription); ok && d.Type() == pcommon.ValueTypeStr && d.Str() == raw.Str() {
				raw = pcommon.NewValueEmpty()
			}
		}
	}
	var src pcommon.Map
	hasSrc, srcIsAttrs, unparsable, rawIsStr := false, false, false, false
	switch raw.Type() {
	case pcommon.ValueTypeMap:
		src, hasSrc = raw.Map(), true
	case pcommon.ValueTypeStr:
		if s := raw.Str(); s != "" {
			rawIsStr = true
			src, hasSrc = parseJSONObject(s)
			unparsable = !hasSrc
		}
	case pcommon.ValueTypeBytes, pcommon.ValueTypeSlice:
		unparsable = raw.Type() == pcommon.ValueTypeBytes && raw.Bytes().Len() > 0 || raw.Type() == pcommon.ValueTypeSlice && raw.Slice().Len() > 0
	}

	p := -1
	if v, ok := attrs.Get(audit.AttrSource); ok && v.Type() == pcommon.ValueTypeStr {
		p, _ = profileIndex(v.Str())
	}
	if p < 0 {
		p = n.pinned
	}
	// "generic" without configured paths only says the sender is not a known vendor endpoint:
	// a vendor event posted there still maps with its vendor's profile.
	conventionalPin := p == profileGeneric && n.cfg.Generic.EventName == ""
	if conventionalPin {
		p = -1
	}
	if p < 0 {
		if hasSrc {
			p = n.detectIn(src)
		}
		if p < 0 {
			if p = n.detectIn(attrs); p >= 0 {
				src, hasSrc, srcIsAttrs = attrs, true, true
			}
		}
		if p < 0 && n.otel.detectRecord(lr) {
			p = profileOTel
		}
		if p < 0 && hasSrc && (conventionalPin || n.profiles[profileGeneric].detect(src)) {
			p = profileGeneric
		}
	} else if !hasSrc && p != profileOTel {
		// A pinned vendor profile whose event arrived as attributes.
		src, hasSrc, srcIsAttrs = attrs, true, true
	}

	var ev event
	res := Result{}
	if p >= 0 {
		res.Source = profileNames[p]
		if !hasSrc {
			src, srcIsAttrs = attrs, true
		}
		n.profiles[p].extract(src, lr, &ev)
	} else if unparsable || rawIsStr {
		res.Reason = audit.ReasonUnparsableBody
	} else {
		res.Reason = audit.ReasonNoProfile
	}

	// Catalogue.
	ev.name = cleanString(ev.name, maxNameLen)
	var k eventKind
	if ev.name != "" {
		k = n.cat.lookup(ev.name)
	} else if res.Reason == "" {
		res.Reason = audit.ReasonNoEventName
	}
	res.Fallback = res.Reason != ""
	res.Outcome = audit.NormalizeOutcome(ev.outcome)
	if res.Outcome == audit.OutcomeUnknown && k.outcome != "" {
		res.Outcome = k.outcome
	}
	res.Category = firstNonEmpty(k.category, ev.categoryHint, n.cfg.FallbackCategory)
	res.Summary = k.summary
	if res.Outcome == audit.OutcomeFailure && k.failureSummary != "" {
		res.Summary = k.failureSummary
	}
	if res.Summary == "" {
		res.Summary = summaryUnknown
	}
	res.Category = cleanString(res.Category, maxNameLen)
	res.Summary = cleanString(res.Summary, maxNameLen)
	ev.author = cleanString(ev.author, maxNameLen)
	ev.authorID = cleanString(ev.authorID, maxNameLen)
	ev.target = cleanString(ev.target, maxNameLen)
	ev.userAgent = cleanString(ev.userAgent, maxDescriptionLen)
	ev.failReason = cleanString(ev.failReason, maxNameLen)
	ev.note = cleanString(ev.note, maxNameLen)
	if ev.author == "" && res.Reason == "" {
		res.Reason = audit.ReasonNoAuthor
	}

	// Time: the event's own time when plausible, else the observed time, flagged.
	eventTime, timeOK := ev.timeNanos, ev.timeNanos != 0
	if ev.hasTime {
		eventTime, timeOK = parseTime(ev.time, ev.timeFormat)
	} else if p < 0 {
		eventTime, timeOK = int64(lr.Timestamp()), lr.Timestamp() != 0
	}
	timeOK = timeOK && plausible(eventTime, now)
	observed := lr.ObservedTimestamp()
	if observed == 0 {
		if ts := int64(lr.Timestamp()); ts != 0 && plausible(ts, now) {
			observed = lr.Timestamp()
		} else {
			observed = pcommon.NewTimestampFromTime(now)
		}
		lr.SetObservedTimestamp(observed)
	}
	if timeOK {
		lr.SetTimestamp(pcommon.Timestamp(eventTime))
	} else {
		lr.SetTimestamp(observed)
		eventTime = 0
	}

	// Tenant.
	tenant, refusedTenant := n.tenantOf(resource, attrs, ev.tenant), ""
	if err := audit.ValidateTenant(tenant); err != nil {
		res.Quarantine = quarantineReason(err)
		refusedTenant = cleanString(tenant, maxNameLen)
		tenant = n.cfg.QuarantineTenant
	}
	res.Tenant = tenant

	// Event id: the source's own; else one already on the record (a producer's, or written by
	// an earlier normalisation); else a hash of the raw event.
	eventID := cleanString(ev.eventID, maxNameLen)
	if eventID == "" {
		if v, ok := attrs.Get(audit.AttrEventID); ok {
			eventID = cleanString(valueString(v), maxNameLen)
		}
	}
	if eventID == "" {
		source := firstNonEmpty(res.Source, "none")
		if (hasSrc && !srcIsAttrs) || (p < 0 && raw.Type() != pcommon.ValueTypeEmpty) {
			eventID = audit.HashEventID(source, eventTime, raw)
		} else {
			eventID = audit.HashRecordEventID(source, eventTime, lr.EventName(), raw, attrs)
		}
	}

	description := describe(&ev, &res)

	// Writes come last: adding attributes may move the values read above. One growth for all.
	attrs.EnsureCapacity(attrs.Len() + 16)
	if !timeOK {
		attrs.PutBool(audit.AttrTimeFallback, true)
	}
	if res.Quarantine != "" {
		attrs.PutStr(audit.AttrTenantOriginal, refusedTenant)
	}

	if res.Source != "" {
		attrs.PutStr(audit.AttrSource, res.Source)
	}
	if ev.name != "" {
		attrs.PutStr(audit.AttrAction, ev.name)
	}
	if ev.author != "" {
		attrs.PutStr(audit.AttrAuthor, ev.author)
	}
	if ev.authorID != "" {
		attrs.PutStr(audit.AttrAuthorID, ev.authorID)
	}
	attrs.PutStr(audit.AttrCategory, res.Category)
	attrs.PutStr(audit.AttrSummary, res.Summary)
	attrs.PutStr(audit.AttrDescription, description)
	attrs.PutStr(audit.AttrOutcome, res.Outcome)
	attrs.PutStr(audit.AttrTenant, tenant)
	attrs.PutStr(audit.AttrEventID, eventID)
	if ev.target != "" {
		attrs.PutStr(audit.AttrTarget, ev.target)
	}
	if p != profileOTel {
		if ev.clientAddr != "" {
			attrs.PutStr(audit.AttrClientAddress, ev.clientAddr)
		}
		if ev.userAgent != "" {
			attrs.PutStr(audit.AttrUserAgent, ev.userAgent)
		}
	}
	if res.Reason != "" {
		attrs.PutStr(audit.AttrUnmappedReason, res.Reason)
	}

	// The raw event moves to audit.original unchanged; the body becomes the sentence.
	body := lr.Body()
	if !rawFromAttr && raw.Type() != pcommon.ValueTypeEmpty {
		dst := attrs.PutEmpty(audit.AttrOriginal)
		if body.Type() == pcommon.ValueTypeMap {
			body.Map().MoveTo(dst.SetEmptyMap())
		} else {
			body.CopyTo(dst)
		}
	}
	body.SetStr(description)
	return res
}

// tenantOf picks the tenant: resource attributes, then record attributes, then the source's
// own tenant, then the default.
func (n *Normalizer) tenantOf(resource, attrs pcommon.Map, fromSource string) string {
	for _, k := range n.cfg.TenantResourceAttributes {
		if v, ok := resource.Get(k); ok {
			if s := valueString(v); s != "" {
				return s
			}
		}
	}
	for _, k := range n.cfg.TenantAttributes {
		if v, ok := attrs.Get(k); ok {
			if s := valueString(v); s != "" {
				return s
			}
		}
	}
	if fromSource != "" {
		return fromSource
	}
	return n.cfg.DefaultTenant
}

func quarantineReason(err error) string {
	switch {
	case errors.Is(err, audit.ErrTenantTooLong):
		return QuarantineTooLong
	case errors.Is(err, audit.ErrTenantDots):
		return QuarantineDots
	case errors.Is(err, audit.ErrTenantEmpty):
		return QuarantineEmpty
	default:
		return QuarantineInvalidChar
	}
}

// describe writes the human sentence: "alice@example.com failed to log in from 203.0.113.9",
// "Role granted by bob on carol from 10.0.0.1".
func describe(ev *event, res *Result) string {
	if res.Source == "" {
		return "Unrecognised audit event"
	}
	author := ev.author
	if author == "" {
		author = "an unknown user"
	}
	var b strings.Builder
	b.Grow(64 + len(author) + len(ev.target) + len(ev.failReason) + len(res.Summary))
	switch res.Summary {
	case audit.SummaryLogin:
		b.WriteString(author)
		b.WriteString(" logged in")
	case audit.SummaryLoginFailed:
		b.WriteString(author)
		b.WriteString(" failed to log in")
	default:
		b.WriteString(res.Summary)
		b.WriteString(" by ")
		b.WriteString(author)
		if ev.target != "" {
			b.WriteString(" on ")
			b.WriteString(ev.target)
		}
	}
	if ev.note != "" {
		b.WriteByte(' ')
		b.WriteString(ev.note)
	}
	if ev.clientAddr != "" {
		b.WriteString(" from ")
		b.WriteString(ev.clientAddr)
	}
	if res.Outcome == audit.OutcomeFailure {
		switch {
		case ev.failReason != "":
			b.WriteString(" (failed: ")
			b.WriteString(ev.failReason)
			b.WriteByte(')')
		case res.Summary != audit.SummaryLoginFailed && !strings.HasSuffix(res.Summary, " failed"):
			b.WriteString(" (failed)")
		}
	}
	return cleanString(b.String(), maxDescriptionLen)
}

// nowFunc is the clock; tests fix it so that golden outputs do not depend on the day.
var nowFunc = time.Now

var vendorProfiles = [...]profile{oktaProfile{}, cloudTrailProfile{}, kubernetesProfile{}, gitHubProfile{}, keycloakProfile{}}

// DetectSource names the vendor whose distinctive keys the raw event carries (one of the
// audit.Source* values okta, cloudtrail, kubernetes, github, keycloak), or "" when none does.
// Receivers can use it to set audit.source; it reads a few keys and allocates nothing.
func DetectSource(raw pcommon.Map) string {
	for i, p := range vendorProfiles {
		if p.detect(raw) {
			return profileNames[i]
		}
	}
	return ""
}
