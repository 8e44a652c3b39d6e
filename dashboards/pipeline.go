package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// rateBy renders `sum by (labels) (rate(metric[$__rate_interval]))`.
func rateBy(metric string, labels ...string) string {
	return fmt.Sprintf("sum by (%s) (rate(%s[$__rate_interval]))", strings.Join(labels, ", "), metric)
}

// increaseBy renders `sum by (labels) (increase(metric[$__rate_interval]))`.
func increaseBy(metric string, labels ...string) string {
	return fmt.Sprintf("sum by (%s) (increase(%s[$__rate_interval]))", strings.Join(labels, ", "), metric)
}

func promQuery(refID, expr, legendFormat string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		RefId(refID).
		Expr(expr).
		LegendFormat(legendFormat).
		Datasource(datasourceRef(prometheusType)).
		EditorMode(prometheus.QueryEditorModeCode)
}

func legendOf(labels ...string) string {
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = "{{" + l + "}}"
	}
	return strings.Join(parts, " ")
}

// promPanel is a time series panel of Prometheus queries, each an (expr, legend) pair.
func promPanel(title, description, unit string, queries ...[2]string) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(datasourceRef(prometheusType)).
		Legend(legend()).
		Unit(unit).
		Span(12).Height(8)
	for i, q := range queries {
		p = p.WithTarget(promQuery(string(rune('A'+i)), q[0], q[1]))
	}
	return p
}

func pipelineDashboard() *dashboard.DashboardBuilder {
	lastSuccess := table.NewPanelBuilder().
		Title("Last successful report").
		Description("When each report last succeeded, and how long ago.").
		Datasource(datasourceRef(prometheusType)).
		WithTarget(promQuery("A", fmt.Sprintf("max by (%s) (%s) * 1000", LabelReport, MetricReportLastSuccess), "").Instant().Format(prometheus.PromQueryFormatTable)).
		WithTarget(promQuery("B", fmt.Sprintf("time() - max by (%s) (%s)", LabelReport, MetricReportLastSuccess), "").Instant().Format(prometheus.PromQueryFormatTable)).
		WithTransformation(transformation("merge", map[string]any{})).
		WithTransformation(organize([]string{LabelReport, "Value #A", "Value #B"},
			map[string]string{LabelReport: "Report", "Value #A": "Last success", "Value #B": "Age"}, []string{"Time"})).
		OverrideByName("Last success", []dashboard.DynamicConfigValue{{Id: "unit", Value: "dateTimeAsIso"}}).
		OverrideByName("Age", []dashboard.DynamicConfigValue{{Id: "unit", Value: "s"}}).
		Span(12).Height(8)

	return dashboard.NewDashboardBuilder("otelcol-audit pipeline health").
		Uid(uidPipeline).
		Description("The collector's own metrics: records received, normalised and unmapped; exported and dead-lettered; queues; reports.").
		Tags([]string{"otelcol-audit", "pipeline"}).
		Time("now-6h", "now").
		Refresh("1m").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(datasourceVariable(prometheusType, "Prometheus")).
		WithPanel(promPanel("Records received", "Log records accepted and refused by each receiver.", "rps",
			[2]string{rateBy(MetricReceiverAccepted, LabelReceiver), "accepted {{" + LabelReceiver + "}}"},
			[2]string{rateBy(MetricReceiverRefused, LabelReceiver), "refused {{" + LabelReceiver + "}}"})).
		WithPanel(promPanel("Records normalised", "Records the normaliser mapped with a source profile, or kept with the fallback mapping.", "rps",
			[2]string{rateBy(MetricNormalizerRecords, LabelSource, LabelResult), legendOf(LabelSource, LabelResult)})).
		WithPanel(promPanel("Unmapped records by reason", "Records the normaliser could not fully map.", "rps",
			[2]string{rateBy(MetricNormalizerUnmapped, LabelReason), legendOf(LabelReason)},
			[2]string{rateBy(MetricNormalizerTenantQuarantined, LabelReason), "tenant quarantined: {{" + LabelReason + "}}"})).
		WithPanel(promPanel("Audit events by tenant", "Normalised audit events per tenant and outcome.", "rps",
			[2]string{rateBy(MetricAuditEvents, LabelTenant, LabelOutcome), legendOf(LabelTenant, LabelOutcome)},
			[2]string{rateBy(MetricFailedLogins, LabelTenant), "failed logins {{" + LabelTenant + "}}"})).
		WithPanel(promPanel("Records exported", "Log records each exporter sent, and those it failed to send after retries.", "rps",
			[2]string{rateBy(MetricExporterSent, LabelExporter), "sent {{" + LabelExporter + "}}"},
			[2]string{rateBy(MetricExporterSendFailed, LabelExporter), "failed {{" + LabelExporter + "}}"})).
		WithPanel(promPanel("Dead-lettered entries by reason", "Entries Loki refused for good, written to the dead-letter file.", "short",
			[2]string{increaseBy(MetricLokiDeadLetter, LabelReason), legendOf(LabelReason)},
			[2]string{increaseBy(MetricLokiLabelOverflow, LabelLokiLabel), "label overflow {{" + LabelLokiLabel + "}}"})).
		WithPanel(promPanel("Exporter queue", "Sending queue size against its capacity.", "short",
			[2]string{fmt.Sprintf("max by (%s) (%s)", LabelExporter, MetricExporterQueueSize), "size {{" + LabelExporter + "}}"},
			[2]string{fmt.Sprintf("max by (%s) (%s)", LabelExporter, MetricExporterQueueCapacity), "capacity {{" + LabelExporter + "}}"}).
			DrawStyle(common.GraphDrawStyleLine)).
		WithPanel(promPanel("Report runs", "Report runs by report and result.", "short",
			[2]string{increaseBy(MetricReportRuns, LabelReport, LabelResult), legendOf(LabelReport, LabelResult)}).
			DrawStyle(common.GraphDrawStyleBars)).
		WithPanel(lastSuccess).
		WithPanel(promPanel("Webhook verification failures", "Webhook requests refused because their signature or token did not verify.", "short",
			[2]string{increaseBy(MetricWebhookVerificationFailures, LabelEndpoint, LabelReason), legendOf(LabelEndpoint, LabelReason)}))
}
