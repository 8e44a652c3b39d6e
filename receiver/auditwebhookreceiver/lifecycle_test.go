package auditwebhookreceiver

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

// testComponent is the receiver with its default config, listening on a free loopback port.
var testComponent = testharness.Component{
	Create: func(_ *testing.T, tel component.TelemetrySettings) (component.Component, error) {
		f := NewFactory()
		cfg := f.CreateDefaultConfig().(*Config)
		cfg.Server.NetAddr.Endpoint = "127.0.0.1:0"
		set := receivertest.NewNopSettings(metadata.Type)
		set.TelemetrySettings = tel
		return f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	},
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent)
}
