package auditeventsextension

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// testComponent is the extension with its default config.
var testComponent = testharness.Component{
	Create: func(_ *testing.T, tel component.TelemetrySettings) (component.Component, error) {
		f := NewFactory()
		set := extensiontest.NewNopSettings(metadata.Type)
		set.TelemetrySettings = tel
		return f.Create(context.Background(), set, f.CreateDefaultConfig())
	},
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent)
}
