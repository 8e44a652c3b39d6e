package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// Tenant ids that VictoriaLogs also accepts as AccountIDs, so that each lands in its own
// VictoriaLogs tenant just as it would in its own Loki tenant.
const (
	acmeTenant       = "1001"
	globexTenant     = "1002"
	quarantineTenant = "1999"
	acmeToken        = "acme-token-0123456789abcdef"
	globexToken      = "globex-token-0123456789abcdef"
)

// TestTenantsCannotWriteEachOther runs two identities, each trying to write into the other's
// tenant over OTLP gRPC, OTLP/HTTP and every webhook endpoint, and checks what lands in each
// tenant of the Loki-protocol store and of the report spool: nothing in the wrong tenant.
func TestTenantsCannotWriteEachOther(t *testing.T) {
	vl := testharness.StartVictoriaLogs(t)
	grpcAddr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	hookAddr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	config := fmt.Sprintf(`
extensions:
  audit_auth:
    tokens:
      - {name: acme-writer, token: %[5]s, tenants: ["%[7]s"]}
      - {name: globex-writer, token: %[6]s, tenants: ["%[8]s"]}
  audit_reporter:
    directory: ./data/reporter
    source: {spool: {directory: ./data/audit_report}}
receivers:
  otlp:
    protocols:
      grpc: {endpoint: %[1]s, auth: {authenticator: audit_auth}}
      http: {endpoint: %[2]s, auth: {authenticator: audit_auth}, middlewares: [{id: audit_auth}]}
  audit_webhook:
    server: {endpoint: %[3]s, auth: {authenticator: audit_auth}, middlewares: [{id: audit_auth}]}
processors:
  audit_normalizer:
    default_tenant: "%[9]s"
    quarantine_tenant: "%[9]s"
exporters:
  audit_loki:
    endpoint: %[4]s
    push_path: /insert/loki/api/v1/push
    dead_letter: {path: ./data/dead_letter.jsonl}
    sending_queue: {batch: {flush_timeout: 100ms}}
  audit_report:
    reporter: audit_reporter
service:
  extensions: [audit_auth, audit_reporter]
  telemetry: {metrics: {level: none}}
  pipelines:
    logs:
      receivers: [otlp, audit_webhook]
      processors: [audit_normalizer]
      exporters: [audit_loki, audit_report]
`, grpcAddr, httpAddr, hookAddr, vl.BaseURL, acmeToken, globexToken, acmeTenant, globexTenant, quarantineTenant)
	col := StartCollector(t, config, hookAddr)

	// sent[id] is the tenant of the identity that sent the event.
	sent := map[string]string{}
	for _, attacker := range []struct{ token, own, victim string }{
		{acmeToken, acmeTenant, globexTenant},
		{globexToken, globexTenant, acmeTenant},
	} {
		prefix := "from-" + attacker.own
		ld := claimingLogs(prefix+"-grpc", attacker.victim)
		conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		require.NoError(t, err)
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+attacker.token)
		_, err = plogotlp.NewGRPCClient(conn).Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
		require.NoError(t, err)
		conn.Close()
		sent[prefix+"-grpc"] = attacker.own

		body, err := plogotlp.NewExportRequestFromLogs(claimingLogs(prefix+"-http", attacker.victim)).MarshalProto()
		require.NoError(t, err)
		code := postWith(t, "http://"+httpAddr+"/v1/logs", "application/x-protobuf", attacker.token, body)
		require.Equal(t, http.StatusOK, code)
		sent[prefix+"-http"] = attacker.own

		for endpoint, payload := range webhookClaims(prefix, attacker.victim) {
			code := postWith(t, "http://"+hookAddr+"/webhook/"+endpoint, "application/json", attacker.token, []byte(payload))
			require.Equal(t, http.StatusOK, code, "webhook %s", endpoint)
			sent[prefix+"-"+endpoint] = attacker.own
		}
	}
	// Without a token nothing is accepted at all.
	assert.Equal(t, http.StatusUnauthorized, postWith(t, "http://"+httpAddr+"/v1/logs", "application/x-protobuf", "", []byte{}))
	assert.Equal(t, http.StatusUnauthorized, postWith(t, "http://"+hookAddr+"/webhook/generic", "application/json", "", []byte(`{}`)))

	// Every event lands in its sender's tenant or in quarantine, never in the victim's.
	landed := map[string]string{}
	require.Eventually(t, func() bool {
		for _, tenant := range []string{acmeTenant, globexTenant, quarantineTenant} {
			for _, row := range vl.Query(t, "*", map[string]string{"AccountID": tenant}) {
				for id := range sent {
					if strings.HasPrefix(row["event_id"], id) || strings.Contains(row["_msg"], id) {
						landed[id] = tenant
					}
				}
			}
		}
		return len(landed) == len(sent)
	}, 60*time.Second, 500*time.Millisecond, "events did not all arrive: %v", landed)
	for id, own := range sent {
		assert.Contains(t, []string{own, quarantineTenant}, landed[id], "%s landed in another tenant", id)
	}
	assert.Equal(t, quarantineTenant, landed["from-"+acmeTenant+"-grpc"], "an OTLP claim of a foreign tenant is quarantined")
	assert.Equal(t, quarantineTenant, landed["from-"+globexTenant+"-http"])

	// The report spool keeps the same separation.
	col.Stop()
	sp, err := spool.Open(filepath.Join(col.Dir(), "data", "audit_report", "spool.db"), spool.Options{})
	require.NoError(t, err)
	defer sp.Close()
	for _, tenant := range []string{acmeTenant, globexTenant} {
		require.NoError(t, sp.Scan(context.Background(), tenant, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), func(e audit.Row) error {
			for id, own := range sent {
				if strings.HasPrefix(e.EventID, id) || strings.Contains(e.Description, id) {
					assert.Equal(t, own, tenant, "%s is in the spool of tenant %s", id, tenant)
				}
			}
			return nil
		}))
	}
}

