package reportsource

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

func TestLokiConfigValidate(t *testing.T) {
	valid := func() LokiConfig {
		c := NewDefaultLokiConfig()
		c.ClientConfig.Endpoint = "http://localhost:3100"
		return c
	}
	c := valid()
	require.NoError(t, c.Validate())
	assert.Equal(t, 2*time.Minute, c.SettleDelay)
	assert.Equal(t, 1000, c.PageSize)
	assert.Equal(t, `{service_name=~".+"}`, c.Selector)

	for _, tt := range []struct {
		mutate  func(*LokiConfig)
		wantErr string
	}{
		{func(c *LokiConfig) { c.ClientConfig.Endpoint = "" }, "endpoint: must be set"},
		{func(c *LokiConfig) { c.ClientConfig.Endpoint = "localhost:3100" }, "endpoint:"},
		{func(c *LokiConfig) { c.PageSize = 0 }, "page_size: 0 is outside 1..5000"},
		{func(c *LokiConfig) { c.PageSize = 5001 }, "4 MiB"},
		{func(c *LokiConfig) { c.SettleDelay = -time.Second }, "settle_delay:"},
		{func(c *LokiConfig) { c.Retention = -time.Second }, "retention:"},
		{func(c *LokiConfig) { c.Selector = `{service_name=~".*"}` }, "selector:"},
		{func(c *LokiConfig) { c.Selector = `service_name="lms"` }, "selector:"},
	} {
		c := valid()
		tt.mutate(&c)
		assert.ErrorContains(t, c.Validate(), tt.wantErr)
	}
}

func TestValidateSelector(t *testing.T) {
	for sel, ok := range map[string]bool{
		`{service_name=~".+"}`:                             true,
		`{service_name="lms"}`:                             true,
		` { service_name = "lms" , category=~".*" } `:      true,
		`{category!=""}`:                                   true,
		"{service_name=`lms`}":                             true,
		`{service_name=~".+"} | tenant!="x"`:               true,
		`{service_name=~".+"} |= "login"`:                  true,
		`{service_name=~".+"} != "debug"`:                  true,
		`{service_name=~".*"}`:                             false,
		`{service_name=~".*", category=~"a|"}`:             false,
		`{service_name!="lms"}`:                            false,
		`{service_name!~".+"}`:                             false,
		`{}`:                                               false,
		`{service_name="lms"`:                              false,
		`{service_name="lms"} category`:                    false,
		`{service_name=~"("}`:                              false,
		`{service_name="lms" category="x"}`:                false,
		`sum(count_over_time({service_name="lms"}[1m]))`:   false,
		`{service_name="a\"b", category=~"Login|Logout"}`:  true,
		`{service_name=~"lms|billing", outcome="failure"}`: true,
	} {
		err := validateSelector(sel)
		if ok {
			assert.NoError(t, err, sel)
		} else {
			assert.Error(t, err, sel)
		}
	}
	assert.ErrorIs(t, validateSelector(`{a=~".*"}`), ErrSelectorMatchesEmpty)
}

func TestLokiConfigUnmarshal(t *testing.T) {
	cfg := NewDefaultLokiConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint":     "https://loki.example.com",
		"timeout":      "10s",
		"headers":      map[string]any{"X-Team": "security"},
		"settle_delay": "5m",
		"page_size":    500,
		"selector":     `{service_name="lms"}`,
		"retention":    "720h",
	}).Unmarshal(&cfg))
	assert.Equal(t, "https://loki.example.com", cfg.ClientConfig.Endpoint)
	assert.Equal(t, 10*time.Second, cfg.ClientConfig.Timeout)
	assert.Equal(t, 5*time.Minute, cfg.SettleDelay)
	assert.Equal(t, 500, cfg.PageSize)
	assert.Equal(t, `{service_name="lms"}`, cfg.Selector)
	assert.Equal(t, 720*time.Hour, cfg.Retention)
	require.NoError(t, cfg.Validate())

	cfg = NewDefaultLokiConfig()
	err := confmap.NewFromStringMap(map[string]any{"endpoint": "http://x", "page_sise": 10}).Unmarshal(&cfg)
	assert.ErrorContains(t, err, "page_sise")

	// As a named sub-config.
	var parent struct {
		Loki LokiConfig `mapstructure:"loki"`
	}
	parent.Loki = NewDefaultLokiConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"loki": map[string]any{"endpoint": "http://x", "page_size": 7}}).Unmarshal(&parent))
	assert.Equal(t, 7, parent.Loki.PageSize)
	assert.Equal(t, DefaultSettleDelay, parent.Loki.SettleDelay, "unset keys keep their defaults")
}

