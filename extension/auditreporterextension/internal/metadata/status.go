// Package metadata holds the audit_reporter extension's type, stability and telemetry in the
// shape that mdatagen generates from metadata.yaml. It is written by hand, and the
// component's TestMetadata checks that it agrees with metadata.yaml.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("audit_reporter")
	ScopeName = "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"
)

const (
	ExtensionStability = component.StabilityLevelAlpha
)
