package auditreportexporter

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// testComponent is the exporter with its default config and the spool in a temporary
// directory.
var testComponent = testharness.Component{
	Create: func(t *testing.T, tel component.TelemetrySettings) (component.Component, error) {
		f := NewFactory()
		cfg := f.CreateDefaultConfig().(*Config)
		cfg.Directory = t.TempDir()
		set := exportertest.NewNopSettings(metadata.Type)
		set.TelemetrySettings = tel
		return f.CreateLogs(context.Background(), set, cfg)
	},
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent)
}
