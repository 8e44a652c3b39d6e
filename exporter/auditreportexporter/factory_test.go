package auditreportexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
}

// TestLifecycle runs the exporter as the collector does: the scheduler goroutine, a
// synchronous ConsumeLogs that returns after the spool commit, and a clean shutdown.
func TestLifecycle(t *testing.T) {
	f := NewFactory()
	cfg := dailyConfig(t.TempDir())
	set := exportertest.NewNopSettings(metadata.Type)
	exp, err := f.CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	assert.False(t, exp.Capabilities().MutatesData)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(mkEvent("acme", "e1", time.Now()))))
	require.NoError(t, exp.Shutdown(context.Background()))
	require.NoError(t, exp.Shutdown(context.Background()), "twice")

	// Restart on the same directory: the event is there, once.
	exp2, err := f.CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp2.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp2.ConsumeLogs(context.Background(), toLogs(mkEvent("acme", "e1", time.Now()))))
	require.NoError(t, exp2.Shutdown(context.Background()))
}

func TestShutdownWithoutStartViaFactory(t *testing.T) {
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), dailyConfig(t.TempDir()))
	require.NoError(t, err)
	assert.NoError(t, exp.Shutdown(context.Background()))
}

func TestCreateRefusesInvalidReport(t *testing.T) {
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].Schedule = "nope"
	_, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	assert.ErrorContains(t, err, "reports::0: schedule")
}
