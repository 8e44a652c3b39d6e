package auditreporterextension

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestMetadata(t *testing.T) {
	testharness.CheckMetadata(t, "metadata.yaml", testharness.Metadata{
		Type:      metadata.Type,
		Stability: map[string]component.StabilityLevel{"extension": metadata.ExtensionStability},
		ScopeName: metadata.ScopeName,
		NewTelemetryBuilder: func(set component.TelemetrySettings) error {
			_, err := metadata.NewTelemetryBuilder(set)
			return err
		},
		// One report, so that Start creates its run series too.
		Component: &testharness.Component{
			Create: func(t *testing.T, tel component.TelemetrySettings) (component.Component, error) {
				f := NewFactory()
				cfg := f.CreateDefaultConfig().(*Config)
				cfg.Directory = t.TempDir()
				cfg.Reports = []ReportConfig{{Name: "daily", Schedule: "@daily", Tenants: []string{"acme"}, Recipients: []string{"admin@acme.example"}}}
				set := extensiontest.NewNopSettings(metadata.Type)
				set.TelemetrySettings = tel
				return f.Create(context.Background(), set, cfg)
			},
		},
	})
}