func TestLineDescription(t *testing.T) {
	for _, tt := range []struct{ line, service, id, want string }{
		{"alice logged in", "lms", "e1", "alice logged in"},
		{`{"service_name":"lms","tenant":"acme","event_id":"e1","description":"alice logged in"}`, "lms", "e1", "alice logged in"},
		{`{"service_name":"lms","tenant":"acme","event_id":"e1"}`, "lms", "e1", ""},
		{`{"service_name":"lms","event_id":"e1","description":"x \"q\" \u00e9\n"}`, "lms", "e1", "x \"q\" é\n"},
		// Looks like the exporter's JSON but is another event's, or not JSON at all: a text line.
		{`{"service_name":"lms","event_id":"other","description":"x"}`, "lms", "e1", `{"service_name":"lms","event_id":"other","description":"x"}`},
		{`{"service_name":"lms", broken`, "lms", "e1", `{"service_name":"lms", broken`},
		{`service_name=lms tenant=acme event_id=e1 description="alice logged in"`, "lms", "e1", "alice logged in"},
		{`service_name=lms event_id=e1 description=bare`, "lms", "e1", "bare"},
		{`service_name="my svc" event_id=e1 description="a=b \"c\"\tz"`, "my svc", "e1", "a=b \"c\"\tz"},
		{`service_name=lms event_id=e1`, "lms", "e1", ""},
		{`service_name=lms description=looks-like-logfmt`, "lms", "e1", `service_name=lms description=looks-like-logfmt`},
		{`service_name=lms event_id=e1 description="unterminated`, "lms", "e1", `service_name=lms event_id=e1 description="unterminated`},
		{`service_name=lms  event_id=e1`, "lms", "e1", `service_name=lms  event_id=e1`},
	} {
		assert.Equal(t, tt.want, lineDescription(tt.line, tt.service, tt.id), tt.line)
	}
}

func TestDecodeValue(t *testing.T) {
	// With categorize-labels: metadata apart from the stream labels.
	var v []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(`["1700000000000000001","line",{"structuredMetadata":{"event_id":"e1","category_original":"Payroll"},"parsed":{"x":"y"}}]`), &v))
	e, err := decodeValue(map[string]string{"service_name": "lms", "category": "_other", "outcome": "success"}, v)
	require.NoError(t, err)
	r := e.row("acme")
	assert.Equal(t, audit.Row{Time: time.Unix(0, 1700000000000000001).UTC(), Tenant: "acme", EventID: "e1", Category: "Payroll", Outcome: "success", Service: "lms", Description: "line"}, r)
	assert.Equal(t, "y", e.get("x"))

	// Without it, Loki merges metadata into the stream labels.
	require.NoError(t, json.Unmarshal([]byte(`["1700000000000000001","line"]`), &v))
	e, err = decodeValue(map[string]string{"service_name": "lms", "author": "alice", "event_id": "e2"}, v)
	require.NoError(t, err)
	assert.Equal(t, "alice", e.row("acme").Author)
	assert.Equal(t, "e2", e.key())

	for _, bad := range []string{`["x","line"]`, `["1"]`, `["1",2]`, `["1","l",[]]`} {
		require.NoError(t, json.Unmarshal([]byte(bad), &v))
		_, err := decodeValue(nil, v)
		assert.Error(t, err, bad)
	}
}

func TestWindows(t *testing.T) {
	h := int64(time.Hour)
	assert.Empty(t, windows(5, 5))
	assert.Empty(t, windows(6, 5))
	assert.Equal(t, [][2]int64{{0, 720 * h}, {720 * h, 1440 * h}, {1440 * h, 1441 * h}}, windows(0, 1441*h))
	assert.Equal(t, [][2]int64{{math.MaxInt64 - 1, math.MaxInt64}}, windows(math.MaxInt64-1, math.MaxInt64))
	assert.Equal(t, int64(0), unixNano(time.Time{}))
	assert.Equal(t, int64(math.MaxInt64), unixNano(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)))
}

