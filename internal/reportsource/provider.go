package reportsource

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

// SpoolProvider is implemented by the audit_reporter extension, which opens the report
// spool when its source is spool; the audit_report exporter appends to that spool. The
// exporter finds the extension by id through host.GetExtensions(), so that neither
// component imports the other. Extensions start before and stop after exporters, so the
// spool is open for as long as the exporter runs.
type SpoolProvider interface {
	// Spool returns the open spool, or ErrNotSpool when the extension reads another source.
	Spool() (*spool.Spool, error)
}

// Errors of FindSpool, for errors.Is.
var (
	// ErrNotSpool is returned when the reporter's source is not the spool (source::loki):
	// there is nothing for the exporter to write to.
	ErrNotSpool = errors.New("reads its events from another source than the spool: set source::spool on it, or remove the audit_report exporter (events reach Loki through audit_loki)")
	// ErrNotFound is returned when the host has no extension with the id.
	ErrNotFound = errors.New("not found: add it to service::extensions")
	// ErrNotProvider is returned when the extension with the id provides no spool.
	ErrNotProvider = errors.New("is not an audit_reporter extension")
)

// FindSpool returns the spool of the SpoolProvider extension id. Components call it from
// Start.
func FindSpool(host component.Host, id component.ID) (*spool.Spool, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("extension %q %w", id, ErrNotFound)
	}
	p, ok := ext.(SpoolProvider)
	if !ok {
		return nil, fmt.Errorf("extension %q %w", id, ErrNotProvider)
	}
	s, err := p.Spool()
	if err != nil {
		return nil, fmt.Errorf("extension %q: %w", id, err)
	}
	return s, nil
}
