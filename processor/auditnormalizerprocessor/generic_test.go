package auditnormalizerprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// genericRecord is a raw JSON event as the webhook receiver's generic endpoint emits it.
func genericRecord(t *testing.T, body map[string]any) plog.LogRecord {
	t.Helper()
	lr := plog.NewLogRecord()
	require.NoError(t, lr.Body().SetEmptyMap().FromRaw(body))
	lr.Attributes().PutStr(audit.AttrSource, audit.SourceGeneric)
	lr.Attributes().PutStr(audit.AttrTenant, "acme")
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	return lr
}

// TestGenericEndpointStillRecognisesVendors: "generic" without configured paths does not pin
// the profile; a Keycloak or GitHub event posted to the generic webhook maps as such.
func TestGenericEndpointStillRecognisesVendors(t *testing.T) {
	n := newTestNormalizer(t, nil)
	now := time.Now().UnixMilli()
	lr := genericRecord(t, map[string]any{
		"time": now, "type": "LOGIN_ERROR", "realmId": "acme", "clientId": "account-console",
		"userId": "8d1f7c1a", "ipAddress": "198.51.100.23", "error": "invalid_user_credentials",
		"details": map[string]any{"username": "alice"}, "id": "5b6c7d8e-1111",
	})
	n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, audit.SourceKeycloak, attr(t, lr, audit.AttrSource))
	assert.Equal(t, "alice", attr(t, lr, audit.AttrAuthor))
	assert.Equal(t, audit.SummaryLoginFailed, attr(t, lr, audit.AttrSummary))
	assert.Equal(t, audit.OutcomeFailure, attr(t, lr, audit.AttrOutcome))
	assert.Equal(t, "5b6c7d8e-1111", attr(t, lr, audit.AttrEventID))
	assert.Equal(t, "acme", attr(t, lr, audit.AttrTenant), "the receiver's tenant wins")

	lr = genericRecord(t, map[string]any{
		"@timestamp": now, "action": "team.add_member", "actor": "octocat", "_document_id": "xJJFlFOhQ6b",
		"org": "octo-corp", "team": "octo-corp/example-team", "user": "monalisa",
	})
	n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, audit.SourceGitHub, attr(t, lr, audit.AttrSource))
	assert.Equal(t, "octocat", attr(t, lr, audit.AttrAuthor))
	assert.Equal(t, "Team member added", attr(t, lr, audit.AttrSummary))
	assert.Equal(t, "acme", attr(t, lr, audit.AttrTenant))
}

// TestGenericConventionalFields: an in-house event with common field names maps without
// configuration, and normalising twice equals once.
func TestGenericConventionalFields(t *testing.T) {
	n := newTestNormalizer(t, nil)
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	lr := genericRecord(t, map[string]any{
		"event_type": "course.completed", "actor": map[string]any{"email": "bob@acme.example", "id": "u-42"},
		"target": map[string]any{"name": "Secure Coding"}, "ip": "203.0.113.9", "outcome": "success",
		"id": "evt-7", "timestamp": at.Format(time.RFC3339),
	})
	n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, audit.SourceGeneric, attr(t, lr, audit.AttrSource))
	assert.Equal(t, "bob@acme.example", attr(t, lr, audit.AttrAuthor))
	assert.Equal(t, "u-42", attr(t, lr, audit.AttrAuthorID))
	assert.Equal(t, "Courses", attr(t, lr, audit.AttrCategory))
	assert.Equal(t, "Course completed", attr(t, lr, audit.AttrSummary))
	assert.Equal(t, "Secure Coding", attr(t, lr, audit.AttrTarget))
	assert.Equal(t, "203.0.113.9", attr(t, lr, audit.AttrClientAddress))
	assert.Equal(t, audit.OutcomeSuccess, attr(t, lr, audit.AttrOutcome))
	assert.Equal(t, "evt-7", attr(t, lr, audit.AttrEventID))
	assert.Equal(t, at, lr.Timestamp().AsTime().UTC())
	_, unmapped := lr.Attributes().Get(audit.AttrUnmappedReason)
	assert.False(t, unmapped)

	once := plog.NewLogRecord()
	lr.CopyTo(once)
	n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, once.Attributes().AsRaw(), lr.Attributes().AsRaw(), "idempotent")
}

// TestArbitraryJSONIsNotTakenForAnAuditEvent: without an event name and an author or id, a
// JSON log line stays unmapped (kept, counted) rather than guessed.
func TestArbitraryJSONIsNotTakenForAnAuditEvent(t *testing.T) {
	n := newTestNormalizer(t, nil)
	lr := plog.NewLogRecord()
	require.NoError(t, lr.Body().SetEmptyMap().FromRaw(map[string]any{"msg": "cache warmed", "level": "info", "type": "cache"}))
	res := n.normalizeRecord(pcommon.NewMap(), lr, nil)
	assert.Equal(t, audit.ReasonNoProfile, res.Reason)
}