func TestCommonPrefix(t *testing.T) {
	assert.Equal(t, "", commonPrefix(nil))
	assert.Equal(t, "evt-00", commonPrefix([]string{"evt-001", "evt-002", "evt-00"}))
	assert.Equal(t, "é", commonPrefix([]string{"é\u00e8", "é\u00e9"}), "whole characters")
	assert.Equal(t, "", commonPrefix([]string{"a", "b"}))
}

// fakeEntry is one entry the fake Loki holds.
type fakeEntry struct {
	tenant string
	ts     int64
	labels map[string]string
	meta   map[string]string
	line   string
}

// fakeLoki answers query_range and instant count queries the way Loki does, for the LogQL this
// package writes: stream matchers and label filters with =, !=, =~, !~.
type fakeLoki struct {
	t       *testing.T
	mu      sync.Mutex
	entries []fakeEntry
	queries []string
	// fail, when set, answers instead of the query.
	fail func(w http.ResponseWriter, r *http.Request) bool
}

var matcherRE = regexp.MustCompile(`(\w+)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")`)

type fakeMatcher struct {
	name, op string
	re       *regexp.Regexp
	value    string
}

func parseMatchers(t *testing.T, s string) []fakeMatcher {
	var out []fakeMatcher
	for _, m := range matcherRE.FindAllStringSubmatch(s, -1) {
		v, err := strconv.Unquote(m[3])
		require.NoError(t, err, s)
		fm := fakeMatcher{name: m[1], op: m[2], value: v}
		if strings.Contains(m[2], "~") {
			fm.re = regexp.MustCompile("^(?:" + v + ")$")
		}
		out = append(out, fm)
	}
	return out
}

func (m fakeMatcher) match(v string) bool {
	switch m.op {
	case "=":
		return v == m.value
	case "!=":
		return v != m.value
	case "=~":
		return m.re.MatchString(v)
	}
	return !m.re.MatchString(v)
}

func (f *fakeLoki) matching(tenant, query string) []fakeEntry {
	sel, pipeline, _ := strings.Cut(query, "}")
	matchers := append(parseMatchers(f.t, sel), parseMatchers(f.t, pipeline)...)
	var out []fakeEntry
	for _, e := range f.entries {
		if e.tenant != tenant {
			continue
		}
		ok := true
		for _, m := range matchers {
			v, found := e.labels[m.name]
			if !found {
				v = e.meta[m.name]
			}
			ok = ok && m.match(v)
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}

func (f *fakeLoki) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	f.queries = append(f.queries, r.URL.Path+" "+q.Get("query"))
	if f.fail != nil && f.fail(w, r) {
		return
	}
	tenant := r.Header.Get("X-Scope-OrgID")
	assert.Equal(f.t, "categorize-labels", r.Header.Get("X-Loki-Response-Encoding-Flags"))
	switch r.URL.Path {
	case "/loki/api/v1/query_range":
		start, _ := strconv.ParseInt(q.Get("start"), 10, 64)
		end, _ := strconv.ParseInt(q.Get("end"), 10, 64)
		limit, _ := strconv.Atoi(q.Get("limit"))
		assert.Equal(f.t, "forward", q.Get("direction"))
		var in []fakeEntry
		for _, e := range f.matching(tenant, q.Get("query")) {
			if e.ts >= start && e.ts < end {
				in = append(in, e)
			}
		}
		sort.SliceStable(in, func(i, j int) bool { return in[i].ts < in[j].ts })
		in = in[:min(limit, len(in))]
		type stream struct {
			Stream map[string]string `json:"stream"`
			Values [][]any           `json:"values"`
		}
		byLabels := map[string]*stream{}
		var streams []*stream
		for _, e := range in {
			key := fmt.Sprint(e.labels)
			s := byLabels[key]
			if s == nil {
				s = &stream{Stream: e.labels}
				byLabels[key] = s
				streams = append(streams, s)
			}
			s.Values = append(s.Values, []any{strconv.FormatInt(e.ts, 10), e.line, map[string]any{"structuredMetadata": e.meta}})
		}
		writeJSON(w, map[string]any{"status": "success", "data": map[string]any{"resultType": "streams", "result": streams}})
	case "/loki/api/v1/query":
		at, _ := strconv.ParseInt(q.Get("time"), 10, 64)
		query := q.Get("query")
		m := regexp.MustCompile(`^sum\(count_over_time\((.*) \[(\d+)ms\]\)\)$`).FindStringSubmatch(query)
		require.NotNil(f.t, m, query)
		ms, _ := strconv.ParseInt(m[2], 10, 64)
		n := 0
		for _, e := range f.matching(tenant, m[1]) {
			if e.ts > at-ms*int64(time.Millisecond) && e.ts <= at {
				n++
			}
		}
		result := []any{}
		if n > 0 {
			result = append(result, map[string]any{"metric": map[string]any{}, "value": []any{float64(at) / 1e9, strconv.Itoa(n)}})
		}
		writeJSON(w, map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}})
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeLoki) add(tenant string, ts int64, id string, extra ...string) {
	meta := map[string]string{"event_id": id, "tenant": tenant}
	for i := 0; i+1 < len(extra); i += 2 {
		meta[extra[i]] = extra[i+1]
	}
	if id == "" {
		delete(meta, "event_id")
	}
	f.entries = append(f.entries, fakeEntry{tenant: tenant, ts: ts, labels: map[string]string{"service_name": "lms"}, meta: meta, line: "line " + id})
}

