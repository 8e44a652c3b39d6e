package auditlokiexporter

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "http://127.0.0.1:1"
	return cfg
}

func metaMap(m push.LabelsAdapter) map[string]string {
	out := map[string]string{}
	for _, l := range m {
		out[l.Name] = l.Value
	}
	return out
}

func TestEntryMapping(t *testing.T) {
	ld := makeLogs(testEvent(1, "acme"))
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	lr.Attributes().PutStr(audit.AttrOriginal, `{"raw":"event"}`)

	entries := newEncoder(testConfig(), nil).entries(ld)
	require.Len(t, entries, 1)
	en := entries[0]
	assert.Empty(t, en.reason)
	assert.Equal(t, "acme", en.tenant)
	assert.Equal(t, `{category="Authentication", outcome="success", service_name="lms"}`, en.labels)
	assert.Equal(t, "user1@example.com logged in", en.line)
	assert.Equal(t, map[string]string{
		"author":       "user1@example.com",
		"summary":      "Login",
		"event_id":     "evt-0001",
		"source_ip":    "203.0.113.7",
		"audit_source": "okta",
		"action":       "user.session.start",
		"tenant":       "acme",
		"trace_id":     "0102030405060708090a0b0c0d0e0f10",
	}, metaMap(en.meta))
}

func TestEntryDefaultServiceAndExtraLabels(t *testing.T) {
	ld := makeLogs(testEvent(1, "acme"))
	ld.ResourceLogs().At(0).Resource().Attributes().Remove("service.name")
	ld.ResourceLogs().At(0).Resource().Attributes().PutStr("deployment.environment", "prod")
	cfg := testConfig()
	cfg.Labels.Attributes = map[string]string{"deployment.environment": "env", audit.AttrSource: "profile"}
	en := newEncoder(cfg, nil).entries(ld)[0]
	assert.Equal(t, `{category="Authentication", env="prod", outcome="success", profile="okta", service_name="unknown_service"}`, en.labels)
}

