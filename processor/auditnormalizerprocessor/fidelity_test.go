package auditnormalizerprocessor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// mapRecord returns a record whose body is the given map, observed at testNow.
func mapRecord(t *testing.T, body map[string]any) plog.LogRecord {
	t.Helper()
	lr := plog.NewLogRecord()
	require.NoError(t, lr.Body().SetEmptyMap().FromRaw(body))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testNow))
	return lr
}

// An epoch in milliseconds whose last digit is odd: through a float64 scaled to
// nanoseconds it would lose that digit.
const (
	oddMillis = int64(1605719148837)
	oddNanos  = int64(1605719148837000000)
)

func TestEpochMillisStayExact(t *testing.T) {
	n := newTestNormalizer(t, nil)
	github := func(ts any) map[string]any {
		return map[string]any{"@timestamp": ts, "_document_id": "d", "action": "git.clone", "actor": "octocat", "org": "o"}
	}
	keycloak := func(ts any) map[string]any {
		return map[string]any{"time": ts, "type": "LOGIN", "realmId": "r", "id": "i", "userId": "u"}
	}
	for name, body := range map[string]map[string]any{
		"github int":            github(oddMillis),
		"github double":         github(float64(oddMillis)),
		"github digits":         github("1605719148837"),
		"github created_at":     {"created_at": oddMillis, "_document_id": "d", "action": "git.clone", "actor": "octocat", "org": "o"},
		"keycloak int":          keycloak(oddMillis),
		"keycloak digits":       keycloak("1605719148837"),
		"keycloak nanoseconds":  keycloak(oddNanos),
		"keycloak microseconds": keycloak(oddMillis * 1000),
	} {
		t.Run(name, func(t *testing.T) {
			lr := mapRecord(t, body)
			n.normalizeRecord(pcommon.NewMap(), lr, nil)
			assert.Equal(t, oddNanos, int64(lr.Timestamp()))
			assert.Empty(t, attr(t, lr, audit.AttrTimeFallback))
		})
	}
	t.Run("string body", func(t *testing.T) {
		lr := plog.NewLogRecord()
		lr.Body().SetStr(`{"@timestamp":1605719148837,"_document_id":"d","action":"git.clone","actor":"octocat","org":"o"}`)
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, oddNanos, int64(lr.Timestamp()))
	})
}

