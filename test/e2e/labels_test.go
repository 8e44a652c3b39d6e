package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// TestInventedEventNamesCannotBlindAnotherTenantsAlerts floods one tenant with invented event
// names, then sends another tenant's failed logins: they must still carry
// category="Authentication", and the failed-login rule's selector
// ({category="Authentication", outcome="failure"} | summary="Login failed") must match them in
// the Loki-protocol store.
func TestInventedEventNamesCannotBlindAnotherTenantsAlerts(t *testing.T) {
	vl := testharness.StartVictoriaLogs(t)
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	config := fmt.Sprintf(`
extensions:
  audit_auth:
    tokens:
      - {name: acme-writer, token: %[3]s, tenants: ["%[5]s"]}
      - {name: globex-writer, token: %[4]s, tenants: ["%[6]s"]}
receivers:
  otlp:
    protocols:
      http: {endpoint: %[1]s, auth: {authenticator: audit_auth}}
processors:
  audit_normalizer:
    default_tenant: "%[7]s"
    quarantine_tenant: "%[7]s"
exporters:
  audit_loki:
    endpoint: %[2]s
    push_path: /insert/loki/api/v1/push
    dead_letter: {path: ./data/dead_letter.jsonl}
    labels: {max_values_per_label: 20}
    sending_queue: {batch: {flush_timeout: 100ms}}
service:
  extensions: [audit_auth]
  telemetry: {metrics: {level: none}}
  pipelines:
    logs:
      receivers: [otlp]
      processors: [audit_normalizer]
      exporters: [audit_loki]
`, httpAddr, vl.BaseURL, acmeToken, globexToken, acmeTenant, globexTenant, quarantineTenant)
	StartCollector(t, config, httpAddr)

	send := func(token string, ld plog.Logs) {
		t.Helper()
		body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, postWith(t, "http://"+httpAddr+"/v1/logs", "application/x-protobuf", token, body))
	}
	records := func(n int, fill func(i int, lr plog.LogRecord)) plog.Logs {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", "lms")
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i := range n {
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
			lr.Attributes().PutStr("user.email", "user@example.com")
			fill(i, lr)
		}
		return ld
	}

	// globex invents 300 event names ("c0.x", "c1.x", ...), each of which would once have
	// become a category of its own.
	send(globexToken, records(300, func(i int, lr plog.LogRecord) {
		lr.SetEventName(fmt.Sprintf("c%d.x", i))
		lr.Attributes().PutStr("event.id", fmt.Sprintf("flood-%d", i))
	}))
	const failed = 25
	send(acmeToken, records(failed, func(i int, lr plog.LogRecord) {
		lr.SetEventName("user.login")
		lr.Attributes().PutStr("event.outcome", "failure")
		lr.Attributes().PutStr("event.id", fmt.Sprintf("failed-login-%d", i))
	}))

	// The ruler rule's selector, in LogsQL: stream labels and structured metadata are fields.
	const selector = `category:="Authentication" outcome:="failure" summary:="Login failed"`
	require.Eventually(t, func() bool {
		return len(vl.Query(t, selector, map[string]string{"AccountID": acmeTenant})) == failed
	}, 60*time.Second, 500*time.Millisecond, "acme's failed logins are not all selectable")

	categories := map[string]int{}
	for _, row := range vl.Query(t, "*", map[string]string{"AccountID": globexTenant}) {
		categories[row["category"]]++
	}
	assert.Equal(t, map[string]int{"Other": 300}, categories, "invented names are not categories")
}
