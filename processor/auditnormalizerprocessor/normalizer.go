package auditnormalizerprocessor

import (
	"errors"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
)

// Quarantine reasons, the fixed set of the tenant_quarantined metric's reason attribute.
const (
	quarantineEmpty       = "empty"
	quarantineTooLong     = "too_long"
	quarantineInvalidChar = "invalid_char"
	quarantineDots        = "dots"
	// quarantineNotAllowed: the record names a tenant its sender's identity may not write.
	quarantineNotAllowed = "not_allowed"
)

// Summaries of events that name no event.
const (
	summaryUnknown       = "Unknown event"
	summaryUnknownFailed = "Unknown event failed"
)

// recordResult tells what normalisation did to one record; the processor counts it.
type recordResult struct {
	// Source is the profile that mapped the record, or "" when none did.
	Source string
	// Reason is one of the audit.Reason* values when the record was not fully mapped.
	Reason string
	// Fallback is true when category and summary are fallback values.
	Fallback bool
	// Tenant, Category, Summary and Outcome are the values written on the record.
	Tenant, Category, Summary, Outcome string
	// CategorySource is the source's own grouping, written as audit.category.source.
	CategorySource string
	// Quarantine is the quarantine* reason when the tenant was refused, else "".
	Quarantine string
}

// normalizer maps log records onto the audit model in place. It is safe for concurrent use.
type normalizer struct {
	cfg      *Config
	pinned   int // the profile setting's index, -1 for auto
	profiles profileSet
	cat      *catalogue
	now      func() time.Time
}

// newNormalizer builds a normalizer from a validated configuration.
func newNormalizer(cfg *Config) (*normalizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &normalizer{cfg: cfg, pinned: -1, profiles: newProfileSet(cfg), cat: newCatalogue(cfg.Catalogue), now: nowFunc}
	if cfg.Profile != ProfileAuto {
		n.pinned, _ = profileIndex(cfg.Profile)
	}
	return n, nil
}

// normalizeRecord maps one record in place: audit attributes are written, the record body
// becomes the description and the raw event moves to audit.original. Records already
// normalised read their raw event back from audit.original, so normalising twice equals once.
//
// Attributes are written last: adding attributes may move the values the phases hold, and
// the event id hashes the attributes as they arrived.
//
// who is the sender's authenticated identity, or nil; it decides which tenants the record may
// name (see settleTenant).
func (n *normalizer) normalizeRecord(resource pcommon.Map, lr plog.LogRecord, who *identity.Identity) recordResult {
	raw := readRawEvent(lr)
	return n.normalizeRaw(resource, lr, who, &raw, false)
}

// normalizeRaw is normalizeRecord with the raw event already read. A record whose envelope is
// too large to split (tooLarge) is mapped with no profile, with the reason envelope_too_large.
func (n *normalizer) normalizeRaw(resource pcommon.Map, lr plog.LogRecord, who *identity.Identity, raw *rawEvent, tooLarge bool) recordResult {
	p := -1
	var ev event
	var res recordResult
	if tooLarge {
		res.Reason = audit.ReasonEnvelopeTooLarge
	} else {
		if raw.hasSrc && !raw.plain {
			raw.src = unwrapEnvelope(raw.src)
		}
		p = n.chooseProfile(raw, lr)
		res = n.extract(p, raw, lr, &ev)
	}
	ev.sanitize()
	n.classify(&ev, &res)
	var out settled
	out.eventTime, out.timeOK = n.settleTime(&ev, p, lr, &res)
	out.tenantOriginal = n.settleTenant(resource, lr.Attributes(), ev.tenant, who, &res)
	out.eventID = settleEventID(&ev, &res, raw, p, out.eventTime, lr)
	out.description = describe(&ev, &res, p)
	writeAttributes(lr.Attributes(), p, &ev, &res, &out)
	replaceBody(lr, raw, out.description)
	return res
}

// rawEvent is the event as the source sent it, and the map profiles read it from.
type rawEvent struct {
	value pcommon.Value
	// fromOriginal is true when value was read back from audit.original.
	fromOriginal bool
	// src is the map profiles read: the parsed raw event, or the record's attributes.
	src        pcommon.Map
	hasSrc     bool
	srcIsAttrs bool
	// unparsable is true for a non-empty string, bytes or slice that holds no event.
	unparsable bool
	// object is the parse of a string value that is, as a whole, one JSON object. Event ids
	// are hashed over it rather than over the text, so that a map body and its JSON text get
	// one id, whatever the spacing and the order of keys.
	object    pcommon.Map
	hasObject bool
	// plain is set when src is known to be no envelope (readEvents looked), so that it is
	// not looked at twice.
	plain bool
}

