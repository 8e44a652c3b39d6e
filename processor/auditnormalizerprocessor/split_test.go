package auditnormalizerprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor/internal/metadata"
)

// Body kinds of an envelope test input, besides modeMap and modeString.
const modeSlice = "slice" // the JSON array is the record's slice body

func envelopeData(t testing.TB, file string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "envelope", file))
	require.NoError(t, err)
	return data
}

// decodeAll decodes every JSON value of data, in order, as the webhook receiver does.
func decodeAll(t testing.TB, data []byte) []any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, convertNumbers(v))
	}
}

// setEnvelopeBody puts data in the body as mode says.
func setEnvelopeBody(t testing.TB, body pcommon.Value, data []byte, mode string) {
	t.Helper()
	switch mode {
	case modeString:
		body.SetStr(string(data))
	case modeMap, modeSlice:
		values := decodeAll(t, data)
		require.Len(t, values, 1)
		require.NoError(t, body.FromRaw(values[0]))
	default:
		t.Fatalf("unknown mode %q", mode)
	}
}

// envelopeRecord fills lr with the metadata a split must copy onto every event.
func envelopeRecord(lr plog.LogRecord) {
	lr.SetTimestamp(pcommon.NewTimestampFromTime(testNow.Add(-time.Minute)))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")
	lr.SetFlags(plog.DefaultLogRecordFlags.WithIsSampled(true))
	lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	lr.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	lr.SetDroppedAttributesCount(2)
	lr.Attributes().PutStr("cloud.region", "eu-west-1")
	lr.Attributes().PutStr("log.file.name", "batch.json.gz")
}

