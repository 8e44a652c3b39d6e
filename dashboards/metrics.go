package dashboards

// Every collector metric name and metric label the dashboards and Prometheus rules query lives
// in this file, so that a renamed instrument is fixed in one place. The names are those exposed
// on the collector's own Prometheus endpoint (service::telemetry::metrics, :8888) as configured
// in config/default.yaml (without_type_suffix: false, without_units: false): counters carry
// `_total`, and instruments with a unit of measure carry it too ("s" becomes `_seconds`).
const (
	// Audit counters of the normaliser (processor audit_normalizer). Label sets are bounded:
	// tenant, category and outcome only, never author or IP.
	MetricAuditEvents  = "otelcol_audit_events_total"        // {tenant, category, outcome}
	MetricFailedLogins = "otelcol_audit_failed_logins_total" // {tenant}

	MetricNormalizerRecords           = "otelcol_audit_normalizer_records_total"            // {source, result}
	MetricNormalizerUnmapped          = "otelcol_audit_normalizer_unmapped_total"           // {reason}
	MetricNormalizerTenantQuarantined = "otelcol_audit_normalizer_tenant_quarantined_total" // {reason}

	// Loki exporter (exporter audit_loki).
	MetricLokiEntriesSent   = "otelcol_audit_loki_entries_sent_total"
	MetricLokiDeadLetter    = "otelcol_audit_loki_dead_letter_total"    // {reason}
	MetricLokiLabelOverflow = "otelcol_audit_loki_label_overflow_total" // {label}

	// Report engine (extension audit_reporter).
	MetricReportRuns        = "otelcol_audit_report_runs_total"                     // {report, result}
	MetricReportLastSuccess = "otelcol_audit_report_last_success_timestamp_seconds" // {report}, gauge, unit s

	// Webhook receiver (receiver audit_webhook).
	MetricWebhookVerificationFailures = "otelcol_audit_webhook_verification_failures_total" // {endpoint, reason}

	// Collector core (receiverhelper, exporterhelper).
	MetricReceiverAccepted      = "otelcol_receiver_accepted_log_records_total"    // {receiver}
	MetricReceiverRefused       = "otelcol_receiver_refused_log_records_total"     // {receiver}
	MetricExporterSent          = "otelcol_exporter_sent_log_records_total"        // {exporter}
	MetricExporterSendFailed    = "otelcol_exporter_send_failed_log_records_total" // {exporter}
	MetricExporterQueueSize     = "otelcol_exporter_queue_size"                    // {exporter}
	MetricExporterQueueCapacity = "otelcol_exporter_queue_capacity"                // {exporter}
)

// Metric label names.
const (
	LabelTenant   = "tenant"
	LabelCategory = "category"
	LabelOutcome  = "outcome"
	LabelSource   = "source"
	LabelResult   = "result"
	LabelReason   = "reason"
	LabelReport   = "report"
	LabelEndpoint = "endpoint"
	LabelReceiver = "receiver"
	LabelExporter = "exporter"
	// LabelLokiLabel names the Loki label whose values overflowed.
	LabelLokiLabel = "label"
)

// Values of LabelResult.
const (
	ResultMapped   = "mapped"
	ResultFallback = "fallback"
	ResultSuccess  = "success"
	ResultFailure  = "failure"
)
