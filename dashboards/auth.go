package dashboards

import (
	"fmt"
	"net/url"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// failedLoginFilters are the explorer filters that show failed logins only.
var failedLoginFilters = []string{
	"var-" + varCategory + "=" + url.PathEscape(audit.CategoryAuthentication),
	"var-" + varOutcome + "=" + url.PathEscape(audit.OutcomeFailure),
	"var-" + varSummary + "=" + url.PathEscape(audit.SummaryLoginFailed),
}

// successAfterBurst keeps the successful logins of authors who failed at least
// BurstFailuresBeforeSuccess times within the BurstWindow before.
var successAfterBurst = fmt.Sprintf("%s\n  and on (%s)\n(%s >= %d)",
	countBy(successfulLogins, "$__interval", audit.LokiMetaAuthor, audit.LokiMetaSourceIP),
	audit.LokiMetaAuthor,
	countBy(failedLogins, BurstWindow, audit.LokiMetaAuthor),
	BurstFailuresBeforeSuccess)

// distinctAuthorsPerIP counts, per source IP, the authors who failed to log in from it.
func distinctAuthorsPerIP(rng string) string {
	return fmt.Sprintf("count by (%s) (%s)", audit.LokiMetaSourceIP,
		countBy(failedLogins, rng, audit.LokiMetaSourceIP, audit.LokiMetaAuthor))
}

func authDashboard() *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder("Authentication security").
		Uid(uidAuth).
		Description("Failed logins, their authors and source IPs, successful logins after a burst of failures, and the state of the failed-login alerts.").
		Tags([]string{"otelcol-audit", "audit", "security"}).
		Time("now-24h", "now").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(datasourceVariable(lokiType, "Loki")).
		WithPanel(timeseries.NewPanelBuilder().
			Title("Failed logins over time").
			Datasource(datasourceRef(lokiType)).
			WithTarget(lokiRange(countBy(failedLogins, "$__interval", audit.LokiLabelService), "{{"+audit.LokiLabelService+"}}")).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(80).
			Stacking(stacked()).
			Legend(legend()).
			Unit("short").
			Span(16).Height(9)).
		WithPanel(alertListPanel{
			title:       "Audit alerts",
			description: "Current state of the otelcol-audit alerts: the Loki ruler's failed-login alerts and the Prometheus rules, from datasources with manageAlerts enabled.",
			nameFilter:  "Audit",
			w:           8, h: 9,
		}).
		WithPanel(topTable("Top failing authors", "Authors with the most failed logins in the time range. Click one to open their failed logins in the explorer.",
			fmt.Sprintf("topk(20, %s)", countBy(failedLogins, "$__range", audit.LokiMetaAuthor)),
			audit.LokiMetaAuthor, "Author", "Failed logins", varAuthor, failedLoginFilters, nil).Span(8)).
		WithPanel(topTable("Top failing source IPs", "Source IPs with the most failed logins in the time range. Click one to open them in the explorer.",
			fmt.Sprintf("topk(20, %s)", countBy(failedLogins, "$__range", audit.LokiMetaSourceIP)),
			audit.LokiMetaSourceIP, "Source IP", "Failed logins", varSourceIP, failedLoginFilters, nil).Span(8)).
		WithPanel(topTable("Distinct failing authors per source IP", "Many authors failing from one IP suggests password spraying.",
			fmt.Sprintf("topk(20, %s)", distinctAuthorsPerIP("$__range")),
			audit.LokiMetaSourceIP, "Source IP", "Distinct authors", varSourceIP, failedLoginFilters, nil).Span(8)).
		WithPanel(timeseries.NewPanelBuilder().
			Title("Successful logins after a burst of failures").
			Description(fmt.Sprintf("Successful logins of authors who failed at least %d times in the %s before.", BurstFailuresBeforeSuccess, BurstWindow)).
			Datasource(datasourceRef(lokiType)).
			WithTarget(lokiRange(successAfterBurst, "{{"+audit.LokiMetaAuthor+"}} from {{"+audit.LokiMetaSourceIP+"}}")).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(80).
			Legend(legend()).
			Unit("short").
			Span(24).Height(9))
}
