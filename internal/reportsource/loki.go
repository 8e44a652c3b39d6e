package reportsource // import "github.com/otelcol-audit/otelcol-audit/internal/reportsource"

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// Defaults and bounds of LokiConfig.
const (
	// DefaultSettleDelay leaves the gateways' queues time to deliver a period's last events.
	DefaultSettleDelay = 2 * time.Minute
	// DefaultPageSize is the query_range limit of one page.
	DefaultPageSize = 1000
	// MaxPageSize is Loki's default max_entries_limit_per_query. Pages of that size that carry
	// the exporter's structured metadata were seen to exceed the 4 MiB gRPC message limit
	// between Loki's querier and frontend, so keep pages well below it.
	MaxPageSize = 5000
	// DefaultSelector selects every stream the audit_loki exporter writes.
	DefaultSelector = `{service_name=~".+"}`
	// DefaultLokiTimeout bounds one query request.
	DefaultLokiTimeout = time.Minute
)

// maxQueryWindow keeps every query within Loki's default max_query_length (721h): longer
// periods are read window by window.
const maxQueryWindow = 720 * time.Hour

// deliveryClockSkew widens the search for deliveries past now: Loki accepts entries up to its
// creation_grace_period (10m by default) ahead of its clock.
const deliveryClockSkew = 10 * time.Minute

// maxErrorBody bounds how much of Loki's error answer an error quotes.
const maxErrorBody = 1 << 10

// maxAnswerBody bounds a query answer; a page of MaxPageSize lines is far below it.
const maxAnswerBody = 64 << 20

// maxRetryAfter caps how long a Retry-After makes a query wait.
const maxRetryAfter = 30 * time.Second

// queryBackoff is the wait before each retry of a query Loki answered with 429, 5xx or not at
// all.
var queryBackoff = []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}

// markerAction is the action metadata of dead-letter markers, which Scan and Count leave out:
// a marker describes an event the store does not hold, and DeadLettered counts it.
const markerAction = "audit_log." + selfaudit.ActionEventDeadLettered

// LokiConfig configures the Loki report source. Use it as a named field of a component's
// config (e.g. source::loki): it refuses unknown keys.
type LokiConfig struct {
	// ClientConfig holds the HTTP client settings: endpoint (Loki's base URL, e.g.
	// http://localhost:3100), tls, headers, auth and timeout.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// SettleDelay is how long after a period's end its events may still be arriving from the
	// gateways' queues; a period is rendered only once it has passed.
	SettleDelay time.Duration `mapstructure:"settle_delay"`
	// PageSize is the number of entries one query_range page asks for (1 to 5000).
	PageSize int `mapstructure:"page_size"`
	// Selector is the LogQL stream selector of the audit events, optionally followed by a
	// pipeline. It needs a matcher that cannot match the empty string.
	Selector string `mapstructure:"selector"`
	// Retention is how long Loki keeps events (its retention_period); zero means unknown.
	Retention time.Duration `mapstructure:"retention"`
}

// NewDefaultLokiConfig returns the defaults; the endpoint is left for the user to set.
func NewDefaultLokiConfig() LokiConfig {
	client := confighttp.NewDefaultClientConfig()
	client.Timeout = DefaultLokiTimeout
	return LokiConfig{
		ClientConfig: client,
		SettleDelay:  DefaultSettleDelay,
		PageSize:     DefaultPageSize,
		Selector:     DefaultSelector,
	}
}

// ErrSelectorMatchesEmpty is returned for a selector whose every matcher matches the empty
// string, which Loki refuses.
var ErrSelectorMatchesEmpty = errors.New("needs a matcher that cannot match the empty string, e.g. service_name=~\".+\": Loki refuses the query otherwise")

