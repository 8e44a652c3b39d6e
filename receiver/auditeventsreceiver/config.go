package auditeventsreceiver // import "github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver"

import (
	"errors"

	"go.opentelemetry.io/collector/component"
)

// Config configures the audit_events receiver.
type Config struct {
	// Extension is the id of the audit_events extension to attach to, e.g. audit_events or
	// audit_events/exports. Required.
	Extension component.ID `mapstructure:"extension"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Extension == (component.ID{}) {
		return errors.New("extension: must name the audit_events extension to attach to")
	}
	return nil
}
