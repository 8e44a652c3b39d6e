package auditnormalizerprocessor

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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

func newTestNormalizer(t *testing.T, mutate func(*Config)) *normalizer {
	t.Helper()
	cfg := mappingConfig()
	if mutate != nil {
		mutate(cfg)
	}
	n, err := newNormalizer(cfg)
	require.NoError(t, err)
	return n
}

func attr(t *testing.T, lr plog.LogRecord, key string) string {
	t.Helper()
	v, ok := lr.Attributes().Get(key)
	if !ok {
		return ""
	}
	return v.AsString()
}

func otelRecord(eventName string, attrs map[string]any) plog.LogRecord {
	lr := plog.NewLogRecord()
	lr.SetEventName(eventName)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(testNow.Add(-time.Hour)))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
	_ = lr.Attributes().FromRaw(attrs)
	return lr
}

func TestTenantPrecedence(t *testing.T) {
	n := newTestNormalizer(t, nil)
	githubBody := func(lr plog.LogRecord) {
		_ = lr.Body().SetEmptyMap().FromRaw(map[string]any{"action": "org.add_member", "actor": "a", "org": "from-source", "_document_id": "d1"})
	}
	tests := []struct {
		name     string
		resource map[string]any
		attrs    map[string]any
		want     string
	}{
		{"resource first", map[string]any{"tenant.id": "res"}, map[string]any{"tenant.id": "rec"}, "res"},
		{"resource audit.tenant", map[string]any{"audit.tenant": "res2"}, nil, "res2"},
		{"record attribute", nil, map[string]any{"tenant.id": "rec"}, "rec"},
		{"source tenant", nil, nil, "from-source"},
		{"empty resource value skipped", map[string]any{"tenant.id": ""}, nil, "from-source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := plog.NewLogRecord()
			githubBody(lr)
			require.NoError(t, lr.Attributes().FromRaw(tt.attrs))
			res := pcommon.NewMap()
			require.NoError(t, res.FromRaw(tt.resource))
			r := n.normalizeRecord(res, lr, nil)
			assert.Equal(t, tt.want, r.Tenant)
			assert.Equal(t, tt.want, attr(t, lr, audit.AttrTenant))
		})
	}
	lr := otelRecord("user.login", map[string]any{"user.id": "u1"})
	assert.Equal(t, "default", n.normalizeRecord(pcommon.NewMap(), lr, nil).Tenant)
}

func TestTenantQuarantine(t *testing.T) {
	n := newTestNormalizer(t, func(c *Config) { c.QuarantineTenant = "held" })
	tests := map[string]struct {
		tenant string
		reason string
	}{
		"pipe":      {"a|b", quarantineInvalidChar},
		"slash":     {"../etc", quarantineInvalidChar},
		"dots":      {"..", quarantineDots},
		"too long":  {strings.Repeat("t", 151), quarantineTooLong},
		"non ascii": {"tenañt", quarantineInvalidChar},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			lr := otelRecord("user.login", map[string]any{"user.id": "u1", "tenant.id": tt.tenant})
			r := n.normalizeRecord(pcommon.NewMap(), lr, nil)
			assert.Equal(t, "held", r.Tenant)
			assert.Equal(t, tt.reason, r.Quarantine)
			assert.Equal(t, "held", attr(t, lr, audit.AttrTenant))
			assert.Equal(t, cleanString(tt.tenant, maxNameLen), attr(t, lr, audit.AttrTenantOriginal))
		})
	}
}

func TestTimeRules(t *testing.T) {
	n := newTestNormalizer(t, nil)
	keycloak := func(ms any) plog.LogRecord {
		lr := plog.NewLogRecord()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(testNow.Add(-2 * time.Hour)))
		_ = lr.Body().SetEmptyMap().FromRaw(map[string]any{"type": "LOGIN", "realmId": "r", "id": "i", "userId": "u", "time": ms})
		return lr
	}
	t.Run("event time wins", func(t *testing.T) {
		lr := keycloak(float64(testNow.Add(-time.Minute).UnixMilli()))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, testNow.Add(-time.Minute), lr.Timestamp().AsTime())
		assert.Equal(t, testNow, lr.ObservedTimestamp().AsTime())
		assert.Empty(t, attr(t, lr, audit.AttrTimeFallback))
	})
	t.Run("seconds where milliseconds are expected", func(t *testing.T) {
		lr := keycloak(testNow.Add(-time.Minute).Unix())
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, testNow.Add(-time.Minute), lr.Timestamp().AsTime(), "the unit is read from the magnitude")
		assert.Empty(t, attr(t, lr, audit.AttrTimeFallback))
	})
	t.Run("far future", func(t *testing.T) {
		lr := keycloak(float64(testNow.Add(48 * time.Hour).UnixMilli()))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, testNow, lr.Timestamp().AsTime())
		assert.Equal(t, "true", attr(t, lr, audit.AttrTimeFallback))
		assert.Equal(t, audit.ReasonUnreadableTime, attr(t, lr, audit.AttrUnmappedReason))
	})
	t.Run("zero observed takes the original timestamp", func(t *testing.T) {
		lr := keycloak("not a time")
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, testNow.Add(-2*time.Hour), lr.ObservedTimestamp().AsTime())
		assert.Equal(t, testNow.Add(-2*time.Hour), lr.Timestamp().AsTime())
		assert.Equal(t, "true", attr(t, lr, audit.AttrTimeFallback))
	})
	t.Run("zero observed and timestamp take now", func(t *testing.T) {
		lr := keycloak(nil)
		lr.SetTimestamp(0)
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, testNow, lr.ObservedTimestamp().AsTime())
		assert.Equal(t, testNow, lr.Timestamp().AsTime())
	})
}