// TestSplitEqualsOneRecordPerEvent checks that a record whose body is an envelope of events
// comes out exactly as the events would, each sent as its own record with the same
// metadata: same attributes, times, trace context, in order.
func TestSplitEqualsOneRecordPerEvent(t *testing.T) {
	key := func(path ...string) func(t testing.TB, data []byte) []any {
		return func(t testing.TB, data []byte) []any {
			var v any = decodeAll(t, data)[0]
			for _, k := range path {
				v = v.(map[string]any)[k]
			}
			return v.([]any)
		}
	}
	array := func(t testing.TB, data []byte) []any { return decodeAll(t, data)[0].([]any) }
	sequence := decodeAll

	tests := []struct {
		file    string
		modes   []string
		events  func(testing.TB, []byte) []any
		sources []string
		ids     []string
	}{
		{
			file: "azure_records_mixed.json", modes: []string{modeMap, modeString}, events: key("records"),
			// An AKS kube-audit record in the list is opened as usual.
			sources: []string{audit.SourceAzure, audit.SourceKubernetes, audit.SourceAzure},
			ids:     []string{"d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a", "6a7b8c9d-0e1f-4a2b-3c4d-5e6f7a8b9c0d", ""},
		},
		{
			file: "cloudtrail_records.json", modes: []string{modeMap, modeString}, events: key("Records"),
			sources: []string{audit.SourceCloudTrail, audit.SourceCloudTrail},
		},
		{
			file: "k8s_eventlist.json", modes: []string{modeMap, modeString}, events: key("items"),
			sources: []string{audit.SourceKubernetes, audit.SourceKubernetes},
		},
		{
			file: "okta_event_hook.json", modes: []string{modeMap, modeString}, events: key("data", "events"),
			sources: []string{audit.SourceOkta, audit.SourceOkta},
		},
		{
			file: "github_page.json", modes: []string{modeSlice, modeString}, events: array,
			sources: []string{audit.SourceGitHub, audit.SourceGitHub, audit.SourceGitHub},
			ids:     []string{"bEzRQ1yvKqZ8o7LSr2fOmQ", "Kq9xW3cC1b5dYpPz0aT7Lw", "sMfM2lE1fbbd26w7n0eBdg"},
		},
		{
			file: "github_stream.ndjson", modes: []string{modeString}, events: sequence,
			sources: []string{audit.SourceGitHub, audit.SourceGitHub, audit.SourceGitHub},
			ids:     []string{"bEzRQ1yvKqZ8o7LSr2fOmQ", "Kq9xW3cC1b5dYpPz0aT7Lw", "sMfM2lE1fbbd26w7n0eBdg"},
		},
		{
			// Splunk HEC envelopes one after another, as GitHub's Splunk stream posts them.
			file: "github_splunk_hec.txt", modes: []string{modeString}, events: sequence,
			sources: []string{audit.SourceGitHub, audit.SourceGitHub, audit.SourceGitHub},
			ids:     []string{"bEzRQ1yvKqZ8o7LSr2fOmQ", "Kq9xW3cC1b5dYpPz0aT7Lw", "sMfM2lE1fbbd26w7n0eBdg"},
		},
	}
	for _, tt := range tests {
		for _, mode := range tt.modes {
			t.Run(tt.file+"/"+mode, func(t *testing.T) {
				data := envelopeData(t, tt.file)
				in := plog.NewLogs()
				rl := in.ResourceLogs().AppendEmpty()
				rl.Resource().Attributes().PutStr("service.name", "forwarder")
				sl := rl.ScopeLogs().AppendEmpty()
				sl.Scope().SetName("audit-source")
				lr := sl.LogRecords().AppendEmpty()
				envelopeRecord(lr)
				setEnvelopeBody(t, lr.Body(), data, mode)

				want := plog.NewLogs()
				in.ResourceLogs().At(0).Resource().CopyTo(want.ResourceLogs().AppendEmpty().Resource())
				wsl := want.ResourceLogs().At(0).ScopeLogs().AppendEmpty()
				sl.Scope().CopyTo(wsl.Scope())
				events := tt.events(t, data)
				require.Len(t, events, len(tt.sources))
				for _, e := range events {
					one := wsl.LogRecords().AppendEmpty()
					envelopeRecord(one)
					require.NoError(t, one.Body().FromRaw(e))
				}

				cfg := mappingConfig()
				got := runProcessor(t, cfg, in)
				expected := runProcessor(t, cfg, want)
				require.NoError(t, plogtest.CompareLogs(expected, got))

				// lr itself was spent by the split: compare with a fresh copy of its metadata.
				meta := plog.NewLogRecord()
				envelopeRecord(meta)
				recs := got.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
				require.Equal(t, len(tt.sources), recs.Len())
				for i := 0; i < recs.Len(); i++ {
					r := recs.At(i)
					assert.Equal(t, tt.sources[i], attr(t, r, audit.AttrSource), "event %d", i)
					assert.Empty(t, attr(t, r, audit.AttrUnmappedReason), "event %d", i)
					if i < len(tt.ids) && tt.ids[i] != "" {
						assert.Equal(t, tt.ids[i], attr(t, r, audit.AttrEventID), "event %d", i)
					}
					orig, ok := r.Attributes().Get(audit.AttrOriginal)
					require.True(t, ok)
					assert.Equal(t, events[i], orig.AsRaw(), "audit.original is the event, not the envelope")
					assert.Equal(t, "eu-west-1", attr(t, r, "cloud.region"))
					assert.Equal(t, meta.TraceID(), r.TraceID())
					assert.Equal(t, meta.SpanID(), r.SpanID())
					assert.Equal(t, meta.Flags(), r.Flags())
					assert.Equal(t, "INFO", r.SeverityText())
					assert.Equal(t, uint32(2), r.DroppedAttributesCount())
					assert.Equal(t, pcommon.NewTimestampFromTime(testNow), r.ObservedTimestamp())
				}

				// Normalising the split records again changes nothing.
				again := plog.NewLogs()
				got.CopyTo(again)
				assert.NoError(t, plogtest.CompareLogs(got, runProcessor(t, cfg, again)))
			})
		}
	}
}

