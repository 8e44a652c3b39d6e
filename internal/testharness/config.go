package testharness

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

// LoadConfig reads the section id of the YAML file at path into factory's default config,
// as the collector does, and validates it. The error is the unmarshal error (an unknown key)
// or else the validation error; the config is nil only on an unmarshal error. T is the
// component's config type, such as *Config.
func LoadConfig[T component.Config](t testing.TB, factory component.Factory, path string, id component.ID) (T, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(path)
	require.NoError(t, err)
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := factory.CreateDefaultConfig()
	if err := sub.Unmarshal(cfg); err != nil {
		var zero T
		return zero, err
	}
	typed, ok := cfg.(T)
	require.True(t, ok, "the default config is a %T", cfg)
	return typed, confmap.Validate(cfg)
}
