package auditreporterextension

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func sumOf(t *testing.T, tel *componenttest.Telemetry, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	require.NoError(t, err, name)
	want := attribute.NewSet(attrs...)
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			if dp.Attributes.Equals(&want) {
				return dp.Value
			}
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			if dp.Attributes.Equals(&want) {
				return dp.Value
			}
		}
	}
	t.Fatalf("%s has no point with %v", name, attrs)
	return 0
}

// TestTelemetryAndOutbox: with no smtp, the report is written to the outbox; the run and the
// last-success time are reported through the collector's telemetry.
func TestTelemetryAndOutbox(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	cfg := dailyConfig(t.TempDir())
	set := nopSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e, err := newReporter(cfg, set)
	require.NoError(t, err)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	e.now, e.startLoop = clock.Now, false
	require.NoError(t, e.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = e.Shutdown(context.Background()) })

	h := &harness{t: t, exp: e, clock: clock}
	h.consume(mkEvent("acme", "e1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	fire := clock.Now()

	report := attribute.String("report", "daily")
	assert.Equal(t, int64(1), sumOf(t, tel, "otelcol_audit_report_runs", report, attribute.String("result", "success")))
	assert.Equal(t, int64(0), sumOf(t, tel, "otelcol_audit_report_runs", report, attribute.String("result", "failure")), "pre-created")
	assert.Equal(t, fire.Unix(), sumOf(t, tel, "otelcol_audit_report_last_success_timestamp", report))

	outbox := filepath.Join(cfg.Directory, outboxDir)
	eml, err := os.ReadFile(filepath.Join(outbox, "daily.acme.20260101T000000Z@otelcol-audit.eml"))
	require.NoError(t, err)
	assert.Contains(t, string(eml), "Message-ID: <daily.acme.20260101T000000Z@otelcol-audit>")
	csvCopy, err := os.ReadFile(filepath.Join(outbox, "daily.acme.20260101T000000Z@otelcol-audit", "daily_acme_2026-01-01.csv"))
	require.NoError(t, err)
	rows := parseCSV(t, csvCopy)
	require.Len(t, rows, 1)
	assert.True(t, strings.HasPrefix(rows[0][0], "2026-01-01T13:00:00"))
}
