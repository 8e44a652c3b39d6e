package auditnormalizerprocessor

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor/internal/metadata"
)

// testComponent is the processor with its default config.
var testComponent = testharness.Component{
	Create: func(_ *testing.T, tel component.TelemetrySettings) (component.Component, error) {
		f := NewFactory()
		set := processortest.NewNopSettings(metadata.Type)
		set.TelemetrySettings = tel
		return f.CreateLogs(context.Background(), set, f.CreateDefaultConfig(), consumertest.NewNop())
	},
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent)
}
