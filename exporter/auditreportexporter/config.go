package auditreportexporter // import "github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter"

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
)

// Config is the audit_report exporter's configuration.
type Config struct {
	// Reporter is the id of the audit_reporter extension whose spool the events are
	// written to: the extension opens the spool and renders reports and exports from it.
	// Required.
	Reporter component.ID `mapstructure:"reporter"`

	// prevent unkeyed literal initialization
	_ struct{}
}

var (
	_ confmap.Validator = (*Config)(nil)

	errNoReporter = errors.New("reporter: must be the id of an audit_reporter extension, e.g. audit_reporter")
)

// Validate checks the configuration.
func (cfg *Config) Validate() error {
	if cfg.Reporter.Type().String() == "" {
		return errNoReporter
	}
	return nil
}
