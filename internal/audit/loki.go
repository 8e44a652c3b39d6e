package audit

// Names the Loki exporter writes and the dashboards and alert rules query. Dashboards import
// these constants, so that renaming one breaks a test instead of a dashboard.

// Loki stream labels written by default: few and bounded.
const (
	// LokiLabelService comes from the resource attribute service.name; it is the label Loki's
	// own OTLP endpoint and Grafana's Logs Drilldown use.
	LokiLabelService = "service_name"
	// LokiLabelCategory comes from AttrCategory.
	LokiLabelCategory = "category"
	// LokiLabelOutcome comes from AttrOutcome.
	LokiLabelOutcome = "outcome"
)

// Loki structured-metadata keys: high-cardinality fields that must never be labels.
const (
	LokiMetaAuthor      = "author"
	LokiMetaAuthorID    = "author_id"
	LokiMetaSummary     = "summary"
	LokiMetaEventID     = "event_id"
	LokiMetaSourceIP    = "source_ip"
	LokiMetaTarget      = "target"
	LokiMetaAuditSource = "audit_source"
	LokiMetaAction      = "action"
	LokiMetaUserAgent   = "user_agent"
	LokiMetaTraceID     = "trace_id"
	LokiMetaSpanID      = "span_id"
	// LokiMetaTenant repeats the record's tenant, so that a single-tenant Loki (or a
	// multi-tenant query) can still tell tenants apart without a label per tenant.
	LokiMetaTenant = "tenant"
)

// DefaultServiceName is the service_name label value when a record has no service.name.
const DefaultServiceName = "unknown_service"

// Category and summary names of the built-in catalogue that alert rules and dashboards rely on.
const (
	CategoryAuthentication = "Authentication"
	SummaryLogin           = "Login"
	SummaryLoginFailed     = "Login failed"
)