func TestParseTime(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 30, 0, 123456789, time.UTC)
	tests := []struct {
		name string
		v    any
		want int64
		ok   bool
	}{
		{"seconds", int64(1764063000), 1764063000 * 1e9, true},
		{"milliseconds", oddMillis, oddNanos, true},
		{"microseconds", oddMillis*1000 + 1, oddNanos + 1000, true},
		{"nanoseconds", oddNanos + 7, oddNanos + 7, true},
		{"fractional seconds", "1605719148.837", oddNanos, true},
		{"fractional seconds double", 1605719148.5, 1605719148500000000, true},
		{"digits", "1605719148837", oddNanos, true},
		{"rfc3339 nanoseconds", at.Format(time.RFC3339Nano), at.UnixNano(), true},
		{"space instead of T", "2026-11-25 09:30:00.123456789Z", at.UnixNano(), true},
		{"no zone is UTC", "2026-11-25T09:30:00.123456789", at.UnixNano(), true},
		{"azure seven digits", "2026-11-25T09:30:00.1234567Z", at.Truncate(100).UnixNano(), true},
		{"offset", "2026-11-25T10:30:00.123456789+01:00", at.UnixNano(), true},
		{"zero", int64(0), 0, false},
		{"negative", int64(-5), 0, false},
		{"garbage", "yesterday", 0, false},
		{"empty", "", 0, false},
		{"bool", true, 0, false},
		{"map", map[string]any{"seconds": 1}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			require.NoError(t, v.FromRaw(tt.v))
			got, ok := parseTime(v)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestTimeFallbackOrder(t *testing.T) {
	n := newTestNormalizer(t, nil)
	k8s := func(stage, received any) map[string]any {
		m := map[string]any{"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "a", "verb": "get", "stage": "ResponseComplete", "user": map[string]any{"username": "u"}}
		if stage != nil {
			m["stageTimestamp"] = stage
		}
		if received != nil {
			m["requestReceivedTimestamp"] = received
		}
		return m
	}
	stage, received := "2026-11-25T08:00:00.5Z", "2026-11-25T08:00:00.1Z"
	tests := []struct {
		name     string
		body     map[string]any
		want     string // RFC 3339, "" for the observed time
		reason   string
		fallback bool
	}{
		{"kubernetes stageTimestamp", k8s(stage, received), stage, "", false},
		{"kubernetes requestReceivedTimestamp when stageTimestamp is missing", k8s(nil, received), received, "", false},
		{"kubernetes requestReceivedTimestamp when stageTimestamp is unreadable", k8s("08:00 yesterday", received), received, "", false},
		{"kubernetes both unreadable", k8s("x", "y"), "", audit.ReasonUnreadableTime, true},
		{"kubernetes none", k8s(nil, nil), "", "", true},
		{"github created_at when @timestamp is unreadable", map[string]any{"@timestamp": "x", "created_at": received, "action": "repo.create", "actor": "a", "org": "o"}, received, "", false},
		{"github created_at in RFC 3339", map[string]any{"created_at": received, "action": "repo.create", "actor": "a", "org": "o"}, received, "", false},
		{"okta published as epoch milliseconds", map[string]any{"eventType": "user.session.start", "actor": map[string]any{"alternateId": "a"}, "uuid": "u", "published": int64(1795593600100)}, received, "", false},
		{"okta published unreadable", map[string]any{"eventType": "user.session.start", "actor": map[string]any{"alternateId": "a"}, "uuid": "u", "published": "soon"}, "", audit.ReasonUnreadableTime, true},
		{"cloudtrail eventTime in 1970", map[string]any{"eventName": "CreateUser", "eventSource": "iam.amazonaws.com", "userIdentity": map[string]any{"type": "IAMUser", "userName": "a"}, "eventTime": "1970-01-01T00:00:00Z"}, "", audit.ReasonUnreadableTime, true},
		{"cloudtrail eventTime missing", map[string]any{"eventName": "CreateUser", "eventSource": "iam.amazonaws.com", "userIdentity": map[string]any{"type": "IAMUser", "userName": "a"}}, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := mapRecord(t, tt.body)
			n.normalizeRecord(pcommon.NewMap(), lr, nil)
			want := testNow
			if tt.want != "" {
				var err error
				want, err = time.Parse(time.RFC3339Nano, tt.want)
				require.NoError(t, err)
			}
			assert.Equal(t, want.UnixNano(), int64(lr.Timestamp()))
			assert.Equal(t, tt.reason, attr(t, lr, audit.AttrUnmappedReason))
			if tt.fallback {
				assert.Equal(t, "true", attr(t, lr, audit.AttrTimeFallback))
			} else {
				assert.Empty(t, attr(t, lr, audit.AttrTimeFallback))
			}
		})
	}
}

// TestTimeFallbackNeverEpochZero: with neither an event time, a record time nor an observed
// time, the record gets the clock's time, never 0.
func TestTimeFallbackNeverEpochZero(t *testing.T) {
	n := newTestNormalizer(t, nil)
	lr := plog.NewLogRecord()
	require.NoError(t, lr.Body().SetEmptyMap().FromRaw(map[string]any{"eventType": "user.session.start", "actor": map[string]any{"alternateId": "a"}, "uuid": "u"}))
	n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, testNow, lr.Timestamp().AsTime())
	assert.Equal(t, testNow, lr.ObservedTimestamp().AsTime())
	assert.Equal(t, "true", attr(t, lr, audit.AttrTimeFallback))
}

func TestReadOutcome(t *testing.T) {
	tests := []struct {
		in       any
		want     string
		readable bool
	}{
		{"SUCCESS", audit.OutcomeSuccess, true},
		{"Failure", audit.OutcomeFailure, true},
		{"DENY", audit.OutcomeFailure, true},
		{"CHALLENGE", audit.OutcomeUnknown, true},
		{"Start", audit.OutcomeUnknown, true},
		{"", "", true},
		{nil, "", true},
		{true, audit.OutcomeSuccess, true},
		{false, audit.OutcomeFailure, true},
		{int64(200), audit.OutcomeSuccess, true},
		{int64(403), audit.OutcomeFailure, true},
		{float64(500), audit.OutcomeFailure, true},
		{"401", audit.OutcomeFailure, true},
		{map[string]any{"result": "ALLOW"}, audit.OutcomeSuccess, true},
		{map[string]any{"status": map[string]any{"value": "Succeeded"}}, audit.OutcomeSuccess, true},
		{"banana", audit.OutcomeUnknown, false},
		{int64(7), audit.OutcomeUnknown, false},
		{map[string]any{"colour": "green"}, audit.OutcomeUnknown, false},
		{[]any{"ok"}, audit.OutcomeUnknown, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			require.NoError(t, v.FromRaw(tt.in))
			got, readable := readOutcome(v)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.readable, readable)
		})
	}
}

