package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/loki"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// explorerFilters are the variables the explorer filters on; drill-down links keep them.
var explorerFilters = []string{varService, varCategory, varOutcome, varAuthor, varSummary, varSourceIP, varTenant, varExportBaseURL}

// Events table columns, in order: the Loki field (label, metadata key, or the log line) and
// the column title.
var eventColumns = []struct{ field, title, filter string }{
	{"Time", "Date", ""},
	{audit.LokiMetaAuthor, "Author", varAuthor},
	{audit.LokiLabelCategory, "Event Category", varCategory},
	{audit.LokiMetaSummary, "Event Summary", varSummary},
	{"Line", "Description", ""},
	{audit.LokiLabelOutcome, "Outcome", varOutcome},
	{audit.LokiMetaSourceIP, "Source IP", varSourceIP},
}

// Export scopes, as the export API's scope parameter names them.
const (
	// ExportScopeAll is "Generate log file": every event of the time range for the tenant.
	// Admins know a log file as the complete log; the dashboard's filters narrow what they
	// look at, not what the file holds, so the link carries none.
	ExportScopeAll = "all"
	// ExportScopeView is "Export this view": the events that match the dashboard's filters.
	ExportScopeView = "view"
)

// ExportURLTemplate is an export link: the GET form of POST /api/v1/exports on the
// on-demand export endpoint, carrying the dashboard's time range and the tenant, and for
// ExportScopeView the filters too. docs/dashboards.md documents it as that endpoint's
// contract.
func ExportURLTemplate(scope, format string) string {
	params := []string{
		"tenant=${" + varTenant + ":percentencode}",
		"from=${__from:date:iso}",
		"to=${__to:date:iso}",
		"scope=" + scope,
	}
	if scope == ExportScopeView {
		params = append(params,
			"services=${"+varService+":csv}",
			"categories=${"+varCategory+":csv}",
			"outcomes=${"+varOutcome+":csv}",
			"author=${"+varAuthor+":percentencode}",
			"summary=${"+varSummary+":percentencode}",
			"source_ip=${"+varSourceIP+":percentencode}",
		)
	}
	params = append(params, "format="+format)
	return "${" + varExportBaseURL + "}/api/v1/exports/new?" + strings.Join(params, "&")
}

// exportLink is a dashboard link to an export, with a tooltip that says what the file holds.
type exportLink struct {
	title, url, tooltip string
}

func (l exportLink) Build() (dashboard.DashboardLink, error) {
	return dashboard.DashboardLink{
		Title:       l.title,
		Type:        dashboard.DashboardLinkTypeLink,
		Url:         ptr(l.url),
		Tooltip:     l.tooltip,
		Tags:        []string{},
		TargetBlank: true,
		Icon:        "external link",
	}, nil
}

// exportLinks are the explorer's export links: the complete log file first, as admins look
// for it by that name, then the filtered view.
func exportLinks() []cog.Builder[dashboard.DashboardLink] {
	const (
		all  = "Every event of the time range for the tenant in \"Tenant (export)\"; the filters are not applied."
		view = "The events of the time range that match the filters, for the tenant in \"Tenant (export)\"."
	)
	return []cog.Builder[dashboard.DashboardLink]{
		exportLink{title: "Generate log file (CSV)", url: ExportURLTemplate(ExportScopeAll, "csv"), tooltip: all},
		exportLink{title: "Generate log file (XLSX)", url: ExportURLTemplate(ExportScopeAll, "xlsx"), tooltip: all},
		exportLink{title: "Export this view (CSV)", url: ExportURLTemplate(ExportScopeView, "csv"), tooltip: view},
		exportLink{title: "Export this view (XLSX)", url: ExportURLTemplate(ExportScopeView, "xlsx"), tooltip: view},
	}
}

func labelVariable(name, label, lokiLabel string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(datasourceRef(lokiType)).
		Query(str(fmt.Sprintf("label_values(%s)", lokiLabel))).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		Current(dashboard.VariableOption{
			Selected: ptr(true),
			Text:     dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
			Value:    dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
		})
}

func textVariable(name, label, description string) *dashboard.TextBoxVariableBuilder {
	return dashboard.NewTextBoxVariableBuilder(name).Label(label).Description(description).DefaultValue(str(""))
}

func lokiQuery(expr string) *loki.DataqueryBuilder {
	return loki.NewDataqueryBuilder().
		Expr(expr).
		Datasource(datasourceRef(lokiType)).
		EditorMode(loki.QueryEditorModeCode)
}

func lokiRange(expr, legendFormat string) *loki.DataqueryBuilder {
	return lokiQuery(expr).QueryType(string(loki.LokiQueryTypeRange)).LegendFormat(legendFormat).RefId("A")
}

func lokiInstant(expr string) *loki.DataqueryBuilder {
	return lokiQuery(expr).QueryType(string(loki.LokiQueryTypeInstant)).Instant(true).RefId("A")
}

