package auditeventsreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver/internal/metadata"
)

func TestConfig(t *testing.T) {
	cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewID(metadata.Type))
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)
	cfg, err = testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewIDWithName(metadata.Type, "exports"))
	require.NoError(t, err)
	assert.Equal(t, component.MustNewIDWithName("audit_events", "exports"), cfg.Extension)
	_, err = testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config_typo.yaml", component.NewID(metadata.Type))
	require.ErrorContains(t, err, "extention")
	require.ErrorContains(t, (&Config{}).Validate(), "extension:")
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
}
