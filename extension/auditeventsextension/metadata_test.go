package auditeventsextension

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension/internal/metadata"
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
		Component: &testComponent,
		// A record emitted with no receiver attached is buffered, then dropped on Shutdown.
		Exercise: func(t *testing.T, c component.Component) {
			emitter, ok := c.(interface {
				Emit(context.Context, plog.Logs) error
			})
			require.True(t, ok, "the extension emits")
			ld := plog.NewLogs()
			ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
			require.NoError(t, emitter.Emit(context.Background(), ld))
		},
	})
}
