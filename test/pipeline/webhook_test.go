package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver"
)

// startWebhookReceiver starts the audit_webhook receiver (default config, on a free loopback
// port) in front of next and returns its base URL.
func startWebhookReceiver(t *testing.T, next consumer.Logs) string {
	t.Helper()
	f := auditwebhookreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*auditwebhookreceiver.Config)
	addr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	cfg.Server.NetAddr.Endpoint = addr
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, next)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, rcv.Shutdown(context.Background())) })
	return "http://" + addr
}

func post(t *testing.T, url string, body []byte, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// webhookTestdata reads a published vendor payload from the webhook receiver's testdata.
func webhookTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testharness.RepoRoot(), "receiver", "auditwebhookreceiver", "testdata", name))
	require.NoError(t, err)
	return b
}

// normalised is what the audit model says about one event.
type normalised struct {
	author, category, summary, outcome, eventID string
	// unmapped is audit.unmapped_reason, "<absent>" when fully mapped.
	unmapped string
}

const mapped = absent

// TestWebhookThroughNormalizer sends every source's published payload through the
// audit_webhook receiver and the audit_normalizer processor (default config), and checks the
// audit model it comes out as.
func TestWebhookThroughNormalizer(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		file    string
		headers map[string]string
		source  string
		want    []normalised
		// configure adjusts the normaliser's default config.
		configure func(*auditnormalizerprocessor.Config)
	}{
		{"okta", "/webhook/okta", "okta_event_hook.json", nil, audit.SourceOkta, []normalised{
			{"john.doe@example.com", audit.CategoryAuthentication, audit.SummaryLogin, audit.OutcomeSuccess, "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a", mapped},
			{"john.doe@example.com", audit.CategoryAuthentication, audit.SummaryLoginFailed, audit.OutcomeFailure, "e1f3a8a2-598c-11ef-9b2b-7f3cb1c4a111", mapped},
		}, nil},
		{"kubernetes", "/webhook/kubernetes", "k8s_eventlist.json", nil, audit.SourceKubernetes, []normalised{
			{"jane@example.com", audit.CategorySecrets, "Secret created", audit.OutcomeSuccess, "2f4e1d5c-8b7a-4f0e-9c3d-1a2b3c4d5e6f", mapped},
			// responseStatus.code 403: a failure.
			{"system:serviceaccount:default:ci-runner", audit.CategorySecrets, "Secret read failed", audit.OutcomeFailure, "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", mapped},
		}, nil},
		{"cloudtrail", "/webhook/cloudtrail", "cloudtrail_records.json", nil, audit.SourceCloudTrail, []normalised{
			{"Alice", audit.CategoryAuthentication, audit.SummaryLogin, audit.OutcomeSuccess, "fd5e36c7-3d8f-4a2b-8c3e-0f6d2a1b9c8e", mapped},
			// An assumed role is named after its session issuer and session.
			{"Admin/admin-session", audit.CategoryUsers, "User created", audit.OutcomeSuccess, "0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d", mapped},
		}, nil},
		{"eventbridge", "/webhook/cloudtrail", "eventbridge_consolelogin.json", nil, audit.SourceCloudTrail, []normalised{
			// A masked user name (HIDDEN_DUE_TO_SECURITY_REASONS) is not an author.
			{mapped, audit.CategoryAuthentication, audit.SummaryLoginFailed, audit.OutcomeFailure, "3c2b1a09-8f7e-4d6c-b5a4-392817161514", audit.ReasonNoAuthor},
		}, nil},
		{"github stream", "/webhook/github", "github_audit_stream.ndjson", nil, audit.SourceGitHub, []normalised{
			// The audit log has no status field: unknown.
			{"octocat", audit.CategoryUsers, "Member added", audit.OutcomeUnknown, "Xa1b2c3d4e5f6g7h8i9j0k", mapped},
			// repo.* is the repository's content; the action's own group is audit.category.source.
			{"octocat", audit.CategoryContent, "Repository created", audit.OutcomeUnknown, "Yb2c3d4e5f6g7h8i9j0k1l", mapped},
		}, nil},
		{"generic", "/webhook/generic", "generic_object.json", nil, audit.SourceGeneric, []normalised{
			{"ada@example.com", audit.CategoryAuthentication, audit.SummaryLogin, audit.OutcomeSuccess, "evt-1001", mapped},
		}, func(cfg *auditnormalizerprocessor.Config) {
			// Generic events are mapped with the paths the operator configures.
			cfg.Generic = auditnormalizerprocessor.GenericConfig{
				EventName: "event.name", Author: "user.email", Outcome: "outcome", EventID: "id",
				ClientAddress: "client.address", Time: "timestamp", TimeFormat: auditnormalizerprocessor.TimeFormatAuto,
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &consumertest.LogsSink{}
			base := startWebhookReceiver(t, startNormalizer(t, sink, tt.configure))
			code, body := post(t, base+tt.path, webhookTestdata(t, tt.file), tt.headers)
			require.Equal(t, http.StatusOK, code, body)

			recs := records(sink)
			require.Len(t, recs, len(tt.want))
			for i, lr := range recs {
				got := normalised{
					author:   attrStr(lr, audit.AttrAuthor),
					category: attrStr(lr, audit.AttrCategory),
					summary:  attrStr(lr, audit.AttrSummary),
					outcome:  attrStr(lr, audit.AttrOutcome),
					eventID:  attrStr(lr, audit.AttrEventID),
					unmapped: attrStr(lr, audit.AttrUnmappedReason),
				}
				assert.Equal(t, tt.want[i], got, "event %d", i)
				assert.Equal(t, "default", attrStr(lr, audit.AttrTenant))
				assert.Equal(t, tt.source, attrStr(lr, audit.AttrSource), "the receiver's profile is kept")
			}
		})
	}
}

// TestGitHubWebhookThroughNormalizer documents how far the normaliser maps a webhook delivery:
// its github profile reads audit-log entries (action "category.operation", actor,
// _document_id), while a delivery carries X-GitHub-Event (kept as github.event), a bare action
// ("added") and sender.login. The record arrives with the github profile pinned and a hashed
// event id; author and catalogue mapping need the profile to read those fields.
func TestGitHubWebhookThroughNormalizer(t *testing.T) {
	sink := &consumertest.LogsSink{}
	base := startWebhookReceiver(t, startNormalizer(t, sink, nil))
	code, body := post(t, base+"/webhook/github", webhookTestdata(t, "github_webhook_member.json"),
		map[string]string{"X-GitHub-Event": "member", "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"})
	require.Equal(t, http.StatusOK, code, body)
	recs := records(sink)
	require.Len(t, recs, 1)
	assert.Equal(t, audit.SourceGitHub, attrStr(recs[0], audit.AttrSource))
	assert.Equal(t, "member", attrStr(recs[0], "github.event"))
	assert.NotEqual(t, mapped, attrStr(recs[0], audit.AttrEventID))
	assert.Equal(t, audit.OutcomeUnknown, attrStr(recs[0], audit.AttrOutcome))
}