// TestSplitInPlace checks that the events of an envelope take its place among the scope's
// records, that other scopes and records are left as they were, and that an id on the
// envelope's record is kept by a lone event only.
func TestSplitInPlace(t *testing.T) {
	entry := func(action string, ms int64) any {
		// No _document_id: the event id is hashed from the event.
		return map[string]any{"action": action, "actor": "octocat", "org": "acme", "@timestamp": ms}
	}
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	otelRecord("user.login", map[string]any{"user.id": "first"}).CopyTo(lrs.AppendEmpty())
	batch := lrs.AppendEmpty()
	envelopeRecord(batch)
	batch.Attributes().PutStr(audit.AttrEventID, "batch-1")
	require.NoError(t, batch.Body().FromRaw([]any{entry("org.add_member", 1764061200000), entry("repo.create", 1764061201000)}))
	otelRecord("user.logout", map[string]any{"user.id": "last"}).CopyTo(lrs.AppendEmpty())
	lone := lrs.AppendEmpty()
	lone.Attributes().PutStr(audit.AttrEventID, "lone-1")
	require.NoError(t, lone.Body().FromRaw([]any{entry("team.create", 1764061202000)}))
	other := rl.ScopeLogs().AppendEmpty().LogRecords()
	otelRecord("user.login", map[string]any{"user.id": "other-scope"}).CopyTo(other.AppendEmpty())

	out := runProcessor(t, mappingConfig(), ld)
	got := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	require.Equal(t, 5, got.Len())
	var summary []string
	for i := 0; i < got.Len(); i++ {
		summary = append(summary, attr(t, got.At(i), audit.AttrSource)+" "+attr(t, got.At(i), audit.AttrAction))
	}
	assert.Equal(t, []string{"otel user.login", "github org.add_member", "github repo.create", "otel user.logout", "github team.create"}, summary)
	assert.Equal(t, "first", attr(t, got.At(0), "user.id"))
	assert.Equal(t, "last", attr(t, got.At(3), "user.id"))

	id1, id2 := attr(t, got.At(1), audit.AttrEventID), attr(t, got.At(2), audit.AttrEventID)
	assert.True(t, strings.HasPrefix(id1, "h-"), id1)
	assert.True(t, strings.HasPrefix(id2, "h-"), id2)
	assert.NotEqual(t, id1, id2, "the envelope's id is not copied onto each of its events")
	assert.Equal(t, "lone-1", attr(t, got.At(4), audit.AttrEventID), "a lone event keeps the record's id")

	otherOut := out.ResourceLogs().At(0).ScopeLogs().At(1).LogRecords()
	require.Equal(t, 1, otherOut.Len())
	assert.Equal(t, "other-scope", attr(t, otherOut.At(0), "user.id"))
}

