package auditreportexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
}

// TestLifecycle runs the exporter as the collector does: a synchronous ConsumeLogs that
// returns after the spool commit, and a clean shutdown that leaves the reporter's spool open.
func TestLifecycle(t *testing.T) {
	sp := openSpool(t)
	f := NewFactory()
	exp, err := f.CreateLogs(context.Background(), exportertestSettings(), testConfig())
	require.NoError(t, err)
	assert.False(t, exp.Capabilities().MutatesData)
	require.NoError(t, exp.Start(context.Background(), reporterHost(sp)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(mkEvent("acme", "e1", time.Now()))))
	require.NoError(t, exp.Shutdown(context.Background()))
	require.NoError(t, exp.Shutdown(context.Background()), "twice")

	n, err := sp.Count(context.Background(), "acme", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err, "the spool stays open: the reporter closes it")
	assert.Equal(t, 1, n)
}

func TestShutdownWithoutStart(t *testing.T) {
	exp, err := NewFactory().CreateLogs(context.Background(), exportertestSettings(), testConfig())
	require.NoError(t, err)
	assert.NoError(t, exp.Shutdown(context.Background()))
}
