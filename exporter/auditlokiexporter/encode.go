package auditlokiexporter

import (
	"encoding/binary"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/grafana/loki/pkg/push"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// overflowLabelValue replaces a label value once the label has reached its distinct-value cap.
const overflowLabelValue = "_other"

// overflowMetaSuffix names the structured-metadata key that keeps an overflowed label's true
// value: category_original, outcome_original, ...
const overflowMetaSuffix = "_original"

// serviceNameAttr is the resource attribute of the service_name label.
const serviceNameAttr = "service.name"

// entry is one record rendered for Loki, with a reference back to the record so that a
// failed subset can be handed back to exporterhelper for retry.
type entry struct {
	tenant string
	// labels is the stream selector, `{a="b", c="d"}`, names sorted.
	labels  string
	nLabels int
	ts      time.Time
	line    string
	meta    push.LabelsAdapter
	// reason is set when validation refused the entry.
	reason string
	ref    recordRef
}

type recordRef struct{ resource, scope, record int }

// pushEntry is the entry as it goes over the wire.
func (en *entry) pushEntry() lokipush.Entry {
	return lokipush.Entry{Labels: en.labels, Timestamp: en.ts, Line: en.line, StructuredMetadata: en.meta}
}

// labelCap bounds the distinct values of each label per tenant, for the life of the exporter,
// so that no tenant can exhaust a label for another. The values alerts and dashboards depend
// on (the built-in categories and the outcomes) are always admitted. The admitted set only
// grows, so a value admitted once keeps its stream: a retry renders the same labels.
type labelCap struct {
	mu     sync.Mutex
	max    int
	values map[string]map[string]map[string]struct{} // tenant -> label -> values
}

// maxCappedTenants bounds the cap's own memory: tenants seen after it share one set.
const maxCappedTenants = 10000

func newLabelCap(maxValues int) *labelCap {
	return &labelCap{max: maxValues, values: map[string]map[string]map[string]struct{}{}}
}

// alwaysAdmitted are the fixed values no cap may push to _other: the built-in categories and
// outcomes, which alerts and dashboards select on, and the service of the collector's own
// audit events, which report readers select dead-letter markers and deliveries on.
var alwaysAdmitted = func() map[string]map[string]bool {
	m := map[string]map[string]bool{
		audit.LokiLabelCategory: {},
		audit.LokiLabelOutcome:  {},
		audit.LokiLabelService:  {selfaudit.SourceName: true},
	}
	for _, c := range audit.BuiltinCategories {
		m[audit.LokiLabelCategory][c] = true
	}
	for _, o := range audit.Outcomes {
		m[audit.LokiLabelOutcome][o] = true
	}
	return m
}()

// admit reports whether value may be used for label in tenant's streams.
func (c *labelCap) admit(tenant, label, value string) bool {
	if alwaysAdmitted[label][value] {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	byLabel := c.values[tenant]
	if byLabel == nil {
		if len(c.values) >= maxCappedTenants {
			tenant = ""
			byLabel = c.values[tenant]
		}
		if byLabel == nil {
			byLabel = map[string]map[string]struct{}{}
			c.values[tenant] = byLabel
		}
	}
	seen := byLabel[label]
	if seen == nil {
		seen = map[string]struct{}{}
		byLabel[label] = seen
	}
	if _, ok := seen[value]; ok {
		return true
	}
	if len(seen) >= c.max {
		return false
	}
	seen[value] = struct{}{}
	return true
}

// encoder renders records into entries. It holds no per-request state, so that rendering is
// a pure function of the record and the admitted label values.
type encoder struct {
	cfg        *Config
	extra      []extraLabel
	caps       *labelCap
	onOverflow func(label string)
	now        func() time.Time

	selMu     sync.Mutex
	selectors map[string]string
}

type extraLabel struct{ attr, name string }

func newEncoder(cfg *Config, onOverflow func(string)) *encoder {
	e := &encoder{cfg: cfg, caps: newLabelCap(cfg.Labels.MaxValuesPerLabel), onOverflow: onOverflow, now: time.Now, selectors: map[string]string{}}
	for attr, name := range cfg.Labels.Attributes {
		e.extra = append(e.extra, extraLabel{attr: attr, name: name})
	}
	sort.Slice(e.extra, func(i, j int) bool { return e.extra[i].name < e.extra[j].name })
	if e.onOverflow == nil {
		e.onOverflow = func(string) {}
	}
	return e
}

// metaPerEntry is the usual number of structured-metadata pairs of an entry, to size the
// batch's shared metadata array.
const metaPerEntry = 10

// batchState holds what one entries call reuses from record to record: scratch buffers, the
// metadata array that every entry's metadata is a slice of, and the streams already resolved.
// It is never shared between calls, so concurrent batches need no locking for it.
type batchState struct {
	now     time.Time
	service string
	values  []string // raw label values in stream-key order: category, outcome, extras
	labels  []label
	key     []byte // stream key
	selKey  []byte // selector cache key
	fields  []label
	line    []byte
	meta    push.LabelsAdapter
	streams map[string]*stream
}

// stream is what the labels of a stream key resolve to. Admission under the label caps only
// ever grows the admitted set, so the decision taken for the first record of a key holds for
// every later record with the same key.
type stream struct {
	selector string
	nLabels  int
	// reason is the label validation's refusal, if any.
	reason string
	// overflow lists the labels whose value was replaced by overflowLabelValue, with the
	// structured-metadata key (name_original) and the true value.
	overflow []overflowed
}

type overflowed struct{ label, metaKey, value string }

// entries renders every record of ld, in arrival order.
func (e *encoder) entries(ld plog.Logs) []entry {
	n := ld.LogRecordCount()
	out := make([]entry, 0, n)
	st := &batchState{
		now:     e.now(),
		values:  make([]string, 2+len(e.extra)),
		labels:  make([]label, 0, 3+len(e.extra)),
		key:     make([]byte, 0, 128),
		selKey:  make([]byte, 0, 128),
		meta:    make(push.LabelsAdapter, 0, n*metaPerEntry),
		streams: map[string]*stream{},
	}
	rls := ld.ResourceLogs()
	for ri := 0; ri < rls.Len(); ri++ {
		rl := rls.At(ri)
		res := rl.Resource().Attributes()
		st.service = audit.DefaultServiceName
		if v, ok := res.Get(serviceNameAttr); ok {
			if s := valueString(v); s != "" {
				st.service = s
			}
		}
		sls := rl.ScopeLogs()
		for si := 0; si < sls.Len(); si++ {
			lrs := sls.At(si).LogRecords()
			for li := 0; li < lrs.Len(); li++ {
				out = append(out, entry{ref: recordRef{ri, si, li}})
				e.entry(st, res, lrs.At(li), &out[len(out)-1])
			}
		}
	}
	return out
}

type label struct{ name, value string }

// valueString is v as a string, without AsString's formatting for the usual string value.
func valueString(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return v.AsString()
}

// attrString is the attribute key of attrs as a string; "" when absent.
func attrString(attrs pcommon.Map, key string) string {
	if v, ok := attrs.Get(key); ok {
		return valueString(v)
	}
	return ""
}

func (e *encoder) entry(st *batchState, res pcommon.Map, lr plog.LogRecord, en *entry) {
	attrs := lr.Attributes()

	// The normaliser owns tenant, event id and time; a record without them bypassed it and is
	// dead-lettered rather than guessed at.
	facts, err := audit.RecordFacts(lr)
	if err != nil {
		en.reason = audit.ReasonNotNormalized
	}
	switch e.cfg.Tenant.Mode {
	case TenantModePerRecord:
		en.tenant = facts.Tenant
	case TenantModeFixed:
		en.tenant = e.cfg.Tenant.ID
	}

	st.values[0] = attrString(attrs, audit.AttrCategory)
	st.values[1] = attrString(attrs, audit.AttrOutcome)
	for i, x := range e.extra {
		v := attrString(attrs, x.attr)
		if v == "" {
			v = attrString(res, x.attr)
		}
		st.values[2+i] = v
	}

	start := len(st.meta)
	addMeta := func(name, value string) {
		if value != "" {
			st.meta = append(st.meta, push.LabelAdapter{Name: name, Value: value})
		}
	}
	addMeta(audit.LokiMetaAuthor, attrString(attrs, audit.AttrAuthor))
	addMeta(audit.LokiMetaAuthorID, attrString(attrs, audit.AttrAuthorID))
	summary := attrString(attrs, audit.AttrSummary)
	addMeta(audit.LokiMetaSummary, summary)
	addMeta(audit.LokiMetaEventID, attrString(attrs, audit.AttrEventID))
	addMeta(audit.LokiMetaSourceIP, attrString(attrs, audit.AttrClientAddress))
	addMeta(audit.LokiMetaTarget, attrString(attrs, audit.AttrTarget))
	addMeta(audit.LokiMetaAuditSource, attrString(attrs, audit.AttrSource))
	addMeta(audit.LokiMetaAction, attrString(attrs, audit.AttrAction))
	addMeta(audit.LokiMetaUserAgent, attrString(attrs, audit.AttrUserAgent))
	addMeta(audit.LokiMetaTenant, attrString(attrs, audit.AttrTenant))
	if id := lr.TraceID(); !id.IsEmpty() {
		addMeta(audit.LokiMetaTraceID, id.String())
	}
	if id := lr.SpanID(); !id.IsEmpty() {
		addMeta(audit.LokiMetaSpanID, id.String())
	}
	if summary == selfaudit.SummaryEventDeadLettered {
		// A dead-letter marker: report readers count it by the time of the event it stands for.
		addMeta(selfaudit.LokiMetaEventTime, attrString(attrs, selfaudit.AttrDeadLetterEventTime))
		addMeta(selfaudit.LokiMetaReason, attrString(attrs, selfaudit.AttrDeadLetterReason))
	}

	// Labels are validated, then capped (so that an invalid value is dead-lettered rather
	// than admitted), only for a record that passed the normalisation check.
	s := e.stream(st, facts.Tenant, en.reason == "")
	if en.reason == "" {
		en.reason = s.reason
	}
	for _, o := range s.overflow {
		e.onOverflow(o.label)
		st.meta = append(st.meta, push.LabelAdapter{Name: o.metaKey, Value: o.value})
	}
	en.labels = s.selector
	en.nLabels = s.nLabels
	// The full slice expression keeps a later append from writing into the next entry's part.
	en.meta = st.meta[start:len(st.meta):len(st.meta)]

	en.ts = facts.Time
	en.line = e.renderLine(st, lr, en.tenant)
	if en.reason == "" {
		en.reason = e.validateEntry(en, st.now)
	}
}

// stream resolves the labels of the record whose raw values are in st.values, under tenant's
// caps when capped is set, once per stream key and batch.
func (e *encoder) stream(st *batchState, tenant string, capped bool) *stream {
	// Every part is length-prefixed, so that no value can be read as the boundary of another.
	key := st.key[:0]
	if capped {
		key = append(key, 1)
		key = appendKeyPart(key, tenant)
	} else {
		key = append(key, 0)
	}
	key = appendKeyPart(key, st.service)
	for _, v := range st.values {
		key = appendKeyPart(key, v)
	}
	st.key = key
	if s, ok := st.streams[string(key)]; ok {
		return s
	}

	labels := append(st.labels[:0], label{audit.LokiLabelService, st.service})
	if v := st.values[0]; v != "" {
		labels = append(labels, label{audit.LokiLabelCategory, v})
	}
	if v := st.values[1]; v != "" {
		labels = append(labels, label{audit.LokiLabelOutcome, v})
	}
	for i, x := range e.extra {
		if v := st.values[2+i]; v != "" {
			labels = append(labels, label{x.name, v})
		}
	}
	slices.SortFunc(labels, func(a, b label) int { return strings.Compare(a.name, b.name) })
	st.labels = labels

	s := &stream{nLabels: len(labels)}
	if capped {
		s.reason = e.validateLabels(labels)
	}
	if capped && s.reason == "" {
		for i := range labels {
			if !e.caps.admit(tenant, labels[i].name, labels[i].value) {
				s.overflow = append(s.overflow, overflowed{labels[i].name, labels[i].name + overflowMetaSuffix, labels[i].value})
				labels[i].value = overflowLabelValue
			}
		}
	}
	s.selector = e.selector(st, labels)
	st.streams[string(key)] = s
	return s
}

func appendKeyPart(key []byte, v string) []byte {
	key = binary.AppendUvarint(key, uint64(len(v)))
	return append(key, v...)
}

func (e *encoder) validateLabels(labels []label) string {
	lim := &e.cfg.Limits
	if len(labels) > lim.MaxLabelNamesPerSeries {
		return lokipush.ReasonMaxLabelNames
	}
	for _, l := range labels {
		if len(l.name) > lim.MaxLabelNameLength {
			return lokipush.ReasonLabelNameTooLong
		}
		if len(l.value) > lim.MaxLabelValueLength {
			return lokipush.ReasonLabelValueTooLong
		}
		if !utf8.ValidString(l.value) {
			return lokipush.ReasonInvalidLabels
		}
	}
	return ""
}

func (e *encoder) validateEntry(en *entry, now time.Time) string {
	lim := &e.cfg.Limits
	switch {
	case en.ts.IsZero():
		return lokipush.ReasonMissingTimestamp
	case len(en.line) > lim.MaxLineSize:
		return lokipush.ReasonLineTooLong
	case en.ts.After(now.Add(lim.MaxFuture)):
		return lokipush.ReasonTooFarInFuture
	case lim.MaxAge > 0 && en.ts.Before(now.Add(-lim.MaxAge)):
		return lokipush.ReasonTooOld
	}
	size := 0
	for _, m := range en.meta {
		size += len(m.Name) + len(m.Value)
	}
	if size > lim.MaxStructuredMetadataSize {
		return lokipush.ReasonMetadataTooLarge
	}
	return ""
}

// maxSelectorCache bounds the selector cache; it is cleared when full.
const maxSelectorCache = 4096

// selector returns the rendered stream selector of labels, cached across batches so that
// every batch of a stream shares one string.
func (e *encoder) selector(st *batchState, labels []label) string {
	key := st.selKey[:0]
	for _, l := range labels {
		key = appendKeyPart(key, l.name)
		key = appendKeyPart(key, l.value)
	}
	st.selKey = key
	e.selMu.Lock()
	defer e.selMu.Unlock()
	if sel, ok := e.selectors[string(key)]; ok {
		return sel
	}
	if len(e.selectors) >= maxSelectorCache {
		clear(e.selectors)
	}
	sel := formatLabels(labels)
	e.selectors[string(key)] = sel
	return sel
}

// formatLabels renders sorted labels the way Loki parses them: `{a="b", c="d"}`.
func formatLabels(labels []label) string {
	b := make([]byte, 0, 64)
	b = append(b, '{')
	for i, l := range labels {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, l.name...)
		b = append(b, '=')
		b = strconv.AppendQuote(b, l.value)
	}
	b = append(b, '}')
	return string(b)
}

// lineField is one normalised field of the json and logfmt lines, in a fixed order so that a
// record always renders to the same bytes.
type lineField struct{ key, attr string }

var lineFields = []lineField{
	{"author", audit.AttrAuthor},
	{"author_id", audit.AttrAuthorID},
	{"category", audit.AttrCategory},
	{"summary", audit.AttrSummary},
	{"outcome", audit.AttrOutcome},
	{"action", audit.AttrAction},
	{"target", audit.AttrTarget},
	{"source_ip", audit.AttrClientAddress},
	{"user_agent", audit.AttrUserAgent},
	{"event_id", audit.AttrEventID},
	{"audit_source", audit.AttrSource},
	{"description", audit.AttrDescription},
}

// textLineKeys are the attributes a text line falls back to, in order, when the body is not
// a non-empty string.
var textLineKeys = []string{audit.AttrDescription, audit.AttrSummary, audit.AttrAction}

func (e *encoder) renderLine(st *batchState, lr plog.LogRecord, tenant string) string {
	attrs := lr.Attributes()
	if e.cfg.LineFormat == LineFormatText {
		if lr.Body().Type() == pcommon.ValueTypeStr && lr.Body().Str() != "" {
			return lr.Body().Str()
		}
		for _, key := range textLineKeys {
			if v := attrString(attrs, key); v != "" {
				return v
			}
		}
		return lr.Body().AsString()
	}
	fields := append(st.fields[:0], label{"service_name", st.service})
	if tenant != "" {
		fields = append(fields, label{"tenant", tenant})
	}
	for _, f := range lineFields {
		v := attrString(attrs, f.attr)
		if v == "" && f.attr == audit.AttrDescription && lr.Body().Type() == pcommon.ValueTypeStr {
			// As the report spool reads it: the description, else the body sentence.
			v = lr.Body().Str()
		}
		if v != "" {
			fields = append(fields, label{f.key, v})
		}
	}
	if id := lr.TraceID(); !id.IsEmpty() {
		fields = append(fields, label{"trace_id", id.String()})
	}
	if id := lr.SpanID(); !id.IsEmpty() {
		fields = append(fields, label{"span_id", id.String()})
	}
	st.fields = fields
	buf := st.line[:0]
	if e.cfg.LineFormat == LineFormatJSON {
		buf = append(buf, '{')
		for i, f := range fields {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, f.name)
			buf = append(buf, ':')
			buf = appendJSONString(buf, f.value)
		}
		buf = append(buf, '}')
	} else {
		for i, f := range fields {
			if i > 0 {
				buf = append(buf, ' ')
			}
			buf = append(buf, f.name...)
			buf = append(buf, '=')
			if needsLogfmtQuote(f.value) {
				buf = appendJSONString(buf, f.value)
			} else {
				buf = append(buf, f.value...)
			}
		}
	}
	st.line = buf
	return string(buf)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				buf = append(buf, '\\', c)
			case c == '\n':
				buf = append(buf, '\\', 'n')
			case c == '\r':
				buf = append(buf, '\\', 'r')
			case c == '\t':
				buf = append(buf, '\\', 't')
			case c < 0x20 || c == 0x7f:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				buf = append(buf, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}

func needsLogfmtQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '=' || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// chunk is one push request: entries of a single tenant, at most max_request_size bytes.
type chunk struct {
	tenant  string
	entries []*entry
}

func entrySize(en *entry) int {
	pe := en.pushEntry()
	return pe.Size()
}

// chunks groups valid entries by tenant (tenants sorted) and splits each tenant's entries,
// oldest first, greedily into chunks of at most maxBytes. Sending a stream's entries in time
// order keeps Loki from refusing the older ones of a batch as "too far behind" the newer
// ones (its out-of-order window is about an hour). The order and the split depend only on the
// entries (a stable sort), so a retried subset is encoded the same way.
func chunks(entries []entry, maxBytes int) []chunk {
	byTenant := map[string][]*entry{}
	var tenants []string
	for i := range entries {
		en := &entries[i]
		if en.reason != "" {
			continue
		}
		if _, ok := byTenant[en.tenant]; !ok {
			tenants = append(tenants, en.tenant)
		}
		byTenant[en.tenant] = append(byTenant[en.tenant], en)
	}
	sort.Strings(tenants)
	var out []chunk
	for _, t := range tenants {
		slices.SortStableFunc(byTenant[t], func(a, b *entry) int { return a.ts.Compare(b.ts) })
		cur := chunk{tenant: t}
		size := 0
		for _, en := range byTenant[t] {
			s := entrySize(en)
			if len(cur.entries) > 0 && size+s > maxBytes {
				out = append(out, cur)
				cur = chunk{tenant: t}
				size = 0
			}
			cur.entries = append(cur.entries, en)
			size += s
		}
		out = append(out, cur)
	}
	return out
}

// pushRequest builds the request of a chunk: streams sorted by labels, entries of each stream
// in time order (see chunks).
func (c *chunk) pushRequest() *push.PushRequest {
	entries := make([]lokipush.Entry, len(c.entries))
	for i, en := range c.entries {
		entries[i] = en.pushEntry()
	}
	return lokipush.NewRequest(entries)
}

// encode marshals and snappy-compresses the chunk's push request.
func (c *chunk) encode() ([]byte, error) {
	return lokipush.Encode(c.pushRequest())
}
