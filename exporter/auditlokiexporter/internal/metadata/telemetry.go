package metadata

import (
	"errors"

	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/collector/component"
)

// Meter returns the meter the component's own metrics are created on.
func Meter(settings component.TelemetrySettings) metric.Meter {
	return settings.MeterProvider.Meter(ScopeName)
}

// TelemetryBuilder provides an interface for components to report telemetry
// as defined in metadata and user config.
type TelemetryBuilder struct {
	meter                      metric.Meter
	AuditLokiBytesSent         metric.Int64Counter
	AuditLokiDeadLetter        metric.Int64Counter
	AuditLokiDeadLetterMarkers metric.Int64Counter
	AuditLokiEntriesSent       metric.Int64Counter
	AuditLokiLabelOverflow     metric.Int64Counter
	AuditLokiRequestDuration   metric.Float64Histogram
}

// NewTelemetryBuilder provides a struct with methods to update all internal telemetry
// for a component.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	builder := TelemetryBuilder{}
	builder.meter = Meter(settings)
	var err, errs error
	builder.AuditLokiBytesSent, err = builder.meter.Int64Counter(
		"otelcol_audit_loki_sent_bytes",
		metric.WithDescription("Compressed push request bytes that Loki accepted. [Alpha]"),
		metric.WithUnit("By"),
	)
	errs = errors.Join(errs, err)
	builder.AuditLokiDeadLetter, err = builder.meter.Int64Counter(
		"otelcol_audit_loki_dead_letter",
		metric.WithDescription("Entries written to the dead-letter file instead of Loki, by reason. [Alpha]"),
		metric.WithUnit("{entry}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditLokiDeadLetterMarkers, err = builder.meter.Int64Counter(
		"otelcol_audit_loki_dead_letter_markers",
		metric.WithDescription("Dead-letter markers pushed to Loki, failed, or skipped because the entry had no valid tenant or time, by result. [Alpha]"),
		metric.WithUnit("{marker}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditLokiEntriesSent, err = builder.meter.Int64Counter(
		"otelcol_audit_loki_entries_sent",
		metric.WithDescription("Entries that Loki accepted. [Alpha]"),
		metric.WithUnit("{entry}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditLokiLabelOverflow, err = builder.meter.Int64Counter(
		"otelcol_audit_loki_label_overflow",
		metric.WithDescription("Entries whose label value was replaced by the overflow value because the label reached its distinct-value cap. [Alpha]"),
		metric.WithUnit("{entry}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditLokiRequestDuration, err = builder.meter.Float64Histogram(
		"otelcol_audit_loki_request_duration",
		metric.WithDescription("Duration of push requests to Loki, by result. [Alpha]"),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries([]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}...),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}