// claimingLogs is one semconv login whose resource claims tenant.
func claimingLogs(id, tenant string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "lms")
	rl.Resource().Attributes().PutStr("tenant.id", tenant)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
	lr.SetEventName("user.login")
	lr.Attributes().PutStr("event.id", id)
	lr.Attributes().PutStr("audit.tenant", tenant)
	lr.Attributes().PutStr("user.email", "mallory@example.com")
	return ld
}

// webhookClaims are payloads for each endpoint that name the victim's tenant wherever the
// vendor's format has a tenant field.
func webhookClaims(prefix, victim string) map[string]string {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	ms := time.Now().UnixMilli()
	return map[string]string{
		"generic": fmt.Sprintf(`{"event_type":"user.login","actor":"mallory@example.com","id":%q,"tenant":%q,"tenant_id":%q,"audit.tenant":%q,"timestamp":%q}`,
			prefix+"-generic", victim, victim, victim, now),
		"okta": fmt.Sprintf(`{"data":{"events":[{"uuid":%q,"eventType":"user.session.start","published":%q,"actor":{"alternateId":"mallory@example.com"},"outcome":{"result":"SUCCESS"}}]}}`,
			prefix+"-okta", now),
		"kubernetes": fmt.Sprintf(`{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":%q,"stage":"ResponseComplete","verb":"get","user":{"username":"mallory"},"objectRef":{"resource":"secrets","namespace":%q,"name":"x"},"responseStatus":{"code":200},"requestReceivedTimestamp":%q,"stageTimestamp":%q}]}`,
			prefix+"-kubernetes", victim, now, now),
		"cloudtrail": fmt.Sprintf(`{"Records":[{"eventVersion":"1.08","eventID":%q,"eventTime":%q,"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","recipientAccountId":%q,"userIdentity":{"type":"IAMUser","userName":"mallory","accountId":%q},"responseElements":{"ConsoleLogin":"Success"},"sourceIPAddress":"203.0.113.9"}]}`,
			prefix+"-cloudtrail", now, victim, victim),
		"github": fmt.Sprintf(`[{"_document_id":%q,"action":"org.add_member","actor":"mallory","org":%q,"@timestamp":%d}]`,
			prefix+"-github", victim, ms),
	}
}

func postWith(t *testing.T, url, contentType, token string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}
