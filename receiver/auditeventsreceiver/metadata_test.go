package auditeventsreceiver

import (
	"testing"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver/internal/metadata"
)

func TestMetadata(t *testing.T) {
	testharness.CheckMetadata(t, "metadata.yaml", testharness.Metadata{
		Type:      metadata.Type,
		Stability: map[string]component.StabilityLevel{"logs": metadata.LogsStability},
		ScopeName: metadata.ScopeName,
	})
}
