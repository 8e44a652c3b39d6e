package auditreportexporter

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// testComponent is the exporter with a host whose audit_reporter provides a spool that t
// closes when it ends.
func testComponent(t *testing.T) testharness.Component {
	sp := openSpool(t)
	return testharness.Component{
		Create: func(_ *testing.T, tel component.TelemetrySettings) (component.Component, error) {
			set := exportertest.NewNopSettings(metadata.Type)
			set.TelemetrySettings = tel
			return NewFactory().CreateLogs(context.Background(), set, testConfig())
		},
		Host: reporterHost(sp),
	}
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent(t))
}
