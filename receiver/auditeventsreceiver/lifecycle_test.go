package auditeventsreceiver

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit/selfaudittest"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver/internal/metadata"
)

// testComponent is the receiver with its default config. Start attaches to the audit_events
// extension, so the host has a hub under that id.
func testComponent(t *testing.T) testharness.Component {
	t.Helper()
	hub := selfaudittest.NewHub()
	return testharness.Component{
		Create: func(_ *testing.T, tel component.TelemetrySettings) (component.Component, error) {
			rf := NewFactory()
			set := receivertest.NewNopSettings(metadata.Type)
			set.TelemetrySettings = tel
			return rf.CreateLogs(context.Background(), set, rf.CreateDefaultConfig(), consumertest.NewNop())
		},
		Host: hub.Host(component.MustNewID(selfaudit.ExtensionType)),
	}
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent(t))
}