// Validate checks the configuration; messages name the YAML key.
func (c *LokiConfig) Validate() error {
	if c.ClientConfig.Endpoint == "" {
		return errors.New("endpoint: must be set, e.g. http://localhost:3100")
	}
	if u, err := url.Parse(c.ClientConfig.Endpoint); err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("endpoint: %q is not an absolute URL", c.ClientConfig.Endpoint)
	}
	if c.SettleDelay < 0 {
		return errors.New("settle_delay: must not be negative")
	}
	if c.PageSize < 1 || c.PageSize > MaxPageSize {
		return fmt.Errorf("page_size: %d is outside 1..%d: Loki caps a query at %d entries, and larger pages of structured metadata exceed the 4 MiB message between its querier and frontend", c.PageSize, MaxPageSize, MaxPageSize)
	}
	if err := validateSelector(c.Selector); err != nil {
		return fmt.Errorf("selector: %w", err)
	}
	if c.Retention < 0 {
		return errors.New("retention: must not be negative (0 means unknown)")
	}
	return nil
}

var _ confmap.Unmarshaler = (*LokiConfig)(nil)

// Unmarshal decodes the configuration and refuses unknown keys: the squashed HTTP client
// settings decode with unused keys ignored, which would otherwise hide a typo such as
// page_sise.
func (c *LokiConfig) Unmarshal(conf *confmap.Conf) error {
	known := map[string]bool{}
	for _, t := range []reflect.Type{reflect.TypeFor[LokiConfig](), reflect.TypeFor[confighttp.ClientConfig]()} {
		for i := 0; i < t.NumField(); i++ {
			if tag := strings.Split(t.Field(i).Tag.Get("mapstructure"), ",")[0]; tag != "" && tag != "-" {
				known[tag] = true
			}
		}
	}
	var unknown []string
	for key := range conf.ToStringMap() {
		if !known[key] {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("has invalid keys: %s", strings.Join(unknown, ", "))
	}
	type plain LokiConfig
	return conf.Unmarshal((*plain)(c))
}

// validateSelector checks that sel starts with a stream selector with at least one matcher
// that cannot match the empty string, optionally followed by a pipeline.
func validateSelector(sel string) error {
	s := strings.TrimSpace(sel)
	if !strings.HasPrefix(s, "{") {
		return fmt.Errorf("%q must start with a stream selector such as %s", sel, DefaultSelector)
	}
	i := 1
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
			i++
		}
	}
	nonEmpty := false
	for {
		skip()
		if i < len(s) && s[i] == '}' {
			i++
			break
		}
		start := i
		for i < len(s) && (s[i] == '_' || (s[i]|0x20 >= 'a' && s[i]|0x20 <= 'z') || (i > start && s[i] >= '0' && s[i] <= '9')) {
			i++
		}
		name := s[start:i]
		if name == "" {
			return fmt.Errorf("%q: expected a label name at offset %d", sel, i)
		}
		skip()
		var op string
		for _, o := range []string{"=~", "!~", "!=", "="} {
			if strings.HasPrefix(s[i:], o) {
				op = o
				break
			}
		}
		if op == "" {
			return fmt.Errorf("%q: expected =, !=, =~ or !~ after %s", sel, name)
		}
		i += len(op)
		skip()
		end := quotedEnd(s, i)
		if end < 0 {
			return fmt.Errorf("%q: expected a quoted value for %s", sel, name)
		}
		value, err := strconv.Unquote(s[i:end])
		if err != nil {
			return fmt.Errorf("%q: value of %s: %w", sel, name, err)
		}
		i = end
		empty, err := matchesEmpty(op, value)
		if err != nil {
			return fmt.Errorf("%q: %s: %w", sel, name, err)
		}
		if !empty {
			nonEmpty = true
		}
		skip()
		if i < len(s) && s[i] == ',' {
			i++
			continue
		}
		if i < len(s) && s[i] == '}' {
			i++
			break
		}
		return fmt.Errorf("%q: expected , or } after the value of %s", sel, name)
	}
	if !nonEmpty {
		return fmt.Errorf("%q %w", sel, ErrSelectorMatchesEmpty)
	}
	if rest := strings.TrimSpace(s[i:]); rest != "" && rest[0] != '|' && !strings.HasPrefix(rest, "!=") && !strings.HasPrefix(rest, "!~") {
		return fmt.Errorf("%q: only a pipeline (| ...) may follow the stream selector", sel)
	}
	return nil
}

// quotedEnd returns the index just past the "..." or `...` string starting at s[i]; -1 if
// there is none.
func quotedEnd(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '`':
		if j := strings.IndexByte(s[i+1:], '`'); j >= 0 {
			return i + j + 2
		}
	case '"':
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
	}
	return -1
}

