package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// Template variable names. Data links and the export link refer to them by name.
const (
	varDatasource    = "datasource"
	varService       = "service"
	varCategory      = "category"
	varOutcome       = "outcome"
	varAuthor        = "author"
	varSummary       = "summary"
	varSourceIP      = "source_ip"
	varTenant        = "tenant"
	varExportBaseURL = "export_base_url"
)

// Dashboard UIDs, stable so that links between dashboards keep working.
const (
	uidExplorer = "otelcol-audit-explorer"
	uidAuth     = "otelcol-audit-auth"
	uidPipeline = "otelcol-audit-pipeline"
)

const (
	lokiType       = "loki"
	prometheusType = "prometheus"
)

// datasourceRef points a panel or query at the dashboard's datasource variable, so the
// dashboard works with any datasource name.
func datasourceRef(pluginType string) common.DataSourceRef {
	return common.DataSourceRef{Type: ptr(pluginType), Uid: ptr("${" + varDatasource + "}")}
}

func datasourceVariable(pluginType, label string) *dashboard.DatasourceVariableBuilder {
	return dashboard.NewDatasourceVariableBuilder(varDatasource).Label(label).Type(pluginType)
}

func ptr[T any](v T) *T { return &v }

func str(s string) dashboard.StringOrMap { return dashboard.StringOrMap{String: ptr(s)} }

// transformation renders a panel transformation; options are plugin-defined.
func transformation(id string, options map[string]any) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: id, Options: options}
}

// organize keeps fields in the given order under new names and hides the rest.
func organize(order []string, rename map[string]string, exclude []string) dashboard.DataTransformerConfig {
	index := make(map[string]any, len(order))
	for i, name := range order {
		index[name] = i
	}
	excluded := make(map[string]any, len(exclude))
	for _, name := range exclude {
		excluded[name] = true
	}
	renamed := make(map[string]any, len(rename))
	for k, v := range rename {
		renamed[k] = v
	}
	return transformation("organize", map[string]any{
		"indexByName":   index,
		"renameByName":  renamed,
		"excludeByName": excluded,
	})
}

// link is a data link or dashboard link opening url in the same tab.
type link struct {
	title, url string
	newTab     bool
}

func (l link) Build() (dashboard.DashboardLink, error) {
	return dashboard.DashboardLink{
		Title:       l.title,
		Type:        dashboard.DashboardLinkTypeLink,
		Url:         ptr(l.url),
		Tags:        []string{},
		TargetBlank: l.newTab,
		Icon:        "external link",
	}, nil
}

// linksProperty is a field override property carrying data links, in the shape Grafana's
// field config stores them.
func linksProperty(links ...link) dashboard.DynamicConfigValue {
	built := make([]map[string]any, 0, len(links))
	for _, l := range links {
		built = append(built, map[string]any{"title": l.title, "url": l.url, "targetBlank": l.newTab})
	}
	return dashboard.DynamicConfigValue{Id: "links", Value: built}
}

// explorerFilterURL opens the audit log explorer with the current time range and datasource,
// with filter variable set to the clicked value, and the other filters kept where the source
// dashboard has them.
func explorerFilterURL(variable string, keep ...string) string {
	params := []string{"${__url_time_range}", "${" + varDatasource + ":queryparam}"}
	for _, k := range keep {
		if k != variable {
			params = append(params, "${"+k+":queryparam}")
		}
	}
	params = append(params, fmt.Sprintf("var-%s=${__value.raw:percentencode}", variable))
	return "/d/" + uidExplorer + "/audit-log-explorer?" + strings.Join(params, "&")
}

// alertListPanel is Grafana's built-in "alertlist" panel, which the SDK has no builder for.
// It lists the alert rules whose name contains nameFilter, from Grafana and from every
// datasource with manageAlerts enabled (the Loki ruler's and Prometheus's rules).
type alertListPanel struct {
	title, description string
	nameFilter         string
	w, h               uint32
}

func (p alertListPanel) Build() (dashboard.Panel, error) {
	panel := dashboard.NewPanel()
	panel.Type = "alertlist"
	panel.Title = ptr(p.title)
	panel.Description = ptr(p.description)
	ds := datasourceRef(lokiType)
	panel.Datasource = &ds
	panel.GridPos = &dashboard.GridPos{W: p.w, H: p.h}
	panel.Options = map[string]any{
		"viewMode":                 "list",
		"groupMode":                "default",
		"groupBy":                  []string{},
		"maxItems":                 50,
		"sortOrder":                1,
		"dashboardAlerts":          false,
		"alertName":                p.nameFilter,
		"alertInstanceLabelFilter": "",
		"stateFilter": map[string]any{
			"firing": true, "pending": true, "noData": false, "normal": true, "error": true,
		},
	}
	return *panel, nil
}

var _ cog.Builder[dashboard.Panel] = alertListPanel{}

// legend is the bottom list legend every time series panel uses.
func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().
		DisplayMode(common.LegendDisplayModeList).
		Placement(common.LegendPlacementBottom).
		ShowLegend(true)
}

func stacked() *common.StackingConfigBuilder {
	return common.NewStackingConfigBuilder().Mode(common.StackingModeNormal)
}
