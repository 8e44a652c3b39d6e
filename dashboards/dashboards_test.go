package dashboards

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dashboardFiles maps each committed dashboard to the datasource type it queries.
var dashboardFiles = map[string]string{
	ExplorerPath: lokiType,
	AuthPath:     lokiType,
	PipelinePath: prometheusType,
}

type jsonObject = map[string]any

func loadDashboard(t *testing.T, path string) jsonObject {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var dash jsonObject
	require.NoError(t, json.Unmarshal(raw, &dash))
	return dash
}

// panelsOf returns every panel, including those nested in rows.
func panelsOf(dash jsonObject) []jsonObject {
	var out []jsonObject
	var walk func(list []any)
	walk = func(list []any) {
		for _, p := range list {
			panel := p.(jsonObject)
			if panel["type"] == "row" {
				nested, _ := panel["panels"].([]any)
				walk(nested)
				continue
			}
			out = append(out, panel)
		}
	}
	list, _ := dash["panels"].([]any)
	walk(list)
	return out
}

func variablesOf(dash jsonObject) []jsonObject {
	templating, _ := dash["templating"].(jsonObject)
	list, _ := templating["list"].([]any)
	out := make([]jsonObject, 0, len(list))
	for _, v := range list {
		out = append(out, v.(jsonObject))
	}
	return out
}

func targetsOf(panel jsonObject) []jsonObject {
	list, _ := panel["targets"].([]any)
	out := make([]jsonObject, 0, len(list))
	for _, v := range list {
		out = append(out, v.(jsonObject))
	}
	return out
}

func assertTemplatedDatasource(t *testing.T, where string, ds any, pluginType string) {
	t.Helper()
	ref, ok := ds.(jsonObject)
	if !assert.True(t, ok, "%s has no datasource", where) {
		return
	}
	assert.Equal(t, "${"+varDatasource+"}", ref["uid"], "%s must use the datasource variable", where)
	assert.Equal(t, pluginType, ref["type"], "%s datasource type", where)
}

func TestEveryPanelUsesTheDatasourceVariable(t *testing.T) {
	for path, pluginType := range dashboardFiles {
		t.Run(path, func(t *testing.T) {
			dash := loadDashboard(t, path)

			var dsVars int
			for _, v := range variablesOf(dash) {
				switch v["type"] {
				case "datasource":
					dsVars++
					assert.Equal(t, varDatasource, v["name"])
					assert.Equal(t, pluginType, v["query"])
				case "query", "adhoc":
					assertTemplatedDatasource(t, "variable "+v["name"].(string), v["datasource"], pluginType)
				}
			}
			assert.Equal(t, 1, dsVars, "exactly one datasource variable")

			panels := panelsOf(dash)
			require.NotEmpty(t, panels)
			for _, panel := range panels {
				title := panel["title"].(string)
				assertTemplatedDatasource(t, "panel "+title, panel["datasource"], pluginType)
				for _, target := range targetsOf(panel) {
					assertTemplatedDatasource(t, "a query of panel "+title, target["datasource"], pluginType)
				}
			}
		})
	}
}

func TestExplorerHasTheRequiredFiltersAndPanels(t *testing.T) {
	dash := loadDashboard(t, ExplorerPath)
	vars := map[string]string{}
	for _, v := range variablesOf(dash) {
		vars[v["name"].(string)] = v["type"].(string)
	}
	assert.Equal(t, "query", vars[varCategory])
	assert.Equal(t, "query", vars[varOutcome])
	assert.Equal(t, "textbox", vars[varAuthor])
	assert.Equal(t, "textbox", vars[varSummary])
	assert.Equal(t, "textbox", vars[varSourceIP])
	assert.Equal(t, "textbox", vars[varExportBaseURL])

	titles := map[string]jsonObject{}
	for _, p := range panelsOf(dash) {
		titles[p["title"].(string)] = p
	}
	for _, want := range []string{"Audit events", "Events over time by category", "Top authors", "Top summaries"} {
		assert.Contains(t, titles, want)
	}

	raw, err := json.Marshal(titles["Audit events"])
	require.NoError(t, err)
	for _, column := range []string{"Date", "Author", "Event Category", "Event Summary", "Description", "Outcome", "Source IP"} {
		assert.Contains(t, string(raw), `"`+column+`"`, "events table column")
	}

	// Drill-down: the top tables link back to the explorer with the filter set.
	for title, variable := range map[string]string{"Top authors": varAuthor, "Top summaries": varSummary} {
		raw, err := json.Marshal(titles[title])
		require.NoError(t, err)
		assert.Contains(t, string(raw), "var-"+variable+"=${__value.raw:percentencode}", title)
	}

	// The export links: the complete log file carries no filters, the view carries them all
	// (explorer_test.go checks both against the export API's parser).
	links, _ := dash["links"].([]any)
	urls := map[string]string{}
	for _, l := range links {
		urls[l.(jsonObject)["title"].(string)] = l.(jsonObject)["url"].(string)
	}
	for _, title := range []string{"Generate log file (CSV)", "Generate log file (XLSX)", "Export this view (CSV)", "Export this view (XLSX)"} {
		url := urls[title]
		assert.True(t, strings.HasPrefix(url, "${export_base_url}/api/v1/exports/new?"), "%s: %s", title, url)
		for _, param := range []string{"from=${__from:date:iso}", "to=${__to:date:iso}", "tenant="} {
			assert.Contains(t, url, param, title)
		}
		for _, param := range []string{"categories=", "outcomes=", "author=", "summary=", "source_ip="} {
			if strings.HasPrefix(title, "Export this view") {
				assert.Contains(t, url, param, title)
			} else {
				assert.NotContains(t, url, param, title)
			}
		}
	}
}