// hashID hashes the raw event, parsed when it is the JSON text of an object.
func (r *rawEvent) hashID(source string, eventTime int64) string {
	if r.hasObject {
		return audit.HashEventIDMap(source, eventTime, r.object)
	}
	return audit.HashEventID(source, eventTime, r.value)
}

// readRawEvent finds the raw event: audit.original on a record normalised before, else the
// body, parsed when it is a JSON object string.
func readRawEvent(lr plog.LogRecord) rawEvent {
	attrs := lr.Attributes()
	var r rawEvent
	r.value, r.fromOriginal = attrs.Get(audit.AttrOriginal)
	if !r.fromOriginal {
		r.value = lr.Body()
		// A body equal to the description is one this normaliser wrote over an empty body.
		if r.value.Type() == pcommon.ValueTypeStr {
			if d, ok := attrs.Get(audit.AttrDescription); ok && d.Type() == pcommon.ValueTypeStr && d.Str() == r.value.Str() {
				r.value = pcommon.NewValueEmpty()
			}
		}
	}
	switch r.value.Type() {
	case pcommon.ValueTypeMap:
		r.src, r.hasSrc = r.value.Map(), true
	case pcommon.ValueTypeStr:
		if s := r.value.Str(); s != "" {
			if m, ok := parseJSONObject(s); ok {
				r.src, r.hasSrc = m, true
				r.object, r.hasObject = m, true
			} else {
				r.src, r.hasSrc = parsePrefixedEvent(s)
			}
			r.unparsable = !r.hasSrc
		}
	case pcommon.ValueTypeBytes:
		r.unparsable = r.value.Bytes().Len() > 0
	case pcommon.ValueTypeSlice:
		r.unparsable = r.value.Slice().Len() > 0
	}
	return r
}

// useAttributes makes the record's attributes the map profiles read.
func (r *rawEvent) useAttributes(attrs pcommon.Map) {
	r.src, r.hasSrc, r.srcIsAttrs = attrs, true, true
}

// chooseProfile returns the profile that maps the record, -1 for none: the one audit.source
// names, else the pinned one, else the one detected in the raw event, the attributes or the
// record. It points raw at the attributes when the event arrived as attributes.
func (n *normalizer) chooseProfile(raw *rawEvent, lr plog.LogRecord) int {
	attrs := lr.Attributes()
	p, conventionalPin := n.pinnedProfile(attrs)
	if p >= 0 {
		if !raw.hasSrc && p != profileOTel {
			// A pinned vendor profile whose event arrived as attributes.
			raw.useAttributes(attrs)
		}
		return p
	}
	if raw.hasSrc {
		p = n.profiles.detect(raw.src)
	}
	if p < 0 {
		if p = n.profiles.detect(attrs); p >= 0 {
			raw.useAttributes(attrs)
		}
	}
	if p < 0 && n.profiles.otel.detectRecord(lr) {
		p = profileOTel
	}
	if p < 0 && raw.hasSrc && (conventionalPin || n.profiles.all[profileGeneric].detect(raw.src)) {
		p = profileGeneric
	}
	return p
}

// pinnedProfile returns the profile the record's audit.source names, else the one the
// profile setting pins; -1 for none. "generic" without configured paths only says the sender
// is not a known vendor endpoint: it pins nothing, so that a vendor event posted there still
// maps with its vendor's profile, and conventional is true.
func (n *normalizer) pinnedProfile(attrs pcommon.Map) (p int, conventional bool) {
	p = -1
	if v, ok := attrs.Get(audit.AttrSource); ok && v.Type() == pcommon.ValueTypeStr {
		p, _ = profileIndex(v.Str())
	}
	if p < 0 {
		p = n.pinned
	}
	if p == profileGeneric && !n.profiles.genericConfigured {
		return -1, true
	}
	return p, false
}

// detectEvent returns the profile detected in a raw event, -1 for none: a vendor's, else
// the generic profile's (configured paths, or conventional field names).
func (n *normalizer) detectEvent(m pcommon.Map) int {
	if p := n.profiles.detect(m); p >= 0 {
		return p
	}
	if n.profiles.all[profileGeneric].detect(m) {
		return profileGeneric
	}
	return -1
}

// extract fills ev with profile p, or states why no profile could.
func (n *normalizer) extract(p int, raw *rawEvent, lr plog.LogRecord, ev *event) recordResult {
	switch {
	case p >= 0:
		if !raw.hasSrc {
			// The otel profile reads the record; its attributes stand in for the raw event.
			raw.useAttributes(lr.Attributes())
		}
		n.profiles.extract(p, raw.src, lr, ev)
		return recordResult{Source: profileNames[p]}
	case raw.unparsable:
		return recordResult{Reason: audit.ReasonUnparsableBody}
	default:
		return recordResult{Reason: audit.ReasonNoProfile}
	}
}

