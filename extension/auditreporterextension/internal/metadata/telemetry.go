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
	meter                           metric.Meter
	AuditReportDownloads            metric.Int64Counter
	AuditReportLastSuccessTimestamp metric.Int64Gauge
	AuditReportRuns                 metric.Int64Counter
}

// TelemetryBuilderOption applies changes to default builder.
type TelemetryBuilderOption interface {
	apply(*TelemetryBuilder)
}

// Shutdown unregisters all registered callbacks for async instruments; there are none.
func (builder *TelemetryBuilder) Shutdown() {}

// NewTelemetryBuilder provides a struct with methods to update all internal telemetry
// for a component
func NewTelemetryBuilder(settings component.TelemetrySettings, options ...TelemetryBuilderOption) (*TelemetryBuilder, error) {
	builder := TelemetryBuilder{}
	for _, op := range options {
		op.apply(&builder)
	}
	builder.meter = Meter(settings)
	var err, errs error
	builder.AuditReportDownloads, err = builder.meter.Int64Counter(
		"otelcol_audit_report_downloads",
		metric.WithDescription("Report file download requests, by result (served, denied, gone). [Alpha]"),
		metric.WithUnit("{request}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditReportLastSuccessTimestamp, err = builder.meter.Int64Gauge(
		"otelcol_audit_report_last_success_timestamp",
		metric.WithDescription("Unix time of the last successful delivery of a report. [Alpha]"),
		metric.WithUnit("s"),
	)
	errs = errors.Join(errs, err)
	builder.AuditReportRuns, err = builder.meter.Int64Counter(
		"otelcol_audit_report_runs",
		metric.WithDescription("Report runs (one per report, tenant and period attempt), by report and result (success, failure). [Alpha]"),
		metric.WithUnit("{run}"),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}