// TestOutcomeTypeConfusion: an outcome of an unexpected type still maps; one that cannot be
// read is unknown with its reason counted, never silently.
func TestOutcomeTypeConfusion(t *testing.T) {
	n := newTestNormalizer(t, nil)
	okta := func(outcome any) map[string]any {
		return map[string]any{"eventType": "user.session.start", "actor": map[string]any{"alternateId": "a"}, "uuid": "u", "published": "2026-11-25T08:00:00Z", "outcome": outcome}
	}
	tests := []struct {
		name    string
		body    map[string]any
		outcome string
		reason  string
	}{
		{"okta outcome as a string", okta("FAILURE"), audit.OutcomeFailure, ""},
		{"okta outcome as a boolean", okta(true), audit.OutcomeSuccess, ""},
		{"okta result as a boolean", okta(map[string]any{"result": false}), audit.OutcomeFailure, ""},
		{"okta result as an object", okta(map[string]any{"result": map[string]any{"value": "DENY"}}), audit.OutcomeFailure, ""},
		{"okta result unreadable", okta(map[string]any{"result": []any{1}}), audit.OutcomeUnknown, audit.ReasonUnreadableOutcome},
		{"okta without outcome", okta(nil), audit.OutcomeUnknown, ""},
		{"kubernetes code as a string", map[string]any{"auditID": "a", "verb": "get", "user": map[string]any{"username": "u"}, "responseStatus": map[string]any{"code": "403"}}, audit.OutcomeFailure, ""},
		{"kubernetes code as a boolean", map[string]any{"auditID": "a", "verb": "get", "user": map[string]any{"username": "u"}, "responseStatus": map[string]any{"code": true}}, audit.OutcomeSuccess, ""},
		{"gcp status code as a string", map[string]any{"protoPayload": map[string]any{"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "methodName": "m", "serviceName": "s", "authenticationInfo": map[string]any{"principalEmail": "a"}, "status": map[string]any{"code": "7"}}}, audit.OutcomeFailure, ""},
		{"azure resultType as a number", map[string]any{"operationName": "Sign-in activity", "category": "SignInLogs", "tenantId": "t", "resultType": int64(50126), "properties": map[string]any{"userPrincipalName": "a"}}, audit.OutcomeFailure, ""},
		{"azure errorCode as a string", map[string]any{"operationName": "Sign-in activity", "category": "SignInLogs", "tenantId": "t", "properties": map[string]any{"userPrincipalName": "a", "status": map[string]any{"errorCode": "0"}}}, audit.OutcomeSuccess, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := mapRecord(t, tt.body)
			n.normalizeRecord(pcommon.NewMap(), lr, nil)
			assert.Equal(t, tt.outcome, attr(t, lr, audit.AttrOutcome))
			assert.Equal(t, tt.reason, attr(t, lr, audit.AttrUnmappedReason))
		})
	}
}

func TestIPOnly(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":              "203.0.113.9",
		"2001:db8::1":              "2001:db8::1",
		"203.0.113.9:443":          "203.0.113.9",
		"[2001:db8::1]:443":        "2001:db8::1",
		"203.0.113.9, 10.0.0.1":    "203.0.113.9",
		"cloudtrail.amazonaws.com": "",
		"=cmd|' /C calc'!A0":       "",
		"gce-internal-ip":          "",
		"private":                  "",
		"fe80::1%eth0":             "",
		"[fe80::1%eth0]:443":       "",
		"::ffff:192.0.2.1":         "::ffff:192.0.2.1",
		"deadbeef":                 "",
		"[2001:db8::1]":            "",
		"203.0.113.9\n10.0.0.1":    "",
		"":                         "",
	} {
		assert.Equal(t, want, ipOnly(in), in)
	}
}

// TestIdentityFieldsKeepTheirMeaning: a control character never merges two tokens into
// one, and a value that is not an IP address never becomes client.address.
func TestIdentityFieldsKeepTheirMeaning(t *testing.T) {
	n := newTestNormalizer(t, nil)
	author := "alice\n2026-11-25 10:00:00 INFO user=admin"
	lr := mapRecord(t, map[string]any{
		"eventType": "user.lifecycle.deactivate", "uuid": "u", "published": "2026-11-25T08:00:00Z",
		"actor":  map[string]any{"alternateId": author},
		"client": map[string]any{"ipAddress": "=cmd|' /C calc'!A0"},
		"target": []any{map[string]any{"type": "User", "alternateId": "bob\u202e@example.com"}},
	})
	n.normalizeRecord(pcommon.NewMap(), lr, nil)
	got := attr(t, lr, audit.AttrAuthor)
	assert.Equal(t, "alice\ufffd2026-11-25 10:00:00 INFO user=admin", got)
	assert.NotContains(t, got, "alice2026")
	assert.Equal(t, "bob\ufffd@example.com", attr(t, lr, audit.AttrTarget))
	assert.Empty(t, attr(t, lr, audit.AttrClientAddress))
	assert.NotContains(t, lr.Body().Str(), "=cmd")
	orig, ok := lr.Attributes().Get(audit.AttrOriginal)
	require.True(t, ok)
	actor, _ := orig.Map().Get("actor")
	alt, _ := actor.Map().Get("alternateId")
	assert.Equal(t, author, alt.Str(), "the raw value stays in audit.original")
}

func TestKeycloakLogLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		want map[string]any
	}{
		{
			"bare values after a log prefix",
			"2026-11-30 10:00:00,123 WARN [org.keycloak.events] (executor-thread-1) type=LOGIN_ERROR, realmId=acme, clientId=portal, userId=null, ipAddress=203.0.113.9, error=user_not_found, redirect_uri=https://a.example/cb, username=admin",
			map[string]any{"type": "LOGIN_ERROR", "realmId": "acme", "clientId": "portal", "userId": "null", "ipAddress": "203.0.113.9", "error": "user_not_found", "redirect_uri": "https://a.example/cb", "username": "admin"},
		},
		{
			"quoted values, a value with spaces and a comma",
			`type="LOGIN", realmId="acme", clientId="portal", userId="u1", ipAddress="203.0.113.9", consent='no, thanks', username="alice"`,
			map[string]any{"type": "LOGIN", "realmId": "acme", "clientId": "portal", "userId": "u1", "ipAddress": "203.0.113.9", "consent": "no, thanks", "username": "alice"},
		},
		{
			"admin event",
			"operationType=DELETE, realmId=master, clientId=admin-cli, userId=u1, ipAddress=192.0.2.10, resourceType=USER, resourcePath=users/u2",
			map[string]any{"operationType": "DELETE", "realmId": "master", "clientId": "admin-cli", "userId": "u1", "ipAddress": "192.0.2.10", "resourceType": "USER", "resourcePath": "users/u2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := parseKeycloakLogLine(tt.line)
			require.True(t, ok)
			assert.Equal(t, tt.want, m.AsRaw())
		})
	}
	for _, line := range []string{"plain text", "type=cache, size=4", "realmId=acme only", ""} {
		_, ok := parseKeycloakLogLine(line)
		assert.False(t, ok, line)
	}
}