// sanitize bounds and cleans the strings a profile read, before they reach attributes or the
// description. The tenant is validated, not cleaned. The client address is an IP address:
// every profile reads it through ipOnly.
func (ev *event) sanitize() {
	ev.eventID = cleanString(ev.eventID, maxNameLen)
	ev.name = cleanString(ev.name, maxNameLen)
	ev.author = cleanString(ev.author, maxNameLen)
	ev.authorID = cleanString(ev.authorID, maxNameLen)
	ev.target = cleanString(ev.target, maxNameLen)
	ev.object = cleanString(ev.object, maxNameLen)
	ev.objectKind = cleanString(ev.objectKind, maxNameLen)
	ev.categorySource = cleanString(ev.categorySource, maxNameLen)
	ev.userAgent = cleanString(ev.userAgent, maxDescriptionLen)
	ev.failReason = cleanString(ev.failReason, maxNameLen)
	ev.note = cleanString(ev.note, maxNameLen)
}

// classify looks the event name up in the catalogue and settles outcome, category and
// summary. The category is always the catalogue's (built-in set, or an operator's entry), the
// profile's reading of the event's structure, or fallback_category: a name the catalogue
// does not know never becomes a category; what it says goes to audit.category.source.
// A missing author or an unreadable outcome is recorded as a reason but does not make
// category and summary fallbacks.
func (n *normalizer) classify(ev *event, res *recordResult) {
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
	summary := k.summary
	failed := res.Outcome == audit.OutcomeFailure
	switch {
	case summary == "" && failed:
		summary = summaryUnknownFailed
	case summary == "":
		summary = summaryUnknown
	case failed && k.failureSummary != "":
		summary = k.failureSummary
	}
	res.Summary = summary
	category := k.category
	if category == "" || (k.weak && ev.categoryHint != "") {
		category = ev.categoryHint
	}
	res.Category = firstNonEmpty(category, n.cfg.FallbackCategory)
	res.CategorySource = firstNonEmpty(ev.categorySource, k.source)
	if ev.author == "" && res.Reason == "" {
		res.Reason = audit.ReasonNoAuthor
	}
	if ev.outcomeUnreadable && res.Reason == "" {
		res.Reason = audit.ReasonUnreadableOutcome
	}
}

// settleTime sets the record's timestamps: the first of the event's time fields that reads
// as a plausible time, else the observed time, which is filled in when missing (from a
// plausible record timestamp, else the clock; never 0). It returns the event time, 0 when the
// observed time stands in, and whether the event's own time was used. A time field that is
// present but unreadable or implausible is recorded as a reason.
func (n *normalizer) settleTime(ev *event, p int, lr plog.LogRecord, res *recordResult) (int64, bool) {
	now := n.now()
	var eventTime int64
	given, ok := false, false
	switch {
	case ev.timeCount > 0:
		for i := 0; i < ev.timeCount && !ok; i++ {
			v := ev.times[i]
			if !stated(v) {
				continue
			}
			given = true
			eventTime, ok = parseTime(v)
			ok = ok && plausible(eventTime, now)
		}
	case ev.timeNanos != 0:
		given, eventTime = true, ev.timeNanos
		ok = plausible(eventTime, now)
	case lr.Timestamp() != 0 && !has(lr.Attributes(), audit.AttrTimeFallback):
		// The event states no time of its own (a log line, a webhook delivery): a timestamp
		// its producer set on the record (a log collector's parsed time) is the next best,
		// unless an earlier normalisation put the observed time there.
		given, eventTime = true, int64(lr.Timestamp())
		ok = plausible(eventTime, now)
	}
	if given && !ok && res.Reason == "" {
		res.Reason = audit.ReasonUnreadableTime
	}
	observed := lr.ObservedTimestamp()
	if observed == 0 {
		if ts := int64(lr.Timestamp()); ts != 0 && plausible(ts, now) {
			observed = lr.Timestamp()
		} else {
			observed = pcommon.NewTimestampFromTime(now)
		}
		lr.SetObservedTimestamp(observed)
	}
	if !ok {
		lr.SetTimestamp(observed)
		return 0, false
	}
	lr.SetTimestamp(pcommon.Timestamp(eventTime))
	return eventTime, true
}