// TestNotAnEnvelope lists bodies that look like envelopes but are not split: each stays one
// record, mapped as before.
func TestNotAnEnvelope(t *testing.T) {
	okta := map[string]any{"eventType": "user.session.start", "actor": map[string]any{"alternateId": "a@example.com"}, "uuid": "u1"}
	github := map[string]any{"action": "repo.create", "actor": "octocat", "org": "acme", "_document_id": "d1"}
	jsonText := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	tests := []struct {
		name   string
		body   func(pcommon.Value)
		attrs  map[string]any
		source string
		reason string
	}{
		{
			name:   "Records beside other keys: an event, not a delivery file",
			body:   func(v pcommon.Value) { _ = v.FromRaw(map[string]any{"Records": []any{okta, okta}, "eventName": "x"}) },
			reason: audit.ReasonNoProfile,
		},
		{
			name: "data.events without the event hook type",
			body: func(v pcommon.Value) {
				_ = v.FromRaw(map[string]any{"data": map[string]any{"events": []any{okta, okta}}})
			},
			reason: audit.ReasonNoProfile,
		},
		{
			name: "an EventList that is not of the audit API",
			body: func(v pcommon.Value) {
				_ = v.FromRaw(map[string]any{"kind": "EventList", "apiVersion": "v1", "items": []any{okta, okta}})
			},
			reason: audit.ReasonNoProfile,
		},
		{
			name:   "an empty envelope",
			body:   func(v pcommon.Value) { _ = v.FromRaw(map[string]any{"records": []any{}}) },
			reason: audit.ReasonNoProfile,
		},
		{
			name:   "an envelope holding a non-object",
			body:   func(v pcommon.Value) { _ = v.FromRaw(map[string]any{"records": []any{okta, "x"}}) },
			reason: audit.ReasonNoProfile,
		},
		{
			name:   "an array of events of two profiles",
			body:   func(v pcommon.Value) { v.SetStr(jsonText([]any{okta, github})) },
			reason: audit.ReasonUnparsableBody,
		},
		{
			name:   "a slice body holding a non-object",
			body:   func(v pcommon.Value) { _ = v.FromRaw([]any{okta, "x"}) },
			reason: audit.ReasonUnparsableBody,
		},
		{
			name: "an array of objects no profile detects",
			body: func(v pcommon.Value) {
				_ = v.FromRaw([]any{map[string]any{"a": int64(1)}, map[string]any{"b": int64(2)}})
			},
			reason: audit.ReasonUnparsableBody,
		},
		{
			name:   "an array pinned to the otel profile, which reads the record",
			body:   func(v pcommon.Value) { _ = v.FromRaw([]any{okta, okta}) },
			attrs:  map[string]any{audit.AttrSource: audit.SourceOTel, "event.name": "user.login", "user.id": "u"},
			source: audit.SourceOTel,
		},
		{
			name: "a log line whose prefix opens with a bracket",
			body: func(v pcommon.Value) {
				v.SetStr(`[2026-11-25 10:15:00] INFO {"id":"k1","time":1764065700001,"type":"LOGIN","realmId":"learning","userId":"u1","details":{"username":"ada"}}`)
			},
			source: audit.SourceKeycloak,
		},
		{
			name:   "one broken object is not a sequence",
			body:   func(v pcommon.Value) { v.SetStr(`{"action":"repo.create"} trailing`) },
			reason: audit.ReasonUnparsableBody,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ld := plog.NewLogs()
			lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
			lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
			tt.body(lr.Body())
			require.NoError(t, lr.Attributes().FromRaw(tt.attrs))
			input := pcommon.NewValueEmpty()
			lr.Body().CopyTo(input)

			out := runProcessor(t, mappingConfig(), ld)
			require.Equal(t, 1, out.LogRecordCount())
			got := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			if tt.source != "" {
				assert.Equal(t, tt.source, attr(t, got, audit.AttrSource))
			}
			assert.Equal(t, tt.reason, attr(t, got, audit.AttrUnmappedReason))
			orig, ok := got.Attributes().Get(audit.AttrOriginal)
			require.True(t, ok)
			assert.Equal(t, input.AsRaw(), orig.AsRaw())
		})
	}
}

// TestEnvelopeTooLarge checks the bound: an envelope of more events than
// max_events_per_record stays one record, unmapped with envelope_too_large and the envelope
// kept whole, whatever its shape; one of exactly the bound is split.
func TestEnvelopeTooLarge(t *testing.T) {
	tests := []struct {
		file  string
		modes []string
	}{
		{"azure_records_mixed.json", []string{modeMap, modeString}},
		{"github_page.json", []string{modeSlice, modeString}},
		{"github_stream.ndjson", []string{modeString}},
		{"github_splunk_hec.txt", []string{modeString}},
	}
	for _, tt := range tests {
		for _, mode := range tt.modes {
			t.Run(tt.file+"/"+mode, func(t *testing.T) {
				for _, bound := range []int{2, 3} {
					ld := plog.NewLogs()
					lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
					lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
					lr.Attributes().PutStr(audit.AttrSource, audit.SourceGeneric)
					setEnvelopeBody(t, lr.Body(), envelopeData(t, tt.file), mode)
					input := pcommon.NewValueEmpty()
					lr.Body().CopyTo(input)

					cfg := mappingConfig()
					cfg.MaxEventsPerRecord = bound
					out := runProcessor(t, cfg, ld)
					if bound == 3 {
						assert.Equal(t, 3, out.LogRecordCount(), "an envelope of exactly the bound is split")
						continue
					}
					require.Equal(t, 1, out.LogRecordCount())
					got := out.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
					assert.Equal(t, audit.ReasonEnvelopeTooLarge, attr(t, got, audit.AttrUnmappedReason))
					assert.Equal(t, "Other", attr(t, got, audit.AttrCategory))
					assert.Equal(t, summaryUnknown, attr(t, got, audit.AttrSummary))
					assert.Equal(t, "Unrecognised audit event", got.Body().Str())
					assert.Equal(t, "true", attr(t, got, audit.AttrTimeFallback))
					assert.NotEmpty(t, attr(t, got, audit.AttrEventID))
					orig, ok := got.Attributes().Get(audit.AttrOriginal)
					require.True(t, ok)
					assert.Equal(t, input.AsRaw(), orig.AsRaw(), "the envelope is kept whole")
				}
			})
		}
	}
}