func (f *fakeLoki) queryCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queries)
}

func newFakeSource(t *testing.T, f *fakeLoki, pageSize int) *lokiSource {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := NewDefaultLokiConfig()
	cfg.ClientConfig.Endpoint = srv.URL + "/"
	cfg.PageSize = pageSize
	src, err := NewLoki(context.Background(), cfg, componenttest.NewNopHost(), componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	ls := src.(*lokiSource)
	ls.backoff = []time.Duration{time.Millisecond, time.Millisecond}
	return ls
}

func scanIDs(t *testing.T, src *lokiSource, tenant string, from, to int64) []string {
	t.Helper()
	var ids []string
	require.NoError(t, src.Scan(context.Background(), tenant, time.Unix(0, from), time.Unix(0, to), func(r audit.Row) error {
		ids = append(ids, r.EventID)
		return nil
	}))
	return ids
}

// More entries at one timestamp than a page holds, with shared prefixes, non-ASCII ids,
// regular-expression characters and many duplicates of one id: each event comes once, in a
// bounded number of queries.
func TestScanManyEntriesAtOneTimestamp(t *testing.T) {
	f := &fakeLoki{t: t}
	const ts = int64(1_700_000_000_000_000_000)
	want := map[string]bool{}
	add := func(id string) {
		f.add("acme", ts, id)
		want[id] = true
	}
	for i := 0; i < 40; i++ {
		add(fmt.Sprintf("evt-%04d", i))
	}
	for i := 0; i < 12; i++ {
		add(fmt.Sprintf("src/shared/prefix/ééé/%c.*+?[%d]", 'Ω'+rune(i%3), i))
	}
	add("evt-00")
	add("evt-")
	for i := 0; i < 30; i++ {
		f.add("acme", ts, "h-duplicate")
	}
	want["h-duplicate"] = true
	f.add("acme", ts-1, "before")
	f.add("acme", ts+1, "after")
	want["before"], want["after"] = true, true
	f.add("globex", ts, "evt-0001")

	src := newFakeSource(t, f, 5)
	ids := scanIDs(t, src, "acme", ts-10, ts+10)
	assert.Len(t, ids, len(want))
	got := map[string]bool{}
	for _, id := range ids {
		assert.False(t, got[id], "%s yielded twice", id)
		got[id] = true
	}
	assert.Equal(t, want, got)
	assert.Equal(t, "before", ids[0])
	assert.Equal(t, "after", ids[len(ids)-1])
	t.Logf("%d queries", f.queryCount())
	assert.Less(t, f.queryCount(), 100, "queries")
}

func TestScanEntriesWithoutIDsAtOneTimestamp(t *testing.T) {
	f := &fakeLoki{t: t}
	for i := 0; i < 6; i++ {
		f.add("acme", 100, "")
		f.entries[i].line = fmt.Sprintf("line %d", i)
	}
	src := newFakeSource(t, f, 5)
	err := src.Scan(context.Background(), "acme", time.Unix(0, 0), time.Unix(0, 1000), func(audit.Row) error { return nil })
	assert.ErrorContains(t, err, "without an event id")

	// Fewer than a page are told apart by their line.
	f.entries = f.entries[:4]
	assert.Len(t, scanIDs(t, src, "acme", 0, 1000), 4)
}

// Every page boundary falls inside a group of entries sharing a timestamp.
func TestScanPageBoundaries(t *testing.T) {
	f := &fakeLoki{t: t}
	var want []string
	for g := int64(0); g < 20; g++ {
		for k := 0; k < 3; k++ {
			id := fmt.Sprintf("g%02d-%d", g, k)
			f.add("acme", 1000+g, id)
			want = append(want, id)
		}
	}
	src := newFakeSource(t, f, 4)
	ids := scanIDs(t, src, "acme", 0, 2000)
	assert.ElementsMatch(t, want, ids)
	assert.Len(t, ids, len(want))
}

func TestCountQueries(t *testing.T) {
	f := &fakeLoki{t: t}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(800 * time.Hour)
	f.add("acme", from.UnixNano(), "at-from")
	f.add("acme", from.Add(720*time.Hour).UnixNano(), "at-window")
	f.add("acme", to.Add(-time.Nanosecond).UnixNano(), "before-to")
	f.add("acme", to.UnixNano(), "at-to")
	f.add("acme", from.Add(-time.Nanosecond).UnixNano(), "before-from")
	f.add("acme", from.Add(time.Hour).UnixNano(), "marker", "action", markerAction)
	src := newFakeSource(t, f, 5)
	n, err := src.Count(context.Background(), "acme", from, to)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	require.Len(t, f.queries, 2, "one instant query per window of at most 720h")
	assert.Contains(t, f.queries[0], "[2592000000ms]")
	assert.Contains(t, f.queries[1], "[288000000ms]")
	assert.Contains(t, f.queries[0], `| tenant="acme" | action!="audit_log.event_dead_lettered"`)

	n, err = src.Count(context.Background(), "acme", to, from)
	require.NoError(t, err)
	assert.Zero(t, n)
	_, err = src.Count(context.Background(), "bad/tenant", from, to)
	assert.ErrorIs(t, err, audit.ErrTenantInvalidChar)
}

func TestDeliveredAndDeadLetteredQueries(t *testing.T) {
	f := &fakeLoki{t: t}
	now := time.Now()
	delivered := func(tenant, target, outcome string, at time.Time) {
		f.entries = append(f.entries, fakeEntry{
			tenant: tenant, ts: at.UnixNano(),
			labels: map[string]string{"service_name": selfaudit.SourceName, "category": selfaudit.CategoryAuditLog, "outcome": outcome},
			meta:   map[string]string{"summary": "Report delivered", "target": target, "tenant": tenant, "event_id": target + outcome},
		})
	}
	delivered("acme", `daily/"x"`, audit.OutcomeSuccess, now.Add(-900*time.Hour))
	delivered("acme", "weekly", audit.OutcomeFailure, now.Add(-time.Hour))
	src := newFakeSource(t, f, 5)
	d := Deliveries(src)
	ok, err := d.Delivered(context.Background(), "acme", `daily/"x"`, now.Add(-1000*time.Hour))
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = d.Delivered(context.Background(), "acme", "weekly", now.Add(-1000*time.Hour))
	require.NoError(t, err)
	assert.False(t, ok)
	// The retention bounds the search.
	src.cfg.Retention = 24 * time.Hour
	ok, err = d.Delivered(context.Background(), "acme", `daily/"x"`, now.Add(-1000*time.Hour))
	require.NoError(t, err)
	assert.False(t, ok)

	marker := func(tenant, id string, eventTime, at time.Time) {
		f.entries = append(f.entries, fakeEntry{
			tenant: tenant, ts: at.UnixNano(),
			labels: map[string]string{"service_name": selfaudit.SourceName, "category": selfaudit.CategoryAuditLog, "outcome": "failure"},
			meta: map[string]string{"summary": selfaudit.SummaryEventDeadLettered, "target": id, "tenant": tenant, "event_id": "m-" + id,
				selfaudit.LokiMetaEventTime: eventTime.UTC().Format(time.RFC3339Nano)},
		})
	}
	from := now.Add(-48 * time.Hour).Truncate(time.Hour)
	to := from.Add(24 * time.Hour)
	marker("acme", "a", from, from.Add(time.Minute))
	marker("acme", "b", to.Add(-time.Nanosecond), to.Add(time.Hour))
	marker("acme", "c", to, to.Add(time.Hour))
	marker("acme", "d", from.Add(-time.Nanosecond), from.Add(time.Minute))
	marker("globex", "e", from, from.Add(time.Minute))
	n, err := src.DeadLettered(context.Background(), "acme", from, to)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	// b was replayed at its own time; a replay re-timed to another time does not count.
	f.add("acme", to.Add(-time.Nanosecond).UnixNano(), "b")
	f.add("acme", from.Add(time.Nanosecond).UnixNano(), "a")
	n, err = src.DeadLettered(context.Background(), "acme", from, to)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	n, err = src.DeadLettered(context.Background(), "acme", to, from)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestQueryErrorsAndRetries(t *testing.T) {
	f := &fakeLoki{t: t}
	f.add("acme", 100, "e1")
	src := newFakeSource(t, f, 5)

	// 503 then 429 are retried.
	calls := 0
	f.fail = func(w http.ResponseWriter, _ *http.Request) bool {
		calls++
		switch calls {
		case 1:
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		case 2:
			http.Error(w, "too many outstanding requests", http.StatusTooManyRequests)
		default:
			return false
		}
		return true
	}
	assert.Equal(t, []string{"e1"}, scanIDs(t, src, "acme", 0, 1000))
	assert.Equal(t, 3, calls)

	// 400 is not retried, and the error quotes Loki's answer, bounded.
	calls = 0
	f.fail = func(w http.ResponseWriter, _ *http.Request) bool {
		calls++
		http.Error(w, "parse error at line 1, col 2: syntax error"+strings.Repeat(" x", 4000), http.StatusBadRequest)
		return true
	}
	err := src.Scan(context.Background(), "acme", time.Unix(0, 0), time.Unix(0, 1000), func(audit.Row) error { return nil })
	var le *LokiError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, http.StatusBadRequest, le.StatusCode)
	assert.Contains(t, err.Error(), "parse error at line 1")
	assert.LessOrEqual(t, len(le.Body), maxErrorBody)
	assert.Equal(t, 1, calls)

	// Retries give up.
	calls = 0
	f.fail = func(w http.ResponseWriter, _ *http.Request) bool {
		calls++
		http.Error(w, "boom", http.StatusBadGateway)
		return true
	}
	_, err = src.Count(context.Background(), "acme", time.Unix(0, 0), time.Unix(0, 1000))
	require.ErrorAs(t, err, &le)
	assert.Equal(t, http.StatusBadGateway, le.StatusCode)
	assert.Equal(t, len(src.backoff)+1, calls)

	// A cancelled context ends the wait between retries.
	src.backoff = []time.Duration{time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	f.fail = func(w http.ResponseWriter, _ *http.Request) bool {
		cancel()
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return true
	}
	_, err = src.Count(ctx, "acme", time.Unix(0, 0), time.Unix(0, 1000))
	assert.ErrorIs(t, err, context.Canceled)

	// A malformed answer is an error, not an empty result.
	f.fail = func(w http.ResponseWriter, _ *http.Request) bool {
		_, _ = w.Write([]byte(`{"data":{"resultType":"matrix","result":[]}}`))
		return true
	}
	err = src.Scan(context.Background(), "acme", time.Unix(0, 0), time.Unix(0, 1000), func(audit.Row) error { return nil })
	assert.ErrorContains(t, err, "matrix")
}

func TestLokiSettings(t *testing.T) {
	f := &fakeLoki{t: t}
	src := newFakeSource(t, f, 5)
	assert.Equal(t, DefaultSettleDelay, src.SettleDelay())
	assert.Zero(t, src.Retention())
	_, err := NewLoki(context.Background(), LokiConfig{}, componenttest.NewNopHost(), componenttest.NewNopTelemetrySettings())
	assert.ErrorContains(t, err, "endpoint")
}
