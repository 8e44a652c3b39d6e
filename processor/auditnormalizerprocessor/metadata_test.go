package auditnormalizerprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor/internal/metadata"
)

func TestMetadata(t *testing.T) {
	testharness.CheckMetadata(t, "metadata.yaml", testharness.Metadata{
		Type:      metadata.Type,
		Stability: map[string]component.StabilityLevel{"logs": metadata.LogsStability},
		ScopeName: metadata.ScopeName,
		NewTelemetryBuilder: func(set component.TelemetrySettings) error {
			_, err := metadata.NewTelemetryBuilder(set)
			return err
		},
		Component: &testComponent,
		// Start creates the record, unmapped, quarantine and envelope series; a failed login,
		// text that maps to nothing, an invalid tenant and an envelope add the event and login
		// series.
		Exercise: func(t *testing.T, c component.Component) {
			ld := plog.NewLogs()
			lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			login := lrs.AppendEmpty()
			login.SetEventName("user.login")
			require.NoError(t, login.Attributes().FromRaw(map[string]any{"tenant.id": "acme", "user.id": "u", "event.outcome": "failure"}))
			lrs.AppendEmpty().Body().SetStr("plain text")
			bad := lrs.AppendEmpty()
			bad.SetEventName("user.logout")
			bad.Attributes().PutStr("tenant.id", "a|b")
			// An envelope of two events is split.
			require.NoError(t, lrs.AppendEmpty().Body().FromRaw(map[string]any{"Records": []any{
				map[string]any{"eventVersion": "1.09", "eventName": "ConsoleLogin", "eventID": "e1"},
				map[string]any{"eventVersion": "1.09", "eventName": "ConsoleLogin", "eventID": "e2"},
			}}))
			require.NoError(t, c.(consumer.Logs).ConsumeLogs(context.Background(), ld))
		},
	})
}