// TestEnvelopeTelemetry checks the envelopes counter and the envelope_too_large reason.
func TestEnvelopeTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := mappingConfig()
	cfg.MaxEventsPerRecord = 2
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)

	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	setEnvelopeBody(t, lrs.AppendEmpty().Body(), envelopeData(t, "cloudtrail_records.json"), modeMap)
	setEnvelopeBody(t, lrs.AppendEmpty().Body(), envelopeData(t, "okta_event_hook.json"), modeString)
	setEnvelopeBody(t, lrs.AppendEmpty().Body(), envelopeData(t, "github_page.json"), modeString)
	require.NoError(t, p.ConsumeLogs(context.Background(), ld))

	sum := func(name string) map[attribute.Distinct]int64 {
		m, err := tel.GetMetric(name)
		require.NoError(t, err)
		out := map[attribute.Distinct]int64{}
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			out[dp.Attributes.Equivalent()] = dp.Value
		}
		return out
	}
	label := func(k, v string) attribute.Distinct {
		s := attribute.NewSet(attribute.String(k, v))
		return s.Equivalent()
	}
	envelopes := sum("otelcol_audit_normalizer_envelopes")
	assert.Equal(t, int64(1), envelopes[label("envelope", "cloudtrail_records")])
	assert.Equal(t, int64(1), envelopes[label("envelope", "okta_event_hook")])
	assert.Equal(t, int64(0), envelopes[label("envelope", envelopeJSONArray)], "three events, beyond the bound: not split")
	assert.Len(t, envelopes, len(envelopeLabels), "every label pre-created")
	assert.Equal(t, int64(1), sum("otelcol_audit_normalizer_unmapped")[label("reason", audit.ReasonEnvelopeTooLarge)])

	records := sum("otelcol_audit_normalizer_records")
	rec := func(source, result string) attribute.Distinct {
		s := attribute.NewSet(attribute.String("source", source), attribute.String("result", result))
		return s.Equivalent()
	}
	assert.Equal(t, int64(2), records[rec(audit.SourceCloudTrail, resultMapped)])
	assert.Equal(t, int64(2), records[rec(audit.SourceOkta, resultMapped)])
	assert.Equal(t, int64(1), records[rec(sourceNone, resultFallback)])
	require.NoError(t, p.Shutdown(context.Background()))
}

