package auditreportexporter

import (
	"context"
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
	if d, ok := m.Data.(metricdata.Sum[int64]); ok {
		for _, dp := range d.DataPoints {
			if dp.Attributes.Equals(&want) {
				return dp.Value
			}
		}
	}
	t.Fatalf("%s has no point with %v", name, attrs)
	return 0
}

// TestSpoolTelemetry: stored, duplicate and rejected events are counted through the
// collector's telemetry.
func TestSpoolTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := exportertestSettings()
	set.TelemetrySettings = tel.NewTelemetrySettings()
	exp := startExporter(t, set, openSpool(t))
	assert.Equal(t, int64(0), sumOf(t, tel, "otelcol_audit_report_spool_rejected", attribute.String("reason", "not_normalized")), "pre-created")

	ev := mkEvent("acme", "e1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC))
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(ev, ev, mkEvent("", "no-tenant", ev.at))))
	assert.Equal(t, int64(1), sumOf(t, tel, "otelcol_audit_report_spool_events"))
	assert.Equal(t, int64(1), sumOf(t, tel, "otelcol_audit_report_spool_duplicates"))
	assert.Equal(t, int64(1), sumOf(t, tel, "otelcol_audit_report_spool_rejected", attribute.String("reason", "not_normalized")))
}
