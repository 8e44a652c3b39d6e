package metadata

import (
	"errors"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"go.opentelemetry.io/collector/component"
)

// Meter returns the meter the component's own metrics are created on.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// Tracer returns the component's tracer.
func Tracer(settings component.TelemetrySettings) trace.Tracer {
	return settings.TracerProvider.Tracer(ScopeName)
}

// TelemetryBuilder provides an interface for components to report telemetry
// as defined in metadata and user config.
type TelemetryBuilder struct {
	meter                      metric.Meter
	AuditReportSpoolDuplicates metric.Int64Counter
	AuditReportSpoolEvents     metric.Int64Counter
	AuditReportSpoolRejected   metric.Int64Counter
}

// Shutdown unregisters all registered callbacks for async instruments (there are none).
func (builder *TelemetryBuilder) Shutdown() {}

// NewTelemetryBuilder provides a struct with methods to update all internal telemetry
// for a component
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	builder := TelemetryBuilder{}
	builder.meter = Meter(settings)
	var err, errs error
	builder.AuditReportSpoolDuplicates, err = builder.meter.Int64Counter(
		"otelcol_audit_report_spool_duplicates",
		metric.WithDescription("Events not stored because their audit.event_id was already in the spool. [Alpha]"),
		metric.WithUnit("{event}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditReportSpoolEvents, err = builder.meter.Int64Counter(
		"otelcol_audit_report_spool_events",
		metric.WithDescription("Events stored durably in the spool. [Alpha]"),
		metric.WithUnit("{event}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditReportSpoolRejected, err = builder.meter.Int64Counter(
		"otelcol_audit_report_spool_rejected",
		metric.WithDescription("Events that cannot be reported, by reason (not_normalized: the record lacks the tenant, event id or time the normaliser writes). [Alpha]"),
		metric.WithUnit("{event}"),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}
