package auditreportexporter

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestLoadConfig(t *testing.T) {
	cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewID(metadata.Type))
	require.NoError(t, err)
	assert.Equal(t, component.MustNewID("audit_reporter"), cfg.Reporter)

	cfg, err = testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewIDWithName(metadata.Type, "fleet"))
	require.NoError(t, err)
	assert.Equal(t, component.MustNewIDWithName("audit_reporter", "gateway"), cfg.Reporter)
}

// TestConfigTypoNamesTheKey: the scheduler's keys moved to the audit_reporter extension; an
// old key is refused by name.
func TestConfigTypoNamesTheKey(t *testing.T) {
	_, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/typo.yaml", component.NewID(metadata.Type))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "directory")
}

func TestInvalidConfigs(t *testing.T) {
	for name, want := range map[string]string{
		"no_reporter":  "reporter: must be the id of an audit_reporter extension",
		"bad_reporter": "reporter",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/invalid.yaml", component.NewIDWithName(metadata.Type, name))
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
		})
	}
}
