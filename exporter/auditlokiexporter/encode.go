package auditlokiexporter

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// OverflowLabelValue replaces a label value once the label has reached its distinct-value cap.
const OverflowLabelValue = "_other"

// overflowMetaSuffix names the structured-metadata key that keeps an overflowed label's true
// value: category_original, outcome_original, ...
const overflowMetaSuffix = "_original"

// serviceNameAttr is the resource attribute of the service_name label.
const serviceNameAttr = "service.name"

// Dead-letter reasons. Local ones use Loki's own names (loki_discarded_samples_total{reason})
// where Loki has one, so that both sides read alike.
const (
	ReasonLineTooLong           = "line_too_long"
	ReasonTooFarInFuture        = "too_far_in_future"
	ReasonTooOld                = "greater_than_max_sample_age"
	ReasonTooFarBehind          = "too_far_behind"
	ReasonInvalidLabels         = "invalid_labels"
	ReasonLabelNameTooLong      = "label_name_too_long"
	ReasonLabelValueTooLong     = "label_value_too_long"
	ReasonMaxLabelNames         = "max_label_names_per_series"
	ReasonDuplicateLabelNames   = "duplicate_label_names"
	ReasonMetadataTooLarge      = "structured_metadata_too_large"
	ReasonMetadataDisallowed    = "disallowed_structured_metadata"
	ReasonOutOfOrder            = "out_of_order"
	ReasonInvalidTenant         = "invalid_tenant"
	ReasonNoOrgID               = "no_org_id"
	ReasonMissingTimestamp      = "missing_timestamp"
	reasonHTTPPrefix            = "http_"
	reasonUnknownPermanentError = "http_4xx"
)

// deadLetterReasons is the fixed set of reasons, besides http_<code>.
var deadLetterReasons = []string{
	ReasonLineTooLong, ReasonTooFarInFuture, ReasonTooOld, ReasonTooFarBehind, ReasonInvalidLabels,
	ReasonLabelNameTooLong, ReasonLabelValueTooLong, ReasonMaxLabelNames, ReasonDuplicateLabelNames,
	ReasonMetadataTooLarge, ReasonMetadataDisallowed, ReasonOutOfOrder, ReasonInvalidTenant,
	ReasonNoOrgID, ReasonMissingTimestamp,
}

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

// labelCap bounds the distinct values of each label for the life of the exporter. The admitted
// set only grows, so a value admitted once keeps its stream: a retry renders the same labels.
type labelCap struct {
	mu     sync.Mutex
	max    int
	values map[string]map[string]struct{}
}

func newLabelCap(maxValues int) *labelCap {
	return &labelCap{max: maxValues, values: map[string]map[string]struct{}{}}
}

