package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// TestWebhookReceiverEndToEnd runs the distribution with the audit_webhook receiver and feeds
// it the way the sources do: plain HTTP requests with the vendors' payloads and credentials.
func TestWebhookReceiverEndToEnd(t *testing.T) {
	sink := &otlpSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()

	signingKey := []byte("e2e-signing-key-0123456789")
	webhookAddr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	cfg := fmt.Sprintf(`
receivers:
  audit_webhook:
    server:
      endpoint: %s
    generic:
      tenant: apps
      signing_keys:
        - secret: whsec_%s
    okta:
      tenant: acme
      credentials:
        - secret: okta-secret-0123456789
    kubernetes:
      tenant: cluster-e2e
      credentials:
        - secret: k8s-token-0123456789ab
    github:
      webhook_secrets:
        - secret: gh-secret-0123456789ab
          tenant: acme-corp
exporters:
  otlp_http/e2e:
    endpoint: %s
    compression: none
    sending_queue:
      enabled: false
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [audit_webhook]
      exporters: [otlp_http/e2e]
`, webhookAddr, base64.StdEncoding.EncodeToString(signingKey), srv.URL)
	col := StartCollector(t, cfg, webhookAddr)
	base := "http://" + webhookAddr
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	post := func(method, path string, body []byte, headers map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	payload := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(testharness.RepoRoot(), "receiver", "auditwebhookreceiver", "testdata", name))
		require.NoError(t, err)
		return b
	}

	// Okta: the verification handshake, then an event hook.
	code, body := post(http.MethodGet, "/webhook/okta", nil, map[string]string{"Authorization": "okta-secret-0123456789", "X-Okta-Verification-Challenge": "e2e-challenge"})
	require.Equal(t, http.StatusOK, code, body)
	assert.JSONEq(t, `{"verification":"e2e-challenge"}`, body)
	code, body = post(http.MethodPost, "/webhook/okta", payload("okta_event_hook.json"), map[string]string{"Authorization": "wrong"})
	require.Equal(t, http.StatusUnauthorized, code, body)
	code, body = post(http.MethodPost, "/webhook/okta", payload("okta_event_hook.json"), map[string]string{"Authorization": "okta-secret-0123456789"})
	require.Equal(t, http.StatusOK, code, body)

	// Kubernetes: the API server's bearer token from its kubeconfig.
	code, body = post(http.MethodPost, "/webhook/kubernetes", payload("k8s_eventlist.json"), map[string]string{"Authorization": "Bearer k8s-token-0123456789ab"})
	require.Equal(t, http.StatusOK, code, body)

	// Generic: a Standard Webhooks signed NDJSON batch, then its redelivery.
	ndjson := payload("generic.ndjson")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, signingKey)
	mac.Write([]byte("msg_e2e." + ts + "."))
	mac.Write(ndjson)
	signed := map[string]string{"webhook-id": "msg_e2e", "webhook-timestamp": ts, "webhook-signature": "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))}
	code, body = post(http.MethodPost, "/webhook/generic", ndjson, signed)
	require.Equal(t, http.StatusOK, code, body)
	code, _ = post(http.MethodPost, "/webhook/generic", ndjson, signed)
	require.Equal(t, http.StatusOK, code, "a redelivery is acknowledged")
	code, body = post(http.MethodPost, "/webhook/generic", payload("generic_bad_line.ndjson"), nil)
	require.Equal(t, http.StatusUnauthorized, code, body)

	// GitHub: a signed webhook delivery.
	member := payload("github_webhook_member.json")
	gh := hmac.New(sha256.New, []byte("gh-secret-0123456789ab"))
	gh.Write(member)
	code, body = post(http.MethodPost, "/webhook/github", member, map[string]string{
		"X-GitHub-Event": "member", "X-GitHub-Delivery": "d-e2e", "X-Hub-Signature-256": "sha256=" + hex.EncodeToString(gh.Sum(nil)),
	})
	require.Equal(t, http.StatusOK, code, body)

	// With no batch processor and no sending queue, ConsumeLogs returns only once the exporter
	// delivered, and the receiver answers 200 only after that: every record is in the sink now,
	// and a re-emitted redelivery would be too. 2 Okta + 2 Kubernetes + 3 generic + 1 GitHub.
	sink.mu.Lock()
	defer sink.mu.Unlock()
	require.Len(t, sink.records, 8, "collector output:\n%s", col.Output())
	bySource := map[string]map[string]int{}
	for _, lr := range sink.records {
		src, _ := lr.Attributes().Get(audit.AttrSource)
		tenant, _ := lr.Attributes().Get(audit.AttrTenant)
		if bySource[src.Str()] == nil {
			bySource[src.Str()] = map[string]int{}
		}
		bySource[src.Str()][tenant.Str()]++
	}
	assert.Equal(t, map[string]map[string]int{
		audit.SourceOkta:       {"acme": 2},
		audit.SourceKubernetes: {"cluster-e2e": 2},
		audit.SourceGeneric:    {"apps": 3},
		audit.SourceGitHub:     {"acme-corp": 1},
	}, bySource)
}
