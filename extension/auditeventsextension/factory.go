package auditeventsextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension/internal/metadata"
)

const defaultBufferSize = 10000

// NewFactory returns the factory of the audit_events extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, createExtension, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	return &Config{BufferSize: defaultBufferSize}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newHub(set.TelemetrySettings, cfg.(*Config))
}