// admit reports whether value may be used for label.
func (c *labelCap) admit(label, value string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	seen := c.values[label]
	if seen == nil {
		seen = map[string]struct{}{}
		c.values[label] = seen
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

// entries renders every record of ld, in arrival order.
func (e *encoder) entries(ld plog.Logs) []entry {
	out := make([]entry, 0, ld.LogRecordCount())
	now := e.now()
	rls := ld.ResourceLogs()
	for ri := 0; ri < rls.Len(); ri++ {
		rl := rls.At(ri)
		res := rl.Resource().Attributes()
		sls := rl.ScopeLogs()
		for si := 0; si < sls.Len(); si++ {
			lrs := sls.At(si).LogRecords()
			for li := 0; li < lrs.Len(); li++ {
				en := e.entry(res, lrs.At(li), now)
				en.ref = recordRef{ri, si, li}
				out = append(out, en)
			}
		}
	}
	return out
}

type label struct{ name, value string }

func (e *encoder) entry(res pcommon.Map, lr plog.LogRecord, now time.Time) entry {
	attrs := lr.Attributes()
	get := func(key string) string {
		if v, ok := attrs.Get(key); ok {
			return v.AsString()
		}
		return ""
	}
	var en entry

	switch e.cfg.Tenant.Mode {
	case TenantModePerRecord:
		en.tenant = get(audit.AttrTenant)
		if audit.ValidateTenant(en.tenant) != nil {
			en.reason = ReasonInvalidTenant
		}
	case TenantModeFixed:
		en.tenant = e.cfg.Tenant.ID
	}

	service := audit.DefaultServiceName
	if v, ok := res.Get(serviceNameAttr); ok && v.AsString() != "" {
		service = v.AsString()
	}
	labels := make([]label, 0, 3+len(e.extra))
	labels = append(labels, label{audit.LokiLabelService, service})
	if v := get(audit.AttrCategory); v != "" {
		labels = append(labels, label{audit.LokiLabelCategory, v})
	}
	if v := get(audit.AttrOutcome); v != "" {
		labels = append(labels, label{audit.LokiLabelOutcome, v})
	}
	for _, x := range e.extra {
		v := get(x.attr)
		if v == "" {
			if rv, ok := res.Get(x.attr); ok {
				v = rv.AsString()
			}
		}
		if v != "" {
			labels = append(labels, label{x.name, v})
		}
	}
	slices.SortFunc(labels, func(a, b label) int { return strings.Compare(a.name, b.name) })

	meta := make(push.LabelsAdapter, 0, 12)
	addMeta := func(name, value string) {
		if value != "" {
			meta = append(meta, push.LabelAdapter{Name: name, Value: value})
		}
	}
	addMeta(audit.LokiMetaAuthor, get(audit.AttrAuthor))
	addMeta(audit.LokiMetaAuthorID, get(audit.AttrAuthorID))
	addMeta(audit.LokiMetaSummary, get(audit.AttrSummary))
	addMeta(audit.LokiMetaEventID, get(audit.AttrEventID))
	addMeta(audit.LokiMetaSourceIP, get(audit.AttrClientAddress))
	addMeta(audit.LokiMetaTarget, get(audit.AttrTarget))
	addMeta(audit.LokiMetaAuditSource, get(audit.AttrSource))
	addMeta(audit.LokiMetaAction, get(audit.AttrAction))
	addMeta(audit.LokiMetaUserAgent, get(audit.AttrUserAgent))
	addMeta(audit.LokiMetaTenant, get(audit.AttrTenant))
	if id := lr.TraceID(); !id.IsEmpty() {
		addMeta(audit.LokiMetaTraceID, id.String())
	}
	if id := lr.SpanID(); !id.IsEmpty() {
		addMeta(audit.LokiMetaSpanID, id.String())
	}

	// Cap label values after validation of the raw value, so that an invalid value is
	// dead-lettered rather than admitted.
	if en.reason == "" {
		en.reason = e.validateLabels(labels)
	}
	if en.reason == "" {
		for i := range labels {
			if !e.caps.admit(labels[i].name, labels[i].value) {
				e.onOverflow(labels[i].name)
				meta = append(meta, push.LabelAdapter{Name: labels[i].name + overflowMetaSuffix, Value: labels[i].value})
				labels[i].value = OverflowLabelValue
			}
		}
	}
	en.labels = e.selector(labels)
	en.nLabels = len(labels)
	en.meta = meta

	switch {
	case lr.Timestamp() != 0:
		en.ts = lr.Timestamp().AsTime()
	case lr.ObservedTimestamp() != 0:
		en.ts = lr.ObservedTimestamp().AsTime()
	}
	en.line = e.renderLine(lr, res, service, en.tenant)
	if en.reason == "" {
		en.reason = e.validateEntry(&en, now)
	}
	return en
}

func (e *encoder) validateLabels(labels []label) string {
	lim := &e.cfg.Limits
	if len(labels) > lim.MaxLabelNamesPerSeries {
		return ReasonMaxLabelNames
	}
	for _, l := range labels {
		if len(l.name) > lim.MaxLabelNameLength {
			return ReasonLabelNameTooLong
		}
		if len(l.value) > lim.MaxLabelValueLength {
			return ReasonLabelValueTooLong
		}
		if !utf8.ValidString(l.value) {
			return ReasonInvalidLabels
		}
	}
	return ""
}

func (e *encoder) validateEntry(en *entry, now time.Time) string {
	lim := &e.cfg.Limits
	switch {
	case en.ts.IsZero():
		return ReasonMissingTimestamp
	case len(en.line) > lim.MaxLineSize:
		return ReasonLineTooLong
	case en.ts.After(now.Add(lim.MaxFuture)):
		return ReasonTooFarInFuture
	case lim.MaxAge > 0 && en.ts.Before(now.Add(-lim.MaxAge)):
		return ReasonTooOld
	}
	size := 0
	for _, m := range en.meta {
		size += len(m.Name) + len(m.Value)
	}
	if size > lim.MaxStructuredMetadataSize {
		return ReasonMetadataTooLarge
	}
	return ""
}

// maxSelectorCache bounds the selector cache; it is cleared when full.
const maxSelectorCache = 4096

// selector returns the rendered stream selector of labels, cached because a batch holds few
// distinct label sets.
func (e *encoder) selector(labels []label) string {
	key := make([]byte, 0, 128)
	for _, l := range labels {
		key = append(key, l.name...)
		key = append(key, 0xff)
		key = append(key, l.value...)
		key = append(key, 0xff)
	}
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
	var b strings.Builder
	b.WriteByte('{')
	for i, l := range labels {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(l.name)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l.value))
	}
	b.WriteByte('}')
	return b.String()
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

func (e *encoder) renderLine(lr plog.LogRecord, res pcommon.Map, service, tenant string) string {
	attrs := lr.Attributes()
	if e.cfg.LineFormat == LineFormatText {
		if lr.Body().Type() == pcommon.ValueTypeStr && lr.Body().Str() != "" {
			return lr.Body().Str()
		}
		for _, key := range []string{audit.AttrDescription, audit.AttrSummary, audit.AttrAction} {
			if v, ok := attrs.Get(key); ok && v.AsString() != "" {
				return v.AsString()
			}
		}
		return lr.Body().AsString()
	}
	fields := make([]label, 0, len(lineFields)+3)
	fields = append(fields, label{"service_name", service})
	if tenant != "" {
		fields = append(fields, label{"tenant", tenant})
	}
	for _, f := range lineFields {
		if v, ok := attrs.Get(f.attr); ok && v.AsString() != "" {
			fields = append(fields, label{f.key, v.AsString()})
		}
	}
	if id := lr.TraceID(); !id.IsEmpty() {
		fields = append(fields, label{"trace_id", id.String()})
	}
	if id := lr.SpanID(); !id.IsEmpty() {
		fields = append(fields, label{"span_id", id.String()})
	}
	buf := make([]byte, 0, 256)
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
		return string(append(buf, '}'))
	}
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

// entryOverhead approximates the protobuf framing of an entry (tags, lengths, timestamp).
const entryOverhead = 32

func entrySize(en *entry) int {
	n := len(en.line) + len(en.labels) + entryOverhead
	for _, m := range en.meta {
		n += len(m.Name) + len(m.Value) + 4
	}
	return n
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
	idx := map[string]int{}
	var streams []push.Stream
	for _, en := range c.entries {
		i, ok := idx[en.labels]
		if !ok {
			i = len(streams)
			idx[en.labels] = i
			streams = append(streams, push.Stream{Labels: en.labels})
		}
		streams[i].Entries = append(streams[i].Entries, push.Entry{Timestamp: en.ts, Line: en.line, StructuredMetadata: en.meta})
	}
	sort.SliceStable(streams, func(i, j int) bool { return streams[i].Labels < streams[j].Labels })
	return &push.PushRequest{Streams: streams}
}

// encode marshals and snappy-compresses the chunk's push request.
func (c *chunk) encode() ([]byte, error) {
	raw, err := c.pushRequest().Marshal()
	if err != nil {
		return nil, err
	}
	return snappy.Encode(nil, raw), nil
}
