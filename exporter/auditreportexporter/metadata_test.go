package auditreportexporter

import (
	"testing"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestMetadata(t *testing.T) {
	c := testComponent(t)
	testharness.CheckMetadata(t, "metadata.yaml", testharness.Metadata{
		Type:      metadata.Type,
		Stability: map[string]component.StabilityLevel{"logs": metadata.LogsStability},
		ScopeName: metadata.ScopeName,
		NewTelemetryBuilder: func(set component.TelemetrySettings) error {
			_, err := metadata.NewTelemetryBuilder(set)
			return err
		},
		Component: &c,
	})
}
