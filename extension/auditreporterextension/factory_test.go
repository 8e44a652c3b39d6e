package auditreporterextension

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	assert.Equal(t, metadata.ExtensionStability, f.Stability())
}

// TestLifecycle runs the extension as the collector does: the scheduler goroutine, the
// spool open for the exporter while it runs, and a clean shutdown.
func TestLifecycle(t *testing.T) {
	f := NewFactory()
	cfg := dailyConfig(t.TempDir())
	ext, err := f.Create(context.Background(), nopSettings(), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	sp, err := ext.(*reporter).Spool()
	require.NoError(t, err)
	row := mkEvent("acme", "e1", time.Now()).row()
	res, err := sp.Append(context.Background(), []audit.Row{row})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Stored)
	require.NoError(t, ext.Shutdown(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()), "twice")

	// Restart on the same directory: the event is there, once.
	ext2, err := f.Create(context.Background(), nopSettings(), cfg)
	require.NoError(t, err)
	require.NoError(t, ext2.Start(context.Background(), componenttest.NewNopHost()))
	sp, err = ext2.(*reporter).Spool()
	require.NoError(t, err)
	res, err = sp.Append(context.Background(), []audit.Row{row})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Duplicates)
	require.NoError(t, ext2.Shutdown(context.Background()))
}

func TestCreateRefusesInvalidReport(t *testing.T) {
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].Schedule = "nope"
	_, err := NewFactory().Create(context.Background(), nopSettings(), cfg)
	assert.ErrorContains(t, err, "reports::0: schedule")
}
