package auditeventsextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension"

import (
	"errors"
)

// Config configures the audit_events hub.
type Config struct {
	// BufferSize is how many log records the hub keeps while no audit_events receiver is
	// attached (the collector starts exporters before receivers, so the first events of a
	// run may come before the receiver). Past it, Emit returns ErrBufferFull and the records
	// are counted as dropped. Default 10000.
	BufferSize int `mapstructure:"buffer_size"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.BufferSize < 0 {
		return errors.New("buffer_size: must not be negative")
	}
	return nil
}
