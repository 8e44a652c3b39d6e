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
	meter                            metric.Meter
	AuditEvents                      metric.Int64Counter
	AuditFailedLogins                metric.Int64Counter
	AuditNormalizerEnvelopes         metric.Int64Counter
	AuditNormalizerRecords           metric.Int64Counter
	AuditNormalizerTenantQuarantined metric.Int64Counter
	AuditNormalizerUnmapped          metric.Int64Counter
}

// TelemetryBuilderOption applies changes to default builder.
type TelemetryBuilderOption interface {
	apply(*TelemetryBuilder)
}

// Shutdown releases the builder's resources; the builder has no asynchronous instruments.
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
	builder.AuditEvents, err = builder.meter.Int64Counter(
		"otelcol_audit_events",
		metric.WithDescription("Normalised audit events by tenant, category and outcome. [Alpha]"),
		metric.WithUnit("{event}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditFailedLogins, err = builder.meter.Int64Counter(
		"otelcol_audit_failed_logins",
		metric.WithDescription("Normalised failed logins by tenant. [Alpha]"),
		metric.WithUnit("{event}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditNormalizerEnvelopes, err = builder.meter.Int64Counter(
		"otelcol_audit_normalizer_envelopes",
		metric.WithDescription("Log records split into one record per event because their body was an envelope of events, by envelope. [Alpha]"),
		metric.WithUnit("{record}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditNormalizerRecords, err = builder.meter.Int64Counter(
		"otelcol_audit_normalizer_records",
		metric.WithDescription("Log records normalised, by source profile and result (mapped or fallback). [Alpha]"),
		metric.WithUnit("{record}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditNormalizerTenantQuarantined, err = builder.meter.Int64Counter(
		"otelcol_audit_normalizer_tenant_quarantined",
		metric.WithDescription("Log records moved to the quarantine tenant because their tenant id is invalid, by reason. [Alpha]"),
		metric.WithUnit("{record}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditNormalizerUnmapped, err = builder.meter.Int64Counter(
		"otelcol_audit_normalizer_unmapped",
		metric.WithDescription("Log records not fully mapped, by reason. [Alpha]"),
		metric.WithUnit("{record}"),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}