// TestKeycloakUserNotFound: the attempted user name of a failed login is its author, in
// every shape the event arrives in.
func TestKeycloakUserNotFound(t *testing.T) {
	n := newTestNormalizer(t, nil)
	bodies := map[string]func(plog.LogRecord){
		"json": func(lr plog.LogRecord) {
			_ = lr.Body().SetEmptyMap().FromRaw(map[string]any{"type": "LOGIN_ERROR", "realmId": "acme", "userId": nil, "error": "user_not_found", "details": map[string]any{"username": "ghost"}})
		},
		"logging listener": func(lr plog.LogRecord) {
			lr.Body().SetStr("type=LOGIN_ERROR, realmId=acme, clientId=portal, userId=null, ipAddress=203.0.113.9, error=user_not_found, username=ghost")
		},
		"phase two webhook": func(lr plog.LogRecord) {
			_ = lr.Body().SetEmptyMap().FromRaw(map[string]any{"type": "access.LOGIN_ERROR", "realmId": "acme", "uid": "x", "error": "user_not_found", "authDetails": map[string]any{"realmId": "acme", "clientId": "portal"}, "details": map[string]any{"username": "ghost"}})
		},
	}
	for name, set := range bodies {
		t.Run(name, func(t *testing.T) {
			lr := plog.NewLogRecord()
			set(lr)
			n.normalizeRecord(pcommon.NewMap(), lr, nil)
			assert.Equal(t, audit.SourceKeycloak, attr(t, lr, audit.AttrSource))
			assert.Equal(t, "ghost", attr(t, lr, audit.AttrAuthor))
			assert.Equal(t, audit.SummaryLoginFailed, attr(t, lr, audit.AttrSummary))
			assert.Equal(t, audit.CategoryAuthentication, attr(t, lr, audit.AttrCategory))
			assert.Equal(t, audit.OutcomeFailure, attr(t, lr, audit.AttrOutcome))
		})
	}
}

