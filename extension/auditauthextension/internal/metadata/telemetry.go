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

// TelemetryBuilder holds the component's own instruments.
type TelemetryBuilder struct {
	meter                   metric.Meter
	AuditAuthFailures       metric.Int64Counter
	AuditAdmissionRefused   metric.Int64Counter
	AuditAdmissionBytesUsed metric.Int64Gauge
}

// Shutdown unregisters all registered callbacks for async instruments; there are none.
func (builder *TelemetryBuilder) Shutdown() {}

// NewTelemetryBuilder creates the component's instruments.
func NewTelemetryBuilder(settings component.TelemetrySettings) (*TelemetryBuilder, error) {
	builder := TelemetryBuilder{meter: Meter(settings)}
	var err, errs error
	builder.AuditAuthFailures, err = builder.meter.Int64Counter(
		"otelcol_audit_auth_failures",
		metric.WithDescription("Requests refused by the audit_auth authenticator, by reason. [Alpha]"),
		metric.WithUnit("{request}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditAdmissionRefused, err = builder.meter.Int64Counter(
		"otelcol_audit_admission_refused",
		metric.WithDescription("Requests answered 503 before their body was read, because the in-flight byte budget was spent. [Alpha]"),
		metric.WithUnit("{request}"),
	)
	errs = errors.Join(errs, err)
	builder.AuditAdmissionBytesUsed, err = builder.meter.Int64Gauge(
		"otelcol_audit_admission_bytes_in_flight",
		metric.WithDescription("Request bytes reserved in the in-flight budget. [Alpha]"),
		metric.WithUnit("By"),
	)
	errs = errors.Join(errs, err)
	return &builder, errs
}