// topTable lists the top values of one Loki label or metadata key, each a link that sets
// the matching explorer filter.
func topTable(title, description, expr, field, fieldTitle, valueTitle, filter string, fixed []string, keep []string) *table.PanelBuilder {
	url := explorerFilterURL(filter, keep...)
	if len(fixed) > 0 {
		url += "&" + strings.Join(fixed, "&")
	}
	return table.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(datasourceRef(lokiType)).
		WithTarget(lokiInstant(expr)).
		WithTransformation(transformation("merge", map[string]any{})).
		WithTransformation(organize([]string{field, "Value"}, map[string]string{field: fieldTitle, "Value": valueTitle}, []string{"Time"})).
		SortBy([]cog.Builder[common.TableSortByFieldState]{common.NewTableSortByFieldStateBuilder().DisplayName(valueTitle).Desc(true)}).
		OverrideByName(fieldTitle, []dashboard.DynamicConfigValue{linksProperty(link{title: "Filter the audit log explorer on " + fieldTitle, url: url})}).
		Span(6).Height(9)
}

func explorerDashboard(opts Options) *dashboard.DashboardBuilder {
	byCategory := countBy(explorerLogs, "$__interval", audit.LokiLabelCategory)
	topAuthors := fmt.Sprintf("topk(20, %s)", countBy(explorerLogs, "$__range", audit.LokiMetaAuthor))
	topSummaries := fmt.Sprintf("topk(20, %s)", countBy(explorerLogs, "$__range", audit.LokiMetaSummary))

	keepFields := make([]string, 0, len(eventColumns))
	order := make([]string, 0, len(eventColumns))
	rename := make(map[string]string, len(eventColumns))
	for _, c := range eventColumns {
		keepFields = append(keepFields, c.field)
		order = append(order, c.field)
		rename[c.field] = c.title
	}
	events := table.NewPanelBuilder().
		Title("Audit events").
		Description("Every audit event matching the filters, newest first. Click an author, category, summary, outcome or source IP to filter on it.").
		Datasource(datasourceRef(lokiType)).
		WithTarget(lokiRange(explorerLogs, "").MaxLines(1000).Direction(loki.LokiQueryDirectionBackward)).
		// Loki returns labels and structured metadata together in the "labels" field.
		WithTransformation(transformation("extractFields", map[string]any{"source": "labels", "format": "auto", "replace": false, "keepTime": false})).
		WithTransformation(transformation("filterFieldsByName", map[string]any{"include": map[string]any{"names": keepFields}})).
		WithTransformation(organize(order, rename, nil)).
		Span(24).Height(16)
	for _, c := range eventColumns {
		if c.filter == "" {
			continue
		}
		events = events.OverrideByName(c.title, []dashboard.DynamicConfigValue{
			linksProperty(link{title: "Filter on this " + strings.ToLower(c.title), url: explorerFilterURL(c.filter, explorerFilters...)}),
		})
	}

	return dashboard.NewDashboardBuilder("Audit log explorer").
		Uid(uidExplorer).
		Description("Audit events in Loki, filtered by time range, service, category, outcome, author, summary and source IP. "+
			"\"Generate log file\" exports every event of the time range for the tenant; \"Export this view\" exports the events the filters select.").
		Tags([]string{"otelcol-audit", "audit"}).
		Time("now-24h", "now").
		Refresh("").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		WithVariable(datasourceVariable(lokiType, "Loki")).
		WithVariable(labelVariable(varService, "Service", audit.LokiLabelService)).
		WithVariable(labelVariable(varCategory, "Event category", audit.LokiLabelCategory)).
		WithVariable(labelVariable(varOutcome, "Outcome", audit.LokiLabelOutcome)).
		WithVariable(textVariable(varAuthor, "Author contains", "Case-insensitive; empty matches every author.")).
		WithVariable(textVariable(varSummary, "Summary contains", "Case-insensitive; empty matches every summary.")).
		WithVariable(textVariable(varSourceIP, "Source IP contains", "Empty matches every source IP.")).
		WithVariable(textVariable(varTenant, "Tenant (export)", "Tenant the log file export is generated for: the X-Scope-OrgID of the selected Loki datasource.")).
		WithVariable(dashboard.NewTextBoxVariableBuilder(varExportBaseURL).
			Label("Export endpoint").
			Description("Base URL of the on-demand export endpoint.").
			Hide(dashboard.VariableHideHideVariable).
			DefaultValue(str(opts.ExportBaseURL))).
		Links(exportLinks()).
		WithPanel(timeseries.NewPanelBuilder().
			Title("Events over time by category").
			Datasource(datasourceRef(lokiType)).
			WithTarget(lokiRange(byCategory, "{{"+audit.LokiLabelCategory+"}}")).
			DrawStyle(common.GraphDrawStyleBars).
			FillOpacity(80).
			Stacking(stacked()).
			Legend(legend()).
			Unit("short").
			Span(12).Height(9)).
		WithPanel(topTable("Top authors", "Authors with the most events matching the filters. Click one to filter on it.",
			topAuthors, audit.LokiMetaAuthor, "Author", "Events", varAuthor, nil, explorerFilters)).
		WithPanel(topTable("Top summaries", "The most frequent event summaries matching the filters. Click one to filter on it.",
			topSummaries, audit.LokiMetaSummary, "Event Summary", "Events", varSummary, nil, explorerFilters)).
		WithPanel(events)
}