// TestEnvelopes: an envelope with one event maps as that event; one with more is left to
// the receiver that splits it, and stays unmapped rather than being taken for its first event.
func TestEnvelopes(t *testing.T) {
	n := newTestNormalizer(t, nil)
	k8s := `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a1","stage":"ResponseComplete","verb":"delete","user":{"username":"u"},"objectRef":{"resource":"configmaps","namespace":"n","name":"c"},"responseStatus":{"code":200},"stageTimestamp":"2026-11-25T08:00:00Z"}`
	aks := map[string]any{"category": "kube-audit", "operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read", "resourceId": "/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/C", "time": "2026-11-25T08:00:01Z", "properties": map[string]any{"log": k8s, "stream": "stdout"}}
	t.Run("aks", func(t *testing.T) {
		lr := mapRecord(t, aks)
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, audit.SourceKubernetes, attr(t, lr, audit.AttrSource))
		assert.Equal(t, "configmaps.delete", attr(t, lr, audit.AttrAction))
		assert.Equal(t, audit.CategoryInfrastructure, attr(t, lr, audit.AttrCategory))
		assert.Equal(t, "a1", attr(t, lr, audit.AttrEventID))
	})
	t.Run("aks pinned by the receiver", func(t *testing.T) {
		lr := mapRecord(t, map[string]any{"records": []any{aks}})
		lr.Attributes().PutStr(audit.AttrSource, audit.SourceKubernetes)
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, "configmaps.delete", attr(t, lr, audit.AttrAction))
	})
	t.Run("two records", func(t *testing.T) {
		lr := mapRecord(t, map[string]any{"records": []any{aks, aks}})
		res := n.normalizeRecord(pcommon.NewMap(), lr, nil)
		assert.Equal(t, audit.ReasonNoProfile, res.Reason)
	})
	t.Run("aks log that is not json", func(t *testing.T) {
		bad := map[string]any{"category": "kube-audit", "properties": map[string]any{"log": "I1125 08:00:00 not json"}}
		lr := mapRecord(t, bad)
		assert.NotPanics(t, func() { n.normalizeRecord(pcommon.NewMap(), lr, nil) })
		assert.NotEmpty(t, attr(t, lr, audit.AttrEventID))
	})
}