// settleTenant sets res.Tenant from the tenant the record claims (resource attributes, then
// record attributes, then the source's own tenant) and the sender's identity:
//   - a claim is kept only when the identity allows it; with no identity, only when
//     trust_payload_tenant is set (or the claim is the default tenant);
//   - a record that claims nothing gets the identity's default tenant, else default_tenant;
//   - an identity bound to no tenant writes default_tenant only, and its payloads' tenant
//     fields are not claims;
//   - a refused claim, or a tenant Loki would refuse, sends the record to the quarantine
//     tenant. The refused value is returned, cleaned, to be kept in audit.tenant.original.
func (n *normalizer) settleTenant(resource, attrs pcommon.Map, fromSource string, who *identity.Identity, res *recordResult) (refused string) {
	claimed := n.claimedTenant(resource, attrs, fromSource)
	if who != nil && !who.Internal && len(who.Tenants) == 0 {
		// Bound to no tenant (a webhook endpoint without one): the default tenant, whatever
		// the payload's own tenant field says.
		claimed = ""
	}
	tenant := claimed
	if claimed == "" {
		tenant = n.cfg.DefaultTenant
		if who != nil && who.Default() != "" {
			tenant = who.Default()
		}
	} else if !n.mayWrite(who, claimed) {
		res.Quarantine = quarantineNotAllowed
		res.Tenant = n.cfg.QuarantineTenant
		return cleanString(claimed, maxNameLen)
	}
	if err := audit.ValidateTenant(tenant); err != nil {
		res.Quarantine = quarantineReason(err)
		refused = cleanString(tenant, maxNameLen)
		tenant = n.cfg.QuarantineTenant
	}
	res.Tenant = tenant
	return refused
}

func (n *normalizer) mayWrite(who *identity.Identity, tenant string) bool {
	switch {
	case who != nil:
		return who.Allows(tenant)
	case n.cfg.TrustPayloadTenant:
		return true
	default:
		return tenant == n.cfg.DefaultTenant
	}
}

func (n *normalizer) claimedTenant(resource, attrs pcommon.Map, fromSource string) string {
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
	return fromSource
}

func quarantineReason(err error) string {
	switch {
	case errors.Is(err, audit.ErrTenantTooLong):
		return quarantineTooLong
	case errors.Is(err, audit.ErrTenantDots):
		return quarantineDots
	case errors.Is(err, audit.ErrTenantEmpty):
		return quarantineEmpty
	default:
		return quarantineInvalidChar
	}
}

// settleEventID returns the source's own event id; else one already on the record (a
// producer's, or written by an earlier normalisation); else a hash of the raw event, or of
// the record when the event is the record itself.
func settleEventID(ev *event, res *recordResult, raw *rawEvent, p int, eventTime int64, lr plog.LogRecord) string {
	if ev.eventID != "" {
		return ev.eventID
	}
	attrs := lr.Attributes()
	if v, ok := attrs.Get(audit.AttrEventID); ok {
		if id := cleanString(valueString(v), maxNameLen); id != "" {
			return id
		}
	}
	// "none" is part of the hashed input: changing it would change the ids of unmapped events.
	source := firstNonEmpty(res.Source, "none")
	if (raw.hasSrc && !raw.srcIsAttrs) || (p < 0 && raw.value.Type() != pcommon.ValueTypeEmpty) {
		return raw.hashID(source, eventTime)
	}
	return audit.HashRecordEventID(source, eventTime, lr.EventName(), raw.value, attrs)
}

// settled holds what the phases decided for one record, to be written last.
type settled struct {
	eventTime      int64 // Unix nanoseconds, 0 when the observed time stands in
	timeOK         bool  // the event's own time was used
	tenantOriginal string
	eventID        string
	description    string
}

// writeAttributes writes the audit model's attributes.
func writeAttributes(attrs pcommon.Map, p int, ev *event, res *recordResult, out *settled) {
	// One growth for all, audit.original included (replaceBody), and no more.
	attrs.EnsureCapacity(attrs.Len() + attributeCount(p, ev, res, out))
	if !out.timeOK {
		attrs.PutBool(audit.AttrTimeFallback, true)
	}
	if res.Quarantine != "" {
		attrs.PutStr(audit.AttrTenantOriginal, out.tenantOriginal)
	}
	putNonEmpty(attrs, audit.AttrSource, res.Source)
	putNonEmpty(attrs, audit.AttrAction, ev.name)
	putNonEmpty(attrs, audit.AttrAuthor, ev.author)
	putNonEmpty(attrs, audit.AttrAuthorID, ev.authorID)
	attrs.PutStr(audit.AttrCategory, res.Category)
	putNonEmpty(attrs, audit.AttrCategorySource, res.CategorySource)
	attrs.PutStr(audit.AttrSummary, res.Summary)
	attrs.PutStr(audit.AttrDescription, out.description)
	attrs.PutStr(audit.AttrOutcome, res.Outcome)
	attrs.PutStr(audit.AttrTenant, res.Tenant)
	attrs.PutStr(audit.AttrEventID, out.eventID)
	putNonEmpty(attrs, audit.AttrTarget, ev.target)
	// The otel profile read these from semantic-convention attributes already on the record,
	// which are the producer's and stay as sent.
	if p != profileOTel {
		putNonEmpty(attrs, audit.AttrClientAddress, ev.clientAddr)
		putNonEmpty(attrs, audit.AttrUserAgent, ev.userAgent)
	}
	putNonEmpty(attrs, audit.AttrUnmappedReason, res.Reason)
}

