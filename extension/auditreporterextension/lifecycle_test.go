package auditreporterextension

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// testComponent is the extension with its default config in a temporary directory.
var testComponent = testharness.Component{
	Create: func(t *testing.T, tel component.TelemetrySettings) (component.Component, error) {
		f := NewFactory()
		cfg := f.CreateDefaultConfig().(*Config)
		cfg.Directory = t.TempDir()
		set := extensiontest.NewNopSettings(metadata.Type)
		set.TelemetrySettings = tel
		return f.Create(context.Background(), set, cfg)
	},
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent)
}