// TestCategoriesStayInTheBuiltinSet feeds names no catalogue knows through every vendor
// profile: the category is always one of the built-in set, the name's own grouping goes to
// audit.category.source.
func TestCategoriesStayInTheBuiltinSet(t *testing.T) {
	n := newTestNormalizer(t, nil)
	bodies := []map[string]any{
		{"action": "c1.x", "actor": "a", "org": "o", "_document_id": "d"},
		{"action": "zz_new_feature.enable", "actor": "a", "org": "o", "_document_id": "d"},
		{"eventType": "brand_new.thing.happened", "actor": map[string]any{"alternateId": "a"}, "uuid": "u"},
		{"auditID": "a", "verb": "patch", "user": map[string]any{"username": "u"}, "objectRef": map[string]any{"resource": "widgets", "apiGroup": "example.com"}},
		{"auditID": "a", "verb": "get", "user": map[string]any{"username": "u"}, "requestURI": "/healthz"},
		{"eventName": "FrobnicateThing", "eventSource": "frobnicator.amazonaws.com", "userIdentity": map[string]any{"type": "Root"}},
		{"eventName": "TagUser", "eventSource": "iam.amazonaws.com", "userIdentity": map[string]any{"type": "Root"}},
		{"type": "SOMETHING_NEW", "realmId": "r", "userId": "u"},
		{"operationType": "ACTION", "resourceType": "SOMETHING_NEW", "authDetails": map[string]any{"userId": "u"}},
		{"protoPayload": map[string]any{"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "methodName": "google.foo.v1.Bar.Baz", "serviceName": "foo.googleapis.com"}},
		{"operationName": "MICROSOFT.FOO/BARS/WRITE", "resourceId": "/subscriptions/s/x", "resultType": "Success", "caller": "a"},
	}
	for i, body := range bodies {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			lr := mapRecord(t, body)
			n.normalizeRecord(pcommon.NewMap(), lr, nil)
			category := attr(t, lr, audit.AttrCategory)
			assert.True(t, audit.IsBuiltinCategory(category), category)
			assert.NotEqual(t, "", attr(t, lr, audit.AttrSource))
		})
	}
	lr := mapRecord(t, bodies[0])
	n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, audit.CategoryOther, attr(t, lr, audit.AttrCategory))
	assert.Equal(t, "C1", attr(t, lr, audit.AttrCategorySource))
}

// TestFailedLoginsAreAuthentication: alert rules select category="Authentication" and the
// summary "Login failed"; every source's failed login must match.
func TestFailedLoginsAreAuthentication(t *testing.T) {
	n := newTestNormalizer(t, nil)
	for _, c := range goldenCases {
		if c.config != "" {
			continue
		}
		lr := buildInput(t, c).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
		n.normalizeRecord(pcommon.NewMap(), lr, nil)
		if attr(t, lr, audit.AttrSummary) == audit.SummaryLoginFailed {
			assert.Equal(t, audit.CategoryAuthentication, attr(t, lr, audit.AttrCategory), c.name())
			assert.Equal(t, audit.OutcomeFailure, attr(t, lr, audit.AttrOutcome), c.name())
		}
		// A failed action reads as failed, never as a success with "(failed …)" appended.
		if attr(t, lr, audit.AttrOutcome) == audit.OutcomeFailure {
			assert.NotContains(t, lr.Body().Str(), "(failed", c.name())
			s := attr(t, lr, audit.AttrSummary)
			assert.True(t, strings.Contains(strings.ToLower(s), "fail") || strings.HasSuffix(s, "denied"), "%s: %q", c.name(), s)
		}
	}
}

// TestPinnedProfilesSurviveForeignPayloads: a record pinned to a profile by audit.source whose
// payload is another source's, or nothing at all, still maps without a panic.
func TestPinnedProfilesSurviveForeignPayloads(t *testing.T) {
	n := newTestNormalizer(t, nil)
	bodies := []map[string]any{
		{},
		{"protoPayload": "x", "properties": 1, "authDetails": "y", "representation": []any{1}, "target": "z", "records": []any{}},
		{"operationName": map[string]any{"value": 3}, "identity": "a", "claims": []any{}, "status": map[string]any{}},
	}
	for _, name := range profileNames {
		for i, body := range bodies {
			t.Run(fmt.Sprint(name, i), func(t *testing.T) {
				lr := mapRecord(t, body)
				lr.Attributes().PutStr(audit.AttrSource, name)
				assert.NotPanics(t, func() { n.normalizeRecord(pcommon.NewMap(), lr, nil) })
				assert.NotEmpty(t, attr(t, lr, audit.AttrEventID))
				assert.True(t, audit.IsBuiltinCategory(attr(t, lr, audit.AttrCategory)))
			})
		}
	}
}