// attributeCount is how many attributes writeAttributes and replaceBody add at most.
func attributeCount(p int, ev *event, res *recordResult, out *settled) int {
	// Category, summary, description, outcome, tenant, event id and audit.original.
	n := 7
	for _, v := range [...]string{res.Quarantine, res.Source, ev.name, ev.author, ev.authorID, res.CategorySource, ev.target, res.Reason} {
		if v != "" {
			n++
		}
	}
	if !out.timeOK {
		n++
	}
	if p != profileOTel {
		if ev.clientAddr != "" {
			n++
		}
		if ev.userAgent != "" {
			n++
		}
	}
	return n
}

func putNonEmpty(attrs pcommon.Map, key, v string) {
	if v != "" {
		attrs.PutStr(key, v)
	}
}

// replaceBody moves the raw event from the body to audit.original unchanged, and makes the
// description the body.
func replaceBody(lr plog.LogRecord, raw *rawEvent, description string) {
	body := lr.Body()
	if !raw.fromOriginal && raw.value.Type() != pcommon.ValueTypeEmpty {
		// The value itself moves, so that audit.original needs no new map or string.
		body.MoveTo(lr.Attributes().PutEmpty(audit.AttrOriginal))
	}
	body.SetStr(description)
}

// describe writes the human sentence. It names the author, the target and a significant
// object where the event holds them, the source IP, the vendor's own action name, and why a
// failed action failed:
//
//	alice@example.com failed to log in from 203.0.113.9 via ConsoleLogin: Failed authentication
//	Permission grant failed by bob on role ops (policy AdministratorAccess) from 10.0.0.1 via AttachRolePolicy: AccessDenied
func describe(ev *event, res *recordResult, p int) string {
	if res.Source == "" {
		return "Unrecognised audit event"
	}
	author := ev.author
	if author == "" {
		author = "an unknown user"
	}
	var b strings.Builder
	b.Grow(64 + len(author) + len(ev.target) + len(ev.object) + len(ev.name) + len(ev.failReason) + len(res.Summary))
	switch res.Summary {
	case audit.SummaryLogin, audit.SummaryLoginFailed:
		b.WriteString(author)
		if res.Summary == audit.SummaryLogin {
			b.WriteString(" logged in")
		} else {
			b.WriteString(" failed to log in")
		}
		if ev.target != "" {
			b.WriteString(" to ")
			b.WriteString(ev.target)
		}
	default:
		b.WriteString(res.Summary)
		b.WriteString(" by ")
		b.WriteString(author)
		if ev.target != "" {
			b.WriteString(" on ")
			if ev.targetKind != "" {
				b.WriteString(ev.targetKind)
				b.WriteByte(' ')
			}
			b.WriteString(ev.target)
		}
	}
	if ev.object != "" {
		b.WriteString(" (")
		if ev.objectKind != "" {
			b.WriteString(ev.objectKind)
			b.WriteByte(' ')
		}
		b.WriteString(ev.object)
		b.WriteByte(')')
	}
	if ev.note != "" {
		b.WriteByte(' ')
		b.WriteString(ev.note)
	}
	if ev.clientAddr != "" {
		b.WriteString(" from ")
		b.WriteString(ev.clientAddr)
	}
	// A vendor's action name says what the summary may only paraphrase ("ConsoleLogin",
	// "repo.create"); events of in-house producers are named by their summary.
	if ev.name != "" && p != profileOTel && p != profileGeneric {
		b.WriteString(" via ")
		b.WriteString(ev.name)
	}
	if res.Outcome == audit.OutcomeFailure && ev.failReason != "" {
		b.WriteString(": ")
		b.WriteString(ev.failReason)
	}
	return cleanString(b.String(), maxDescriptionLen)
}

// nowFunc is the clock; tests fix it so that golden outputs do not depend on the day.
var nowFunc = time.Now