// TestHashedIDOfJSONText checks that an event without an id of its own gets one id whether it
// arrives as a map or as JSON text, however the text is spaced and its keys ordered.
func TestHashedIDOfJSONText(t *testing.T) {
	n := newTestNormalizer(t, nil)
	delivery := map[string]any{
		"action": "added", "member": map[string]any{"login": "monalisa", "id": int64(2)},
		"organization": map[string]any{"login": "acme-corp"}, "sender": map[string]any{"login": "octocat", "id": int64(583231)},
	}
	ids := map[string]string{}
	for name, set := range map[string]func(pcommon.Value){
		"map": func(v pcommon.Value) { _ = v.FromRaw(delivery) },
		"compact": func(v pcommon.Value) {
			v.SetStr(`{"action":"added","member":{"login":"monalisa","id":2},"organization":{"login":"acme-corp"},"sender":{"login":"octocat","id":583231}}`)
		},
		"reordered": func(v pcommon.Value) {
			v.SetStr("{\n  \"sender\": {\"id\": 583231, \"login\": \"octocat\"},\n  \"organization\": {\"login\": \"acme-corp\"},\n  \"member\": {\"id\": 2, \"login\": \"monalisa\"},\n  \"action\": \"added\"\n}")
		},
	} {
		lr := plog.NewLogRecord()
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
		set(lr.Body())
		r := n.normalizeRecord(pcommon.NewMap(), lr, nil)
		require.Equal(t, audit.SourceGitHub, r.Source, name)
		ids[name] = attr(t, lr, audit.AttrEventID)
	}
	assert.True(t, strings.HasPrefix(ids["map"], "h-"))
	assert.Equal(t, ids["map"], ids["compact"])
	assert.Equal(t, ids["map"], ids["reordered"])
}

func TestCountObjects(t *testing.T) {
	tests := []struct {
		s     string
		open  byte
		limit int
		want  int
	}{
		{`[{"a":{"b":1}},{"c":[{"d":2}]}]`, '[', 10, 2},
		{`[{"a":"{[\"}"},{}]`, '[', 10, 2},
		{`[1, "x", {}]`, '[', 10, 1},
		{`[INFO] {"a":1}`, '[', 10, 0},
		{`[{},{},{},{}]`, '[', 2, 3},
		{"{\"a\":1}\n{\"b\":{}}\n", '{', 10, 2},
		{`{"a":1}{"b":2}{"c":3}`, '{', 10, 3},
		{`{"a":1}}`, '{', 10, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, countObjects(tt.s, tt.open, tt.limit), tt.s)
	}
}

func TestDecodeObjects(t *testing.T) {
	for _, tt := range []struct {
		s    string
		open byte
		n    int
		ok   bool
	}{
		{`[{"a":1},{"b":9007199254740993}]`, '[', 2, true},
		{"{\"a\":1}\n\n{\"b\":2}\n", '{', 2, true},
		{`[{"a":1},2]`, '[', 1, false},
		{`[{"a":1},null]`, '[', 1, false},
		{`[{"a":1}] trailing`, '[', 1, false},
		{`[{"a":1}`, '[', 1, false},
		{`{"a":1} x`, '{', 1, false},
	} {
		list, ok := decodeObjects(tt.s, tt.open, tt.n)
		assert.Equal(t, tt.ok, ok, tt.s)
		if ok {
			assert.Equal(t, tt.n, list.Len(), tt.s)
		}
	}
	list, ok := decodeObjects(`[{"big":9007199254740993}]`, '[', 1)
	require.True(t, ok)
	big, _ := list.At(0).Map().Get("big")
	assert.Equal(t, int64(9007199254740993), big.Int(), "integers keep every digit")
}

// Many small envelopes in one batch add at most max_split_events_per_batch records; the rest
// are normalised whole, with the reason envelope_too_large.
func TestSplitBudgetPerBatch(t *testing.T) {
	cfg := mappingConfig()
	cfg.MaxSplitEventsPerBatch = 5
	sink := new(consumertest.LogsSink)
	p := newTestProcessor(t, cfg, sink)
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range 4 {
		lrs.AppendEmpty().Body().SetStr(`{"Records":[{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","userIdentity":{"userName":"a"}},{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","userIdentity":{"userName":"b"}}]}`)
	}
	require.NoError(t, p.ConsumeLogs(context.Background(), ld))
	out := sink.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
	tooLarge := 0
	for i := 0; i < out.Len(); i++ {
		if v, ok := out.At(i).Attributes().Get(audit.AttrUnmappedReason); ok && v.Str() == audit.ReasonEnvelopeTooLarge {
			tooLarge++
		}
	}
	assert.Equal(t, 2*2+2, out.Len(), "two envelopes split, two kept whole")
	assert.Equal(t, 2, tooLarge)
}