// matchesEmpty reports whether a matcher matches the empty string, as Loki decides which
// selectors to refuse. Regular expressions are anchored, as Loki anchors them.
func matchesEmpty(op, value string) (bool, error) {
	switch op {
	case "=":
		return value == "", nil
	case "!=":
		return value != "", nil
	}
	re, err := regexp.Compile("^(?:" + value + ")$")
	if err != nil {
		return false, err
	}
	if op == "=~" {
		return re.MatchString(""), nil
	}
	return !re.MatchString(""), nil
}

// LokiError is a query Loki answered with a status other than 200.
type LokiError struct {
	StatusCode int
	// Body is the start of Loki's answer.
	Body string
}

func (e *LokiError) Error() string {
	return fmt.Sprintf("loki answered %d: %s", e.StatusCode, e.Body)
}

// NewLoki returns a Source that reads what the audit_loki exporter pushed, through Loki's
// query API, one tenant per X-Scope-OrgID. The result also implements Deliveries. The HTTP
// client is built from cfg with the host's extensions (auth), so call it from Start.
func NewLoki(ctx context.Context, cfg LokiConfig, host component.Host, set component.TelemetrySettings) (Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var exts map[component.ID]component.Component
	if host != nil {
		exts = host.GetExtensions()
	}
	client, err := cfg.ClientConfig.ToClient(ctx, exts, set)
	if err != nil {
		return nil, fmt.Errorf("loki client: %w", err)
	}
	return &lokiSource{
		cfg:     cfg,
		client:  client,
		base:    strings.TrimSuffix(cfg.ClientConfig.Endpoint, "/"),
		backoff: queryBackoff,
		now:     time.Now,
	}, nil
}

type lokiSource struct {
	cfg     LokiConfig
	client  *http.Client
	base    string
	backoff []time.Duration
	now     func() time.Time
}

var (
	_ Source     = (*lokiSource)(nil)
	_ Deliveries = (*lokiSource)(nil)
)

func (l *lokiSource) SettleDelay() time.Duration { return l.cfg.SettleDelay }

func (l *lokiSource) Retention() time.Duration { return l.cfg.Retention }

// eventsQuery selects tenant's events: the configured selector, the tenant's own entries
// (which also keeps tenants apart in a Loki that ignores X-Scope-OrgID), dead-letter markers
// left out.
func (l *lokiSource) eventsQuery(tenant string) string {
	return l.cfg.Selector + " | " + audit.LokiMetaTenant + "=" + strconv.Quote(tenant) +
		" | " + audit.LokiMetaAction + "!=" + strconv.Quote(markerAction)
}

// selfAuditQuery selects tenant's audit-of-audit events of one summary.
func selfAuditQuery(tenant, summary, labels string) string {
	return "{" + audit.LokiLabelService + "=" + strconv.Quote(selfaudit.SourceName) + ", " +
		audit.LokiLabelCategory + "=" + strconv.Quote(selfaudit.CategoryAuditLog) + labels + "}" +
		" | " + audit.LokiMetaSummary + "=" + strconv.Quote(summary) +
		" | " + audit.LokiMetaTenant + "=" + strconv.Quote(tenant)
}

// Scan pages through tenant's entries in [from, to) with query_range, forward, window by
// window (see maxQueryWindow). See pager for paging and de-duplication.
func (l *lokiSource) Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error {
	if err := audit.ValidateTenant(tenant); err != nil {
		return err
	}
	p := newPager(l, tenant, l.eventsQuery(tenant), func(e *lokiEntry) error { return fn(e.row(tenant)) })
	return p.scan(ctx, unixNano(from), unixNano(to))
}

