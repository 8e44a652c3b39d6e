package auditlokiexporter

import (
	"context"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// testComponent is the exporter with its default config, an endpoint (the default has none,
// and nothing is pushed) and the dead-letter file in a temporary directory.
var testComponent = testharness.Component{
	Create: func(t *testing.T, tel component.TelemetrySettings) (component.Component, error) {
		f := NewFactory()
		cfg := f.CreateDefaultConfig().(*Config)
		cfg.ClientConfig.Endpoint = "http://127.0.0.1:1"
		cfg.DeadLetter.Path = filepath.Join(t.TempDir(), "dead_letter.jsonl")
		set := exportertest.NewNopSettings(metadata.Type)
		set.TelemetrySettings = tel
		return f.CreateLogs(context.Background(), set, cfg)
	},
	// exporterhelper v0.161.0 closes its retry sender's channel on every Shutdown, so a
	// second call panics; TestShutdownWithoutStart calls the exporter's own shutdown twice.
}

func TestComponentLifecycle(t *testing.T) {
	testharness.CheckLifecycle(t, testComponent)
}
