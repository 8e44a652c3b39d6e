package dashboards

import (
	"fmt"
	"strings"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Loki alert thresholds. Change them here and run `go run ./cmd/dashgen -out dashboards`;
// docs/dashboards.md lists them.
const (
	// FailedLoginsPerAuthorThreshold failed logins of one author within FailedLoginsWindow
	// fire AuditRepeatedFailedLoginsByAuthor.
	FailedLoginsPerAuthorThreshold = 5
	// FailedLoginsPerSourceIPThreshold failed logins from one source IP within
	// FailedLoginsWindow fire AuditRepeatedFailedLoginsFromIP.
	FailedLoginsPerSourceIPThreshold = 20
	// FailedLoginsWindow is the range both repeated-failure rules count over.
	FailedLoginsWindow = "10m"
	// SprayDistinctAuthorsThreshold distinct authors failing from one source IP within
	// SprayWindow fire AuditPasswordSprayFromIP.
	SprayDistinctAuthorsThreshold = 10
	// SprayWindow is the range the spraying rule counts over.
	SprayWindow = "15m"
	// BurstFailuresBeforeSuccess failed logins within BurstWindow before a successful login
	// make that login show on the "successful logins after failures" panel.
	BurstFailuresBeforeSuccess = 5
	// BurstWindow is the look-back of that panel.
	BurstWindow = "15m"
)

// lokiLabelNames are the stream labels the Loki exporter writes.
var lokiLabelNames = []string{audit.LokiLabelService, audit.LokiLabelCategory, audit.LokiLabelOutcome}

// lokiMetadataNames are the structured-metadata keys the Loki exporter writes.
var lokiMetadataNames = []string{
	audit.LokiMetaAuthor, audit.LokiMetaAuthorID, audit.LokiMetaSummary, audit.LokiMetaEventID,
	audit.LokiMetaSourceIP, audit.LokiMetaTarget, audit.LokiMetaAuditSource, audit.LokiMetaAction,
	audit.LokiMetaUserAgent, audit.LokiMetaTraceID, audit.LokiMetaSpanID,
}

// LokiNames returns every label and structured-metadata name a LogQL query may use.
func LokiNames() map[string]bool {
	names := make(map[string]bool, len(lokiLabelNames)+len(lokiMetadataNames))
	for _, n := range lokiLabelNames {
		names[n] = true
	}
	for _, n := range lokiMetadataNames {
		names[n] = true
	}
	return names
}

// eq renders name="value" with the value quoted as a LogQL (Go) string literal.
func eq(name, value string) string { return fmt.Sprintf("%s=%q", name, value) }

// selector renders a stream selector from matchers such as eq(...).
func selector(matchers ...string) string { return "{" + strings.Join(matchers, ", ") + "}" }

// failedLogins selects failed logins: the stream labels narrow the streams, the summary
// (structured metadata) picks the event.
var failedLogins = selector(
	eq(audit.LokiLabelCategory, audit.CategoryAuthentication),
	eq(audit.LokiLabelOutcome, audit.OutcomeFailure),
) + " | " + eq(audit.LokiMetaSummary, audit.SummaryLoginFailed)

// successfulLogins selects successful logins.
var successfulLogins = selector(
	eq(audit.LokiLabelCategory, audit.CategoryAuthentication),
	eq(audit.LokiLabelOutcome, audit.OutcomeSuccess),
) + " | " + eq(audit.LokiMetaSummary, audit.SummaryLogin)

// countBy renders `sum by (labels) (count_over_time(logs [rng]))`.
func countBy(logs, rng string, labels ...string) string {
	return fmt.Sprintf("sum by (%s) (count_over_time(%s [%s]))", strings.Join(labels, ", "), logs, rng)
}

// Explorer filters. Multi-value label variables are rendered as regular expressions; the free
// text filters are case-insensitive "contains" matches in raw (backtick) strings, so that the
// backslashes of Grafana's regex escaping stay literal. An empty text box matches every entry,
// including entries without that metadata key.
var explorerSelector = selector(
	fmt.Sprintf("%s=~`${%s:regex}`", audit.LokiLabelService, varService),
	fmt.Sprintf("%s=~`${%s:regex}`", audit.LokiLabelCategory, varCategory),
	fmt.Sprintf("%s=~`${%s:regex}`", audit.LokiLabelOutcome, varOutcome),
)

func containsFilter(name, variable string) string {
	return fmt.Sprintf("%s=~`(?i).*${%s:regex}.*`", name, variable)
}

var explorerLogs = explorerSelector + " | " + strings.Join([]string{
	containsFilter(audit.LokiMetaAuthor, varAuthor),
	containsFilter(audit.LokiMetaSummary, varSummary),
	containsFilter(audit.LokiMetaSourceIP, varSourceIP),
}, " | ")