func TestKubernetesEventIDPerStage(t *testing.T) {
	n := newTestNormalizer(t, nil)
	ids := map[string]string{}
	for _, stage := range []string{"RequestReceived", "ResponseStarted", "ResponseComplete", "Panic"} {
		lr := plog.NewLogRecord()
		_ = lr.Body().SetEmptyMap().FromRaw(map[string]any{"auditID": "abc", "verb": "get", "stage": stage, "user": map[string]any{"username": "u"}})
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		ids[stage] = attr(t, lr, audit.AttrEventID)
	}
	assert.Equal(t, map[string]string{
		"RequestReceived":  "abc/RequestReceived",
		"ResponseStarted":  "abc/ResponseStarted",
		"ResponseComplete": "abc",
		"Panic":            "abc/Panic",
	}, ids)
}

func TestHashedEventIDIsDeterministic(t *testing.T) {
	n := newTestNormalizer(t, nil)
	mk := func() plog.LogRecord {
		return otelRecord("course.completed", map[string]any{"user.id": "u1", "course.id": "c1"})
	}
	a, b := mk(), mk()
	b.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow.Add(time.Hour))) // re-delivered later
	n.normalizeRecord(pcommon.NewMap(), a, nil)
	n.normalizeRecord(pcommon.NewMap(), b, nil)
	assert.True(t, strings.HasPrefix(attr(t, a, audit.AttrEventID), "h-"))
	assert.Equal(t, attr(t, a, audit.AttrEventID), attr(t, b, audit.AttrEventID))

	c := otelRecord("course.completed", map[string]any{"user.id": "u1", "course.id": "c2"})
	n.normalizeRecord(pcommon.NewMap(), c, nil)
	assert.NotEqual(t, attr(t, a, audit.AttrEventID), attr(t, c, audit.AttrEventID))
}

func TestStringBodyMatchesMapBody(t *testing.T) {
	n := newTestNormalizer(t, nil)
	payload := `{"eventVersion":"1.09","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","eventTime":"2026-11-25T07:45:12Z","eventID":"e1","recipientAccountId":"123456789012","userIdentity":{"type":"IAMUser","userName":"alice"},"responseElements":{"ConsoleLogin":"Failure"},"sourceIPAddress":"203.0.113.9"}`
	s := plog.NewLogRecord()
	s.Body().SetStr(payload)
	m := plog.NewLogRecord()
	parsed, ok := parseJSONObject(payload)
	require.True(t, ok)
	parsed.CopyTo(m.Body().SetEmptyMap())
	n.normalizeRecord(pcommon.NewMap(), s, nil)
	n.normalizeRecord(pcommon.NewMap(), m, nil)
	for _, k := range []string{audit.AttrAuthor, audit.AttrCategory, audit.AttrSummary, audit.AttrOutcome, audit.AttrTenant, audit.AttrEventID, audit.AttrDescription, audit.AttrClientAddress} {
		assert.Equal(t, attr(t, m, k), attr(t, s, k), k)
	}
	assert.Equal(t, "alice failed to log in from 203.0.113.9 via ConsoleLogin", s.Body().Str())
	assert.Equal(t, audit.SummaryLoginFailed, attr(t, s, audit.AttrSummary))
	assert.Equal(t, payload, attr(t, s, audit.AttrOriginal))
}

