package auditeventsreceiver

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver/internal/metadata"
)

func loadConfig(t *testing.T, file, name string) (*Config, error) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg.(*Config), confmap.Validate(cfg)
}

func TestConfig(t *testing.T) {
	cfg, err := loadConfig(t, "config.yaml", "")
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)
	cfg, err = loadConfig(t, "config.yaml", "exports")
	require.NoError(t, err)
	assert.Equal(t, component.MustNewIDWithName("audit_events", "exports"), cfg.Extension)
	_, err = loadConfig(t, "config_typo.yaml", "")
	require.ErrorContains(t, err, "extention")
	require.ErrorContains(t, (&Config{}).Validate(), "extension:")
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
}
