// Code written in mdatagen's generated shape (mdatagen does not install at our release);
// keep it in step with metadata.yaml.

// Package metadata contains the build information for the audit_events receiver.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("audit_events")
	ScopeName = "github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver"
)

const (
	LogsStability = component.StabilityLevelAlpha
)
