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
	AuditWebhookEvents               metric.Int64Counter
	AuditWebhookRequests             metric.Int64Counter
	AuditWebhookVerificationFailures metric.Int64Counter
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
	builder.AuditWebhookEvents, err = builder.meter.Int64Counter(
		"otelcol_audit_webhook_events",
		metric.WithDescription("Events received by endpoint; result is accepted (handed to the pipeline) or refused. [Alpha]"),
		metric.WithUnit("{event}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditWebhookRequests, err = builder.meter.Int64Counter(
		"otelcol_audit_webhook_requests",
		metric.WithDescription("Requests by endpoint and HTTP response status. [Alpha]"),
		metric.WithUnit("{request}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditWebhookVerificationFailures, err = builder.meter.Int64Counter(
		"otelcol_audit_webhook_verification_failures",
		metric.WithDescription("Requests refused with 401, by endpoint and reason. [Alpha]"),
		metric.WithUnit("{request}"),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}