// Count sums an instant count_over_time per window. It counts entries, so an event stored
// twice under different stream labels or line bytes (a retry across a restart, a line_format
// change) counts twice: the result is an upper bound of what Scan yields, meant for size
// checks. A range is evaluated in whole milliseconds (LogQL's finest unit), rounded up, which
// may add entries from the millisecond before from.
func (l *lokiSource) Count(ctx context.Context, tenant string, from, to time.Time) (int, error) {
	if err := audit.ValidateTenant(tenant); err != nil {
		return 0, err
	}
	query := l.eventsQuery(tenant)
	total := 0
	for _, w := range windows(unixNano(from), unixNano(to)) {
		ms := (w[1] - w[0] + int64(time.Millisecond) - 1) / int64(time.Millisecond)
		// An instant range covers (at-range, at]: at = end-1ns makes it [start, end).
		n, err := l.instant(ctx, tenant, fmt.Sprintf("sum(count_over_time(%s [%dms]))", query, ms), w[1]-1)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

// maxReplayChecks bounds the markers DeadLettered checks against the events, one query each.
const maxReplayChecks = 1000

// DeadLettered counts tenant's dead-letter markers whose event_time is in [from, to), less
// those whose event has since been replayed into Loki at its own time (checked for the first
// maxReplayChecks markers, one query each; markers are rare). Markers are written when an
// entry is dead-lettered, at or after its event time, so they are looked for from from until
// now, at most maxQueryWindow after to. Markers of one event written at different times (a
// batch redelivered after a crash) count once each; an entry dead-lettered before its own time
// (too far in the future) is not found.
func (l *lokiSource) DeadLettered(ctx context.Context, tenant string, from, to time.Time) (int64, error) {
	if err := audit.ValidateTenant(tenant); err != nil {
		return 0, err
	}
	lo, hi := unixNano(from), unixNano(to)
	if lo >= hi {
		return 0, nil
	}
	end := min(unixNano(l.now())+1, satAdd(hi, int64(maxQueryWindow)))
	type missed struct {
		id string
		ts int64
	}
	var n int64
	var check []missed
	p := newPager(l, tenant, selfAuditQuery(tenant, selfaudit.SummaryEventDeadLettered, ""), func(e *lokiEntry) error {
		t, err := time.Parse(time.RFC3339Nano, e.get(selfaudit.LokiMetaEventTime))
		if err != nil || t.UnixNano() < lo || t.UnixNano() >= hi {
			return nil
		}
		if id := e.get(audit.LokiMetaTarget); id != "" && len(check) < maxReplayChecks {
			check = append(check, missed{id, t.UnixNano()})
			return nil
		}
		n++
		return nil
	})
	if err := p.scan(ctx, lo, end); err != nil {
		return 0, err
	}
	query := l.eventsQuery(tenant)
	for _, m := range check {
		found, err := l.queryRange(ctx, tenant, query+" | "+audit.LokiMetaEventID+"="+strconv.Quote(m.id), m.ts, m.ts+1, 1)
		if err != nil {
			return 0, err
		}
		if len(found) == 0 {
			n++
		}
	}
	return n, nil
}

// Delivered looks for a successful "Report delivered" event of tenant with this target, from
// since (no earlier than the retention) to a little past now, window by window.
func (l *lokiSource) Delivered(ctx context.Context, tenant, target string, since time.Time) (bool, error) {
	if err := audit.ValidateTenant(tenant); err != nil {
		return false, err
	}
	now := l.now()
	if l.cfg.Retention > 0 && since.Before(now.Add(-l.cfg.Retention)) {
		since = now.Add(-l.cfg.Retention)
	}
	query := selfAuditQuery(tenant, "Report delivered", ", "+audit.LokiLabelOutcome+"="+strconv.Quote(audit.OutcomeSuccess)) +
		" | " + audit.LokiMetaTarget + "=" + strconv.Quote(target)
	for _, w := range windows(unixNano(since), unixNano(now.Add(deliveryClockSkew))) {
		entries, err := l.queryRange(ctx, tenant, query, w[0], w[1], 1)
		if err != nil {
			return false, err
		}
		if len(entries) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// unixNano clamps t to what Loki can hold: no entry is before 1970 or after 2262.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// windows splits [from, to) into consecutive windows of at most maxQueryWindow.
func windows(from, to int64) [][2]int64 {
	var out [][2]int64
	for from < to {
		end := min(to, satAdd(from, int64(maxQueryWindow)))
		out = append(out, [2]int64{from, end})
		from = end
	}
	return out
}

// pager reads every entry of a query in [from, to) in time order, each event once.
//
// Pages are forward query_range calls of page_size entries. The next page starts at the last
// timestamp of the previous one, inclusive, because more entries may share it; entries of
// that timestamp already yielded are skipped by event id. Event ids derive from the event's
// content, its time included, so duplicates (the same event in two streams, or with other
// line bytes) share a timestamp: remembering the ids of the current timestamp only is enough
// to de-duplicate, and keeps memory bounded by the entries of one timestamp.
//
// A full page whose entries all share one timestamp cannot move on: that nanosecond is then
// read on its own, split by event id (see nanosecond).
type pager struct {
	l      *lokiSource
	tenant string
	query  string
	emit   func(*lokiEntry) error

	curTS int64
	seen  map[string]struct{}
}

func newPager(l *lokiSource, tenant, query string, emit func(*lokiEntry) error) *pager {
	return &pager{l: l, tenant: tenant, query: query, emit: emit, curTS: math.MinInt64, seen: map[string]struct{}{}}
}

// yield passes e on unless its event was already yielded. Entries arrive in time order.
func (p *pager) yield(e *lokiEntry) error {
	if e.ts != p.curTS {
		p.curTS = e.ts
		clear(p.seen)
	}
	key := e.key()
	if _, dup := p.seen[key]; dup {
		return nil
	}
	p.seen[key] = struct{}{}
	return p.emit(e)
}

func (p *pager) scan(ctx context.Context, from, to int64) error {
	size := p.l.cfg.PageSize
	for _, w := range windows(from, to) {
		start := w[0]
		for start < w[1] {
			entries, err := p.l.queryRange(ctx, p.tenant, p.query, start, w[1], size)
			if err != nil {
				return err
			}
			for _, e := range entries {
				if err := p.yield(e); err != nil {
					return err
				}
			}
			if len(entries) < size {
				break
			}
			last := entries[len(entries)-1].ts
			if entries[0].ts == last {
				if err := p.nanosecond(ctx, last, entries); err != nil {
					return err
				}
				last++
			}
			start = last
		}
	}
	return nil
}

// idRange is a part of one nanosecond's entries: those whose event id starts with prefix
// followed by a character in [lo, hi], and with none of the excluded prefixes.
type idRange struct {
	prefix  string
	lo, hi  rune
	exclude []string
}

// filter selects the range's entries; Loki anchors the regular expressions.
func (r *idRange) filter() string {
	f := audit.LokiMetaEventID + "=~" + strconv.Quote(fmt.Sprintf(`(?s)%s[\x{%x}-\x{%x}].*`, regexp.QuoteMeta(r.prefix), r.lo, r.hi))
	for _, x := range r.exclude {
		f += " | " + audit.LokiMetaEventID + "!~" + strconv.Quote("(?s)"+regexp.QuoteMeta(x)+".*")
	}
	return f
}

// ids returns the event ids of entries that fall in the range.
func (r *idRange) ids(entries []*lokiEntry) []string {
	var out []string
	for _, e := range entries {
		id := e.get(audit.LokiMetaEventID)
		if !strings.HasPrefix(id, r.prefix) || len(id) == len(r.prefix) {
			continue
		}
		if c, _ := utf8.DecodeRuneInString(id[len(r.prefix):]); c < r.lo || c > r.hi {
			continue
		}
		excluded := false
		for _, x := range r.exclude {
			excluded = excluded || strings.HasPrefix(id, x)
		}
		if !excluded {
			out = append(out, id)
		}
	}
	return out
}

// nanosecond yields every entry at ts when more than a page share it. It splits them by event
// id with label filters, as a trie: a part that still fills a page is split further. When the
// ids seen in the part share a longer prefix, the part splits into the ids with that prefix
// (the prefix grows) and the others (the prefix is excluded); else into ranges of the next
// character, three ways around the median character seen. Every step shrinks the part or grows
// its prefix, and an id is at most audit.MaxEventIDLength long, so the split ends. All entries
// of one exact id are duplicates of one event, so one of them is enough. page is the full page
// that started the split.
func (p *pager) nanosecond(ctx context.Context, ts int64, page []*lokiEntry) error {
	size := p.l.cfg.PageSize
	at := time.Unix(0, ts).UTC().Format(time.RFC3339Nano)
	query := func(filter string, limit int) ([]*lokiEntry, error) {
		entries, err := p.l.queryRange(ctx, p.tenant, p.query+" | "+filter, ts, ts+1, limit)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if err := p.yield(e); err != nil {
				return nil, err
			}
		}
		return entries, nil
	}
	exact := func(id string) error {
		if utf8.RuneCountInString(id) > audit.MaxEventIDLength {
			return fmt.Errorf("loki: event ids at %s longer than %d characters", at, audit.MaxEventIDLength)
		}
		_, err := query(audit.LokiMetaEventID+"="+strconv.Quote(id), 1)
		return err
	}
	// Entries without an event id cannot be split.
	if entries, err := query(audit.LokiMetaEventID+`=""`, size); err != nil {
		return err
	} else if len(entries) == size {
		return fmt.Errorf("loki: %d or more entries without an event id at %s: raise page_size", size, at)
	}
	stack := []idRange{{lo: 0, hi: unicode.MaxRune}}
	pending := page
	for len(stack) > 0 {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		entries := pending
		pending = nil
		if entries == nil {
			var err error
			if entries, err = query(r.filter(), size); err != nil {
				return err
			}
		}
		if len(entries) < size {
			continue
		}
		ids := r.ids(entries)
		if common := commonPrefix(ids); len(common) > len(r.prefix) {
			if err := exact(common); err != nil {
				return err
			}
			sub := idRange{prefix: common, lo: 0, hi: unicode.MaxRune}
			for _, x := range r.exclude {
				if strings.HasPrefix(x, common) {
					sub.exclude = append(sub.exclude, x)
				}
			}
			rest := r
			rest.exclude = append(slices.Clip(r.exclude), common)
			stack = append(stack, rest, sub)
			continue
		}
		if r.lo == r.hi {
			prefix := r.prefix + string(r.lo)
			if err := exact(prefix); err != nil {
				return err
			}
			stack = append(stack, idRange{prefix: prefix, lo: 0, hi: unicode.MaxRune, exclude: r.exclude})
			continue
		}
		pivot := r.lo + (r.hi-r.lo)/2
		if len(ids) > 0 {
			next := make([]rune, len(ids))
			for i, id := range ids {
				next[i], _ = utf8.DecodeRuneInString(id[len(r.prefix):])
			}
			slices.Sort(next)
			pivot = next[len(next)/2]
		}
		for _, part := range [][2]rune{{pivot + 1, r.hi}, {pivot, pivot}, {r.lo, pivot - 1}} {
			if part[0] <= part[1] && part[0] >= r.lo && part[1] <= r.hi {
				stack = append(stack, idRange{prefix: r.prefix, lo: part[0], hi: part[1], exclude: r.exclude})
			}
		}
	}
	return nil
}

// commonPrefix is the longest prefix, whole characters, that all ids share.
func commonPrefix(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	common := ids[0]
	for _, id := range ids[1:] {
		n := 0
		for n < len(common) && n < len(id) && common[n] == id[n] {
			n++
		}
		common = common[:n]
	}
	for len(common) > 0 && !utf8.ValidString(common) {
		common = common[:len(common)-1]
	}
	return common
}

// lokiEntry is one entry of a query answer.
type lokiEntry struct {
	ts   int64
	line string
	// labels are the stream labels; meta the structured metadata (and parsed labels). Without
	// the categorize-labels encoding Loki merges metadata into labels, so lookups try both.
	labels map[string]string
	meta   map[string]string
}

// get returns a structured-metadata value.
func (e *lokiEntry) get(name string) string {
	if v, ok := e.meta[name]; ok {
		return v
	}
	return e.labels[name]
}

// label returns a stream label's true value: <label>_original when the exporter wrote the
// label as its overflow value.
func (e *lokiEntry) label(name string) string {
	if v := e.get(name + "_original"); v != "" {
		return v
	}
	if v, ok := e.labels[name]; ok {
		return v
	}
	return e.meta[name]
}

// key identifies the entry's event: its event id, or, for an entry without one, its stream and
// line.
func (e *lokiEntry) key() string {
	if id := e.get(audit.LokiMetaEventID); id != "" {
		return id
	}
	names := make([]string, 0, len(e.labels))
	for k := range e.labels {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteByte(0)
	for _, k := range names {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(e.labels[k])
		b.WriteByte(0)
	}
	b.WriteString(e.line)
	return b.String()
}

// row rebuilds the report row the exporter rendered into labels, metadata and line.
func (e *lokiEntry) row(tenant string) audit.Row {
	r := audit.Row{
		Time:     time.Unix(0, e.ts).UTC(),
		Tenant:   tenant,
		EventID:  e.get(audit.LokiMetaEventID),
		Author:   e.get(audit.LokiMetaAuthor),
		Summary:  e.get(audit.LokiMetaSummary),
		SourceIP: e.get(audit.LokiMetaSourceIP),
		Target:   e.get(audit.LokiMetaTarget),
		Category: e.label(audit.LokiLabelCategory),
		Outcome:  e.label(audit.LokiLabelOutcome),
		Service:  e.label(audit.LokiLabelService),
	}
	r.Description = lineDescription(e.line, r.Service, r.EventID)
	return r
}

// lineDescription reads the description from a line in any of the exporter's line formats. The
// json and logfmt lines start with the service_name field and carry the event id; a line is
// read as one of them only when both agree with the entry's labels and metadata, so a text
// description that merely looks like JSON or logfmt is kept as it is.
func lineDescription(line, service, eventID string) string {
	switch {
	case strings.HasPrefix(line, `{"service_name":`):
		var fields map[string]string
		if json.Unmarshal([]byte(line), &fields) == nil && fields["service_name"] == service && fields["event_id"] == eventID {
			return fields["description"]
		}
	case strings.HasPrefix(line, "service_name="):
		if fields, ok := parseLogfmt(line); ok && fields["service_name"] == service && fields["event_id"] == eventID {
			return fields["description"]
		}
	}
	return line
}

// parseLogfmt reads the exporter's logfmt lines: key=value pairs separated by one space, each
// value bare or a JSON string.
func parseLogfmt(s string) (map[string]string, bool) {
	out := map[string]string{}
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], " \"") {
			return nil, false
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			end := quotedEnd(s, 0)
			if end < 0 || json.Unmarshal([]byte(s[:end]), &val) != nil {
				return nil, false
			}
			s = s[end:]
		} else {
			sp := strings.IndexByte(s, ' ')
			if sp < 0 {
				sp = len(s)
			}
			val, s = s[:sp], s[sp:]
		}
		out[key] = val
		if s == "" {
			break
		}
		if s[0] != ' ' {
			return nil, false
		}
		s = s[1:]
	}
	return out, true
}

// queryRange runs a forward log query over [start, end) and returns its entries, the streams
// merged in time order.
func (l *lokiSource) queryRange(ctx context.Context, tenant, query string, start, end int64, limit int) ([]*lokiEntry, error) {
	body, err := l.get(ctx, tenant, "/loki/api/v1/query_range", url.Values{
		"query":     {query},
		"start":     {strconv.FormatInt(start, 10)},
		"end":       {strconv.FormatInt(end, 10)},
		"limit":     {strconv.Itoa(limit)},
		"direction": {"forward"},
	})
	if err != nil {
		return nil, err
	}
	var ans struct {
		Data struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Stream map[string]string   `json:"stream"`
				Values [][]json.RawMessage `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("loki query_range: decode answer: %w", err)
	}
	if ans.Data.ResultType != "streams" {
		return nil, fmt.Errorf("loki query_range: result type %q, want streams", ans.Data.ResultType)
	}
	var entries []*lokiEntry
	for _, r := range ans.Data.Result {
		for _, v := range r.Values {
			e, err := decodeValue(r.Stream, v)
			if err != nil {
				return nil, fmt.Errorf("loki query_range: %w", err)
			}
			// Loki's end is exclusive; the check keeps the [start, end) contract regardless.
			if e.ts >= start && e.ts < end {
				entries = append(entries, e)
			}
		}
	}
	// Each stream is in time order; a stable sort merges them.
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].ts < entries[j].ts })
	return entries, nil
}

// decodeValue decodes [ts, line] or [ts, line, {"structuredMetadata": {...}, "parsed": {...}}].
func decodeValue(stream map[string]string, v []json.RawMessage) (*lokiEntry, error) {
	if len(v) < 2 {
		return nil, fmt.Errorf("entry with %d fields", len(v))
	}
	var ts string
	e := &lokiEntry{labels: stream}
	if err := json.Unmarshal(v[0], &ts); err != nil {
		return nil, fmt.Errorf("entry timestamp: %w", err)
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("entry timestamp: %w", err)
	}
	e.ts = n
	if err := json.Unmarshal(v[1], &e.line); err != nil {
		return nil, fmt.Errorf("entry line: %w", err)
	}
	if len(v) > 2 {
		var groups map[string]map[string]string
		if err := json.Unmarshal(v[2], &groups); err != nil {
			return nil, fmt.Errorf("entry metadata: %w", err)
		}
		e.meta = groups["structuredMetadata"]
		for k, val := range groups["parsed"] {
			if e.meta == nil {
				e.meta = map[string]string{}
			}
			if _, ok := e.meta[k]; !ok {
				e.meta[k] = val
			}
		}
	}
	return e, nil
}

// instant runs a metric query at a nanosecond time and returns its single value (0 when the
// result is empty).
func (l *lokiSource) instant(ctx context.Context, tenant, query string, at int64) (int, error) {
	body, err := l.get(ctx, tenant, "/loki/api/v1/query", url.Values{
		"query": {query},
		"time":  {strconv.FormatInt(at, 10)},
	})
	if err != nil {
		return 0, err
	}
	var ans struct {
		Data struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Value []json.RawMessage `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return 0, fmt.Errorf("loki query: decode answer: %w", err)
	}
	if ans.Data.ResultType != "vector" {
		return 0, fmt.Errorf("loki query: result type %q, want vector", ans.Data.ResultType)
	}
	total := 0
	for _, r := range ans.Data.Result {
		var s string
		if len(r.Value) != 2 || json.Unmarshal(r.Value[1], &s) != nil {
			return 0, errors.New("loki query: malformed sample")
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("loki query: sample %q: %w", s, err)
		}
		total += int(f)
	}
	return total, nil
}

// get sends a query with the tenant header and returns the answer body. 429, 5xx and
// connection errors are retried a few times, waiting at least Retry-After.
func (l *lokiSource) get(ctx context.Context, tenant, path string, q url.Values) ([]byte, error) {
	u := l.base + path + "?" + q.Encode()
	for attempt := 0; ; attempt++ {
		body, retryAfter, err := l.getOnce(ctx, tenant, u)
		if err == nil {
			return body, nil
		}
		var le *LokiError
		retryable := !errors.As(err, &le) || le.StatusCode == http.StatusTooManyRequests || le.StatusCode >= 500
		if ctx.Err() != nil {
			// The caller gave up: say so, whatever the last answer was.
			return nil, fmt.Errorf("loki %s: %w", path, errors.Join(ctx.Err(), err))
		}
		if !retryable || attempt >= len(l.backoff) {
			return nil, fmt.Errorf("loki %s: %w", path, err)
		}
		t := time.NewTimer(max(l.backoff[attempt], min(retryAfter, maxRetryAfter)))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("loki %s: %w", path, ctx.Err())
		case <-t.C:
		}
	}
}

func (l *lokiSource) getOnce(ctx context.Context, tenant, u string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("X-Scope-OrgID", tenant)
	req.Header.Set("X-Loki-Response-Encoding-Flags", "categorize-labels")
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, lokipush.MaxResponseBody))
		return nil, lokipush.RetryAfter(resp.Header.Get("Retry-After")), &LokiError{StatusCode: resp.StatusCode, Body: string(bytes.TrimSpace(body))}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBody+1))
	if err != nil {
		return nil, 0, err
	}
	if len(body) > maxAnswerBody {
		return nil, 0, fmt.Errorf("answer larger than %d bytes: lower page_size", maxAnswerBody)
	}
	return body, 0, nil
}
