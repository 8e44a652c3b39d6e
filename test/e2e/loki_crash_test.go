package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// TestLokiCrashLosesNoAcknowledgedEvent runs the built collector with the audit_loki exporter
// and a file_storage persistent queue. Events are sent while the sink is down, the collector
// is killed with SIGKILL and restarted, and then the sink (VictoriaLogs, which speaks Loki's
// push protocol) comes up: every event the receiver acknowledged must arrive.
func TestLokiCrashLosesNoAcknowledgedEvent(t *testing.T) {
	vlPort := testharness.FreePort(t)
	httpAddr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	config := fmt.Sprintf(`
extensions:
  file_storage/queue:
    directory: ./data/queue
    create_directory: true
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  audit_loki:
    endpoint: http://127.0.0.1:%d
    push_path: /insert/loki/api/v1/push
    timeout: 2s
    dead_letter:
      path: ./data/dead_letter.jsonl
    retry_on_failure:
      initial_interval: 100ms
      max_interval: 500ms
      max_elapsed_time: 0s
    sending_queue:
      storage: file_storage/queue
      sizer: items
      queue_size: 100000
      batch:
        flush_timeout: 1s
        sizer: bytes
        min_size: 262144
        max_size: 1048576
service:
  extensions: [file_storage/queue]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [audit_loki]
`, httpAddr, vlPort)
	col := StartCollector(t, config, httpAddr)

	const batches, perBatch = 20, 25
	acked := map[string]bool{}
	for b := 0; b < batches; b++ {
		ids, err := postAuditEvents(httpAddr, b, perBatch)
		require.NoError(t, err, "batch %d", b)
		for _, id := range ids {
			acked[id] = true
		}
	}
	require.Len(t, acked, batches*perBatch)

	col.Kill()
	col.Start()
	vl := testharness.StartVictoriaLogsOnPort(t, vlPort)

	var seen map[string]int
	require.Eventually(t, func() bool {
		seen = map[string]int{}
		for _, row := range vl.Query(t, "*", map[string]string{"AccountID": crashTenant}) {
			seen[row["event_id"]]++
		}
		return len(seen) >= len(acked)
	}, 90*time.Second, 500*time.Millisecond, "acknowledged events did not all arrive: %d of %d", len(seen), len(acked))

	duplicates := 0
	for id := range acked {
		assert.Contains(t, seen, id, "acknowledged event %s was lost", id)
	}
	for _, c := range seen {
		duplicates += c - 1
	}
	// At-least-once: a batch in flight when the process died may be sent again; Loki drops
	// such exact duplicates, VictoriaLogs keeps them, so they are reported, not failed.
	t.Logf("delivered %d distinct events, %d duplicates", len(seen), duplicates)

	dead, err := os.ReadFile(filepath.Join(col.Dir(), "data", "dead_letter.jsonl"))
	require.NoError(t, err)
	assert.Empty(t, dead, "no event was refused")
}

// crashTenant is a Loki tenant id that VictoriaLogs also accepts as an AccountID.
const crashTenant = "42"

// postAuditEvents sends n normalised audit records over OTLP/HTTP and returns their event ids
// once the collector acknowledged them.
func postAuditEvents(addr string, batch, n int) ([]string, error) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "crash-test")
	sl := rl.ScopeLogs().AppendEmpty()
	ids := make([]string, 0, n)
	now := time.Now()
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("crash-%03d-%03d", batch, i)
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Millisecond)))
		lr.Body().SetStr(fmt.Sprintf("alice@example.com logged in (%s)", id))
		a := lr.Attributes()
		a.PutStr(audit.AttrEventID, id)
		// VictoriaLogs reads X-Scope-OrgID as its numeric AccountID.
		a.PutStr(audit.AttrTenant, crashTenant)
		a.PutStr(audit.AttrAuthor, "alice@example.com")
		a.PutStr(audit.AttrCategory, audit.CategoryAuthentication)
		a.PutStr(audit.AttrSummary, audit.SummaryLogin)
		a.PutStr(audit.AttrOutcome, audit.OutcomeSuccess)
		ids = append(ids, id)
	}
	body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
	if err != nil {
		return nil, err
	}
	resp, err := http.Post("http://"+addr+"/v1/logs", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("otlp receiver answered %d", resp.StatusCode)
	}
	return ids, nil
}