func TestLineFormats(t *testing.T) {
	ev := testEvent(3, "acme")
	ev.description = "said \"hi\"\nand left"
	tests := []struct {
		format string
		check  func(t *testing.T, line string)
	}{
		{LineFormatText, func(t *testing.T, line string) { assert.Equal(t, ev.description, line) }},
		{LineFormatJSON, func(t *testing.T, line string) {
			var m map[string]string
			require.NoError(t, json.Unmarshal([]byte(line), &m))
			assert.Equal(t, "user3@example.com", m["author"])
			assert.Equal(t, "Authentication", m["category"])
			assert.Equal(t, ev.description, m["description"])
			assert.Equal(t, "acme", m["tenant"])
			assert.Equal(t, "lms", m["service_name"])
		}},
		{LineFormatLogfmt, func(t *testing.T, line string) {
			assert.True(t, strings.HasPrefix(line, `service_name=lms tenant=acme author=user3@example.com category=Authentication summary=Login outcome=success`), line)
			assert.Contains(t, line, `description="said \"hi\"\nand left"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			cfg := testConfig()
			cfg.LineFormat = tt.format
			en := newEncoder(cfg, nil).entries(makeLogs(ev))[0]
			tt.check(t, en.line)
		})
	}
}

func TestValidationReasons(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		mutate func(*event)
		cfg    func(*Config)
		reason string
	}{
		{"valid", func(*event) {}, nil, ""},
		{"future", func(e *event) { e.ts = now.Add(time.Hour) }, nil, lokipush.ReasonTooFarInFuture},
		{"old", func(e *event) { e.ts = now.Add(-8 * 24 * time.Hour) }, nil, lokipush.ReasonTooOld},
		{"old allowed", func(e *event) { e.ts = now.Add(-8 * 24 * time.Hour) }, func(c *Config) { c.Limits.MaxAge = 0 }, ""},
		{"long line", func(e *event) { e.description = strings.Repeat("x", 300<<10) }, nil, lokipush.ReasonLineTooLong},
		{"long label value", func(e *event) { e.category = strings.Repeat("c", 3000) }, nil, lokipush.ReasonLabelValueTooLong},
		{"invalid utf8 label", func(e *event) { e.category = "\xff" }, nil, lokipush.ReasonInvalidLabels},
		{"bad tenant", func(e *event) { e.tenant = "a/b" }, nil, lokipush.ReasonNotNormalized},
		{"no tenant", func(e *event) { e.tenant = "" }, nil, lokipush.ReasonNotNormalized},
		{"no tenant single mode", func(e *event) { e.tenant = "" }, func(c *Config) { c.Tenant.Mode = TenantModeSingle }, lokipush.ReasonNotNormalized},
		{"missing time", func(e *event) { e.ts = time.Unix(0, 0) }, nil, lokipush.ReasonNotNormalized},
		{"metadata too large", func(e *event) { e.author = strings.Repeat("a", 70<<10) }, nil, lokipush.ReasonMetadataTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := testEvent(1, "acme")
			tt.mutate(&ev)
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			ld := makeLogs(ev)
			if ev.ts.Unix() == 0 {
				ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetTimestamp(0)
			}
			en := newEncoder(cfg, nil).entries(ld)[0]
			assert.Equal(t, tt.reason, en.reason)
		})
	}
}

func TestLabelOverflow(t *testing.T) {
	cfg := testConfig()
	cfg.Labels.MaxValuesPerLabel = 2
	var overflowed []string
	enc := newEncoder(cfg, func(l string) { overflowed = append(overflowed, l) })
	var events []event
	for i, c := range []string{"A", "B", "C", "A", "D"} {
		ev := testEvent(i, "acme")
		ev.category = c
		events = append(events, ev)
	}
	entries := enc.entries(makeLogs(events...))
	var cats []string
	for _, en := range entries {
		cats = append(cats, en.labels[strings.Index(en.labels, `category="`)+10:strings.Index(en.labels, `", `)])
	}
	assert.Equal(t, []string{"A", "B", overflowLabelValue, "A", overflowLabelValue}, cats)
	assert.Equal(t, []string{"category", "category"}, overflowed)
	assert.Equal(t, "C", metaMap(entries[2].meta)["category_original"])
	assert.Empty(t, entries[2].reason, "an overflow is still delivered")
}

// TestLabelOverflowEveryRecord: records of an overflowed stream each count in the overflow
// metric and each keep the true value, within a batch and in the next one.
func TestLabelOverflowEveryRecord(t *testing.T) {
	cfg := testConfig()
	cfg.Labels.MaxValuesPerLabel = 1
	var overflowed []string
	enc := newEncoder(cfg, func(l string) { overflowed = append(overflowed, l) })
	batch := func() []entry {
		var events []event
		for i, c := range []string{"A", "B", "B"} {
			ev := testEvent(i, "acme")
			ev.category = c
			events = append(events, ev)
		}
		return enc.entries(makeLogs(events...))
	}
	for _, entries := range [][]entry{batch(), batch()} {
		assert.Equal(t, `{category="A", outcome="success", service_name="lms"}`, entries[0].labels)
		assert.NotContains(t, metaMap(entries[0].meta), "category_original")
		for _, en := range entries[1:] {
			assert.Equal(t, `{category="_other", outcome="success", service_name="lms"}`, en.labels)
			assert.Equal(t, "B", metaMap(en.meta)["category_original"])
		}
	}
	assert.Equal(t, []string{"category", "category", "category", "category"}, overflowed)
}

// TestSelectorOfCraftedValue: a label value that contains what a separator-joined cache key
// would use cannot lend its stream to another label set.
func TestSelectorOfCraftedValue(t *testing.T) {
	crafted := testEvent(1, "acme")
	crafted.category, crafted.outcome = "a\xffoutcome\xffb", ""
	plain := testEvent(2, "acme")
	plain.category, plain.outcome = "a", "b"
	entries := newEncoder(testConfig(), nil).entries(makeLogs(crafted, plain))
	assert.Equal(t, lokipush.ReasonInvalidLabels, entries[0].reason)
	assert.Empty(t, entries[1].reason)
	assert.Equal(t, `{category="a", outcome="b", service_name="lms"}`, entries[1].labels)
}

func TestChunksAndDeterminism(t *testing.T) {
	var events []event
	for i := 0; i < 200; i++ {
		tenant := "acme"
		if i%3 == 0 {
			tenant = "globex"
		}
		ev := testEvent(i, tenant)
		if i%2 == 0 {
			ev.outcome = audit.OutcomeFailure
		}
		events = append(events, ev)
	}
	ld := makeLogs(events...)
	cfg := testConfig()
	enc := newEncoder(cfg, nil)
	cs := chunks(enc.entries(ld), 4096)
	require.Greater(t, len(cs), 2, "a small max_request_size splits the batch")
	seen := 0
	for _, c := range cs {
		size := 0
		for _, en := range c.entries {
			assert.Equal(t, c.tenant, en.tenant, "a chunk never mixes tenants")
			size += entrySize(en)
		}
		assert.LessOrEqual(t, size, 4096)
		seen += len(c.entries)
	}
	assert.Equal(t, 200, seen)

	// The same batch encodes to the same bytes, so a retry is deduplicated by Loki.
	again := chunks(newEncoder(cfg, nil).entries(ld), 4096)
	require.Len(t, again, len(cs))
	for i := range cs {
		a, err := cs[i].encode()
		require.NoError(t, err)
		b, err := again[i].encode()
		require.NoError(t, err)
		assert.Equal(t, a, b)
	}

	req := cs[0].pushRequest()
	for i := 1; i < len(req.Streams); i++ {
		assert.Less(t, req.Streams[i-1].Labels, req.Streams[i].Labels)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", "q\"b\\", "ctl\x01\x7f", "bad\xffutf8", "line\u2028sep", "é€😀"} {
		var got string
		require.NoError(t, json.Unmarshal(appendJSONString(nil, s), &got), s)
		if strings.Contains(s, "\xff") {
			assert.Equal(t, "bad\ufffdutf8", got)
			continue
		}
		assert.Equal(t, s, got)
	}
}

// TestChunksSendOldestFirst: a batch whose records arrive newest first reaches Loki oldest
// first in every stream, so that Loki's out-of-order window does not refuse the older ones,
// and the order is the same on every encoding.
func TestChunksSendOldestFirst(t *testing.T) {
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var entries []entry
	for i := 0; i < 5; i++ {
		entries = append(entries, entry{tenant: "acme", labels: `{category="Users"}`, ts: base.Add(-time.Duration(i) * 30 * time.Minute), line: fmt.Sprint(i)})
	}
	// Two entries with the same time keep their arrival order.
	entries = append(entries, entry{tenant: "acme", labels: `{category="Users"}`, ts: base, line: "same-time"})
	cs := chunks(entries, 1<<20)
	require.Len(t, cs, 1)
	req := cs[0].pushRequest()
	require.Len(t, req.Streams, 1)
	var lines []string
	for i, e := range req.Streams[0].Entries {
		lines = append(lines, e.Line)
		if i > 0 {
			assert.False(t, e.Timestamp.Before(req.Streams[0].Entries[i-1].Timestamp), "entries ascend in time")
		}
	}
	assert.Equal(t, []string{"4", "3", "2", "1", "0", "same-time"}, lines)

	a, err := chunks(entries, 1<<20)[0].encode()
	require.NoError(t, err)
	b, err := chunks(entries, 1<<20)[0].encode()
	require.NoError(t, err)
	assert.Equal(t, a, b, "identical bytes on every encoding")
}

// Without audit.description, the json and logfmt lines carry the body sentence, as the report
// spool reads it.
func TestStructuredLinesFallBackToTheBody(t *testing.T) {
	ld := makeLogs(testEvent(1, "acme"))
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Remove(audit.AttrDescription)
	for _, format := range []string{LineFormatJSON, LineFormatLogfmt} {
		cfg := testConfig()
		cfg.LineFormat = format
		en := newEncoder(cfg, nil).entries(ld)[0]
		assert.Contains(t, en.line, "user1@example.com logged in", format)
	}
}

// A dead-letter marker carries the time and reason of the event it stands for, and its stream
// is never capped: readers select it by its labels.
func TestDeadLetterMarkerEncoding(t *testing.T) {
	cfg := testConfig()
	cfg.Labels.MaxValuesPerLabel = 1
	enc := newEncoder(cfg, nil)
	enc.entries(makeLogs(testEvent(1, "acme"))) // service_name=lms takes acme's only slot
	eventTime := time.Now().Add(-time.Hour)
	d := selfaudit.DeadLetter{Tenant: "acme", EventID: "evt-9", EventTime: eventTime, Reason: lokipush.ReasonLineTooLong, At: time.Now()}
	en := enc.entries(selfaudit.DeadLetterLogs(d))[0]
	assert.Empty(t, en.reason)
	assert.Equal(t, `{category="Audit log", outcome="failure", service_name="otelcol-audit"}`, en.labels)
	md := metaMap(en.meta)
	assert.Equal(t, selfaudit.SummaryEventDeadLettered, md["summary"])
	assert.Equal(t, "evt-9", md["target"])
	assert.Equal(t, d.MarkerID(), md["event_id"])
	assert.Equal(t, eventTime.UTC().Format(time.RFC3339Nano), md[selfaudit.LokiMetaEventTime])
	assert.Equal(t, lokipush.ReasonLineTooLong, md[selfaudit.LokiMetaReason])

	// Other events carry neither key.
	md = metaMap(enc.entries(makeLogs(testEvent(2, "acme")))[0].meta)
	assert.NotContains(t, md, selfaudit.LokiMetaEventTime)
	assert.NotContains(t, md, selfaudit.LokiMetaReason)
}
