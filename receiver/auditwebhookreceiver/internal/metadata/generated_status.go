// Code written in mdatagen's generated shape (mdatagen does not install at our release);
// keep it in step with metadata.yaml.

// Package metadata contains the telemetry and build information for the audit_webhook
// receiver.
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	Type      = component.MustNewType("audit_webhook")
	ScopeName = "github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver"
)

const (
	LogsStability = component.StabilityLevelAlpha
)