func TestPinnedProfile(t *testing.T) {
	// A payload that would be detected as GitHub is mapped as generic when config pins it.
	n := newTestNormalizer(t, func(c *Config) {
		c.Profile = audit.SourceGeneric
		c.Generic.EventName = "action"
		c.Generic.Author = "actor"
	})
	lr := plog.NewLogRecord()
	_ = lr.Body().SetEmptyMap().FromRaw(map[string]any{"action": "repo.create", "actor": "a", "org": "o"})
	r := n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, audit.SourceGeneric, r.Source)
	assert.Equal(t, "default", r.Tenant)

	// An audit.source attribute wins over the configured profile.
	lr = plog.NewLogRecord()
	_ = lr.Body().SetEmptyMap().FromRaw(map[string]any{"action": "repo.create", "actor": "a", "org": "o"})
	lr.Attributes().PutStr(audit.AttrSource, audit.SourceGitHub)
	r = n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, audit.SourceGitHub, r.Source)
	assert.Equal(t, "o", r.Tenant)
}

func TestSemconvOutcomes(t *testing.T) {
	n := newTestNormalizer(t, nil)
	tests := []struct {
		attrs   map[string]any
		outcome string
		summary string
	}{
		{map[string]any{"user.id": "u", "event.outcome": "failure"}, audit.OutcomeFailure, audit.SummaryLoginFailed},
		{map[string]any{"user.id": "u", "error.type": "timeout"}, audit.OutcomeFailure, audit.SummaryLoginFailed},
		{map[string]any{"user.id": "u", "http.response.status_code": int64(401)}, audit.OutcomeFailure, audit.SummaryLoginFailed},
		{map[string]any{"user.id": "u", "http.response.status_code": int64(200)}, audit.OutcomeSuccess, audit.SummaryLogin},
		{map[string]any{"user.id": "u"}, audit.OutcomeUnknown, audit.SummaryLogin},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			lr := otelRecord("user.login", tt.attrs)
			r := n.normalizeRecord(pcommon.NewMap(), lr, nil)
			assert.Equal(t, tt.outcome, r.Outcome)
			assert.Equal(t, tt.summary, r.Summary)
			assert.Equal(t, audit.CategoryAuthentication, r.Category)
		})
	}
}

func TestNeverDropsOddInput(t *testing.T) {
	n := newTestNormalizer(t, nil)
	bodies := []func(pcommon.Value){
		func(v pcommon.Value) {},
		func(v pcommon.Value) { v.SetStr("") },
		func(v pcommon.Value) { v.SetStr("{not json") },
		func(v pcommon.Value) { v.SetStr("[1,2,3]") },
		func(v pcommon.Value) { v.SetInt(42) },
		func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte{0, 1, 2}) },
		func(v pcommon.Value) { v.SetEmptySlice().AppendEmpty().SetStr("x") },
		func(v pcommon.Value) {
			_ = v.SetEmptyMap().FromRaw(map[string]any{"eventType": 7, "actor": "not a map", "uuid": []any{1}})
		},
		func(v pcommon.Value) {
			_ = v.SetEmptyMap().FromRaw(map[string]any{"auditID": map[string]any{}, "verb": 3, "sourceIPs": "x", "objectRef": []any{}})
		},
		func(v pcommon.Value) {
			_ = v.SetEmptyMap().FromRaw(map[string]any{"eventName": strings.Repeat("E", 1<<20), "eventSource": 1, "userIdentity": "root"})
		},
	}
	for i, set := range bodies {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			lr := plog.NewLogRecord()
			set(lr.Body())
			assert.NotPanics(t, func() { n.normalizeRecord(pcommon.NewMap(), lr, nil) })
			assert.NotEmpty(t, lr.Body().Str())
			assert.NotEmpty(t, attr(t, lr, audit.AttrEventID))
			assert.LessOrEqual(t, len(attr(t, lr, audit.AttrAction)), maxNameLen)
		})
	}
}

func TestTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := mappingConfig()
	cfg.Metrics.MaxTenants = 2
	p, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)

	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, tenant := range []string{"t1", "t2", "t3", "t4"} {
		lr := lrs.AppendEmpty()
		_ = lr.Attributes().FromRaw(map[string]any{"tenant.id": tenant, "user.id": "u", "event.outcome": "failure"})
		lr.SetEventName("user.login")
	}
	lrs.AppendEmpty().Body().SetStr("plain text")
	bad := lrs.AppendEmpty()
	bad.SetEventName("user.logout")
	bad.Attributes().PutStr("tenant.id", "a|b")
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
	set2 := func(kv ...string) attribute.Distinct {
		var attrs []attribute.KeyValue
		for i := 0; i < len(kv); i += 2 {
			attrs = append(attrs, attribute.String(kv[i], kv[i+1]))
		}
		s := attribute.NewSet(attrs...)
		return s.Equivalent()
	}
	records := sum("otelcol_audit_normalizer_records")
	assert.Equal(t, int64(5), records[set2("source", "otel", "result", "mapped")])
	assert.Equal(t, int64(1), records[set2("source", "none", "result", "fallback")])
	assert.Equal(t, int64(0), records[set2("source", "okta", "result", "mapped")], "pre-created at zero")

	unmapped := sum("otelcol_audit_normalizer_unmapped")
	assert.Equal(t, int64(1), unmapped[set2("reason", audit.ReasonUnparsableBody)])
	assert.Equal(t, int64(1), unmapped[set2("reason", audit.ReasonNoAuthor)])
	assert.Equal(t, int64(0), unmapped[set2("reason", audit.ReasonNoProfile)])

	quarantined := sum("otelcol_audit_normalizer_tenant_quarantined")
	assert.Equal(t, int64(1), quarantined[set2("reason", quarantineInvalidChar)])

	failed := sum("otelcol_audit_failed_logins")
	assert.Equal(t, map[attribute.Distinct]int64{
		set2("tenant", "t1"):     1,
		set2("tenant", "t2"):     1,
		set2("tenant", "_other"): 2,
	}, failed)

	events := sum("otelcol_audit_events")
	assert.Equal(t, int64(2), events[set2("tenant", "_other", "category", "Authentication", "outcome", "failure")])
	assert.Equal(t, int64(1), events[set2("tenant", "_other", "category", "Authentication", "outcome", "unknown")])
	assert.Equal(t, int64(1), events[set2("tenant", "_other", "category", "Other", "outcome", "unknown")])
	require.NoError(t, p.Shutdown(context.Background()))
}

// TestDetectVendor checks that every vendor's golden input is detected from its keys alone.
func TestDetectVendor(t *testing.T) {
	profiles := newProfileSet(mappingConfig())
	detect := func(m pcommon.Map) string {
		if p := profiles.detect(m); p >= 0 {
			return profileNames[p]
		}
		return ""
	}
	for _, c := range goldenCases {
		if c.mode != "" || c.config != "" || c.expected != "" || !strings.Contains(c.input, "/") {
			continue
		}
		dir := strings.Split(c.input, "/")[0]
		if dir == "edge" {
			continue
		}
		t.Run(c.input, func(t *testing.T) {
			lr := buildInput(t, c).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
			assert.Equal(t, dir, detect(unwrapEnvelope(lr.Body().Map())))
		})
	}
	assert.Empty(t, detect(pcommon.NewMap()))
}

// TestChooseProfile covers the precedence of audit.source, the profile setting and detection.
func TestChooseProfile(t *testing.T) {
	okta := map[string]any{"eventType": "user.session.start", "actor": map[string]any{"alternateId": "a"}, "uuid": "u1"}
	tests := []struct {
		name      string
		profile   string
		source    string
		body      map[string]any
		attrs     map[string]any
		eventName string
		want      string
		fromAttrs bool
	}{
		{name: "detected in the body", body: okta, want: audit.SourceOkta},
		{name: "audit.source wins over detection", source: audit.SourceKeycloak, body: okta, want: audit.SourceKeycloak},
		{name: "audit.source wins over the setting", profile: audit.SourceGitHub, source: audit.SourceKeycloak, body: okta, want: audit.SourceKeycloak},
		{name: "setting wins over detection", profile: audit.SourceGitHub, body: okta, want: audit.SourceGitHub},
		{name: "unknown audit.source is ignored", source: "nope", body: okta, want: audit.SourceOkta},
		{name: "conventional generic still detects vendors", source: audit.SourceGeneric, body: okta, want: audit.SourceOkta},
		{name: "conventional generic maps the rest", source: audit.SourceGeneric, body: map[string]any{"what": 1}, want: audit.SourceGeneric},
		{name: "detected in the attributes", attrs: okta, want: audit.SourceOkta, fromAttrs: true},
		{name: "pinned vendor reads the attributes", profile: audit.SourceOkta, attrs: okta, want: audit.SourceOkta, fromAttrs: true},
		{name: "otel from the event name", eventName: "user.login", want: audit.SourceOTel},
		{name: "nothing to detect", body: map[string]any{"what": 1}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newTestNormalizer(t, func(c *Config) {
				if tt.profile != "" {
					c.Profile = tt.profile
				}
			})
			lr := plog.NewLogRecord()
			lr.SetEventName(tt.eventName)
			if tt.body != nil {
				require.NoError(t, lr.Body().SetEmptyMap().FromRaw(tt.body))
			}
			require.NoError(t, lr.Attributes().FromRaw(tt.attrs))
			if tt.source != "" {
				lr.Attributes().PutStr(audit.AttrSource, tt.source)
			}
			raw := readRawEvent(lr)
			got := ""
			if p := n.chooseProfile(&raw, lr); p >= 0 {
				got = profileNames[p]
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.fromAttrs, raw.srcIsAttrs)
		})
	}
}
