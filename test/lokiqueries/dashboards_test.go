package lokiqueries

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// queryCase is one way a user looks at the dashboards: a tenant (the Loki datasource's
// X-Scope-OrgID) and the variables' selections. Variables a case does not name keep their
// defaults: "All" for query variables, the default text for text boxes (empty).
type queryCase struct {
	name   string
	tenant string
	choose map[string]selection
}

var queryCases = []queryCase{
	{name: "defaults", tenant: tenantBusy},
	{
		// One value of each list, and every text box set; the texts need regex escaping
		// (dots) and case-insensitive matching.
		name: "the burst's failed logins", tenant: tenantBusy,
		choose: map[string]selection{
			"service":   pick("lms"),
			"category":  pick(audit.CategoryAuthentication),
			"outcome":   pick(audit.OutcomeFailure),
			"author":    pick(strings.ToUpper("victim@" + tenantBusy + ".example")),
			"summary":   pick("login failed"),
			"source_ip": pick(burstSourceIP),
		},
	},
	{
		name: "two categories and a summary text", tenant: tenantBusy,
		choose: map[string]selection{
			"category": pick(audit.CategoryAuthentication, audit.CategoryCourses),
			"outcome":  allSelected,
			"summary":  pick("log"),
		},
	},
	{name: "normal activity only", tenant: tenantQuiet},
}

// timeRanges are the dashboard's own default range and a short one, which gives other
// intervals and steps.
var timeRanges = []string{"", "now-1h"}

// noData lists the panel queries that legitimately find nothing for the loaded events, by
// case and panel title, with the reason. Every other query must return data.
var noData = map[string]map[string]string{
	"normal activity only": {
		"Successful logins after a burst of failures": "normal activity has no author with 5 failed logins in 15 minutes",
	},
}

// checkDashboards runs every Loki query of every generated dashboard for each case and
// time range, with the variables expanded as Grafana expands them.
func checkDashboards(t *testing.T, loki *testharness.Loki, l loaded) {
	dashboards := loadDashboards(t)
	var lokiTargets int
	for _, d := range dashboards {
		lokiTargets += len(d.targets)
	}
	require.GreaterOrEqual(t, lokiTargets, 9, "Loki panel queries found in dashboards/grafana")

	now := time.Now()
	// The events end at l.to; a range ending before it would cut the newest ones.
	if now.Before(l.to) {
		now = l.to
	}
	ran := map[string]bool{}
	hadData := map[string]bool{}
	for _, d := range dashboards {
		if len(d.targets) == 0 {
			continue
		}
		for _, from := range timeRanges {
			if from == "" {
				from = d.timeFrom
			}
			rng := relativeRange(t, from, now)
			require.False(t, rng.from.After(l.from), "%s: range %s does not cover the loaded events", d.path, from)
			for _, qc := range queryCases {
				options := variableOptions(t, loki, qc.tenant, d, rng)
				chosen, all := selections(t, d, qc, options)
				for _, tg := range d.targets {
					expr, err := interpolateVariables(tg.Expr, d.variables, options, chosen, all)
					require.NoError(t, err, "%s panel %q", d.path, tg.panel)
					req, err := interpolateBuiltins(tg, expr, rng)
					require.NoError(t, err, "%s panel %q", d.path, tg.panel)
					require.False(t, leftoverVariable.MatchString(req.expr), "%s panel %q: unexpanded variable in %s", d.path, tg.panel, req.expr)

					key := fmt.Sprintf("%s|%s|%s|%s", qc.tenant, from, tg.panel, req.expr)
					if ran[key] {
						continue
					}
					ran[key] = true
					where := fmt.Sprintf("%s panel %q, case %q, range %s, tenant %s:\n%s", d.path, tg.panel, qc.name, from, qc.tenant, req.expr)
					got := runPanelQuery(t, loki, qc.tenant, req, where)
					checkLegend(t, tg, got, where)

					reason, empty := noData[qc.name][tg.panel]
					if empty {
						assert.Zero(t, got.points, "%s\nis listed as having no data (%s) but returned some", where, reason)
					} else {
						assert.Positive(t, got.points, "%s\nreturned no data", where)
					}
					hadData[qc.name+"|"+tg.panel] = hadData[qc.name+"|"+tg.panel] || got.points > 0
				}
			}
		}
	}
	// Each entry of noData names a query that ran.
	for name, panels := range noData {
		for panel := range panels {
			_, ran := hadData[name+"|"+panel]
			assert.True(t, ran, "noData names case %q panel %q, which no dashboard has", name, panel)
		}
	}
}

// variableOptions asks Loki for the values of each query variable, as Grafana does when the
// dashboard loads (label_values → the label values API over the time range).
func variableOptions(t *testing.T, loki *testharness.Loki, tenant string, d dashboard, rng timeRange) map[string][]string {
	t.Helper()
	labelValues := regexp.MustCompile(`^label_values\(\s*(?:(\{.*\})\s*,\s*)?([A-Za-z_][A-Za-z0-9_]*)\s*\)$`)
	out := map[string][]string{}
	for _, v := range d.variables {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		m := labelValues.FindStringSubmatch(q)
		require.NotNil(t, m, "%s variable %s: query %q is not label_values(...), which this test reproduces", d.path, v.Name, v.Query)
		params := url.Values{
			"start": {strconv.FormatInt(rng.from.UnixNano(), 10)},
			"end":   {strconv.FormatInt(rng.to.UnixNano(), 10)},
		}
		if m[1] != "" {
			params.Set("query", m[1])
		}
		status, body := loki.Get(t, tenant, "/loki/api/v1/label/"+m[2]+"/values", params)
		require.Equal(t, http.StatusOK, status, "%s variable %s: %s", d.path, v.Name, body)
		var ans struct {
			Data []string `json:"data"`
		}
		require.NoError(t, json.Unmarshal(body, &ans))
		require.NotEmpty(t, ans.Data, "%s variable %s offers no values for tenant %s", d.path, v.Name, tenant)
		out[v.Name] = ans.Data
	}
	return out
}

// selections resolves a case's choices against a dashboard's variables: every chosen value
// must be one the variable offers, as in Grafana's picker.
func selections(t *testing.T, d dashboard, qc queryCase, options map[string][]string) (map[string][]string, map[string]bool) {
	t.Helper()
	chosen := map[string][]string{}
	all := map[string]bool{}
	for _, v := range d.variables {
		sel, named := qc.choose[v.Name]
		switch v.Type {
		case "datasource":
			// The tenant's datasource; queries refer to it by uid only.
		case "query":
			if !named || sel.all {
				require.True(t, v.IncludeAll, "%s variable %s has no \"All\"; choose a value in case %q", d.path, v.Name, qc.name)
				all[v.Name] = true
				continue
			}
			require.True(t, v.Multi || len(sel.values) == 1, "%s variable %s takes one value", d.path, v.Name)
			for _, value := range sel.values {
				require.Contains(t, options[v.Name], value, "%s variable %s in case %q", d.path, v.Name, qc.name)
			}
			chosen[v.Name] = sel.values
		case "textbox":
			text, _ := v.Query.(string)
			if named {
				require.Len(t, sel.values, 1, "text box %s", v.Name)
				text = sel.values[0]
			}
			chosen[v.Name] = []string{text}
		default:
			t.Fatalf("%s variable %s: type %q is not reproduced by this test", d.path, v.Name, v.Type)
		}
	}
	return chosen, all
}

// panelResult is the part of an answer the checks need.
type panelResult struct {
	resultType string
	// points counts log lines, or samples with a value other than 0.
	points int
	// labels are the label sets of the series or streams.
	labels []map[string]string
}

// runPanelQuery sends the request to the endpoint Grafana's Loki datasource uses: instant
// queries to /query, range queries (logs and metrics) to /query_range.
func runPanelQuery(t *testing.T, loki *testharness.Loki, tenant string, req lokiRequest, where string) panelResult {
	t.Helper()
	params := url.Values{
		"query":     {req.expr},
		"limit":     {strconv.Itoa(req.limit)},
		"direction": {req.direction},
	}
	path := "/loki/api/v1/query_range"
	if req.instant {
		path = "/loki/api/v1/query"
		params.Set("time", strconv.FormatInt(req.rng.to.UnixNano(), 10))
	} else {
		params.Set("start", strconv.FormatInt(req.rng.from.UnixNano(), 10))
		params.Set("end", strconv.FormatInt(req.rng.to.UnixNano(), 10))
		params.Set("step", strconv.FormatFloat(req.step.Seconds(), 'f', -1, 64))
	}
	status, body := loki.Get(t, tenant, path, params)
	require.Equal(t, http.StatusOK, status, "%s\n%s: %s", where, path, body)

	// Every audit event names its tenant in its event id or author: another tenant's name
	// in the answer would be data crossing tenants.
	for _, other := range []string{tenantBusy, tenantQuiet} {
		if other != tenant {
			assert.NotContains(t, string(body), other, "%s\nanswer carries data of tenant %s", where, other)
		}
	}

	var ans struct {
		Status string `json:"status"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Stream map[string]string `json:"stream"`
				Metric map[string]string `json:"metric"`
				Values [][]any           `json:"values"`
				Value  []any             `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &ans), "%s: %.300s", where, body)
	res := panelResult{resultType: ans.Data.ResultType}
	wantType := map[bool][]string{true: {"vector"}, false: {"matrix", "streams"}}[req.instant]
	require.Contains(t, wantType, res.resultType, where)
	nonZero := func(v any) bool {
		s, _ := v.(string)
		f, err := strconv.ParseFloat(s, 64)
		return err == nil && f != 0
	}
	for _, r := range ans.Data.Result {
		switch res.resultType {
		case "streams":
			res.labels = append(res.labels, r.Stream)
			res.points += len(r.Values)
		case "matrix":
			res.labels = append(res.labels, r.Metric)
			for _, v := range r.Values {
				if len(v) == 2 && nonZero(v[1]) {
					res.points++
				}
			}
		case "vector":
			res.labels = append(res.labels, r.Metric)
			if len(r.Value) == 2 && nonZero(r.Value[1]) {
				res.points++
			}
		}
	}
	return res
}

var legendLabel = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// checkLegend checks that the series carry every label the panel's legend names.
func checkLegend(t *testing.T, tg target, got panelResult, where string) {
	t.Helper()
	if got.resultType == "streams" {
		return
	}
	for _, m := range legendLabel.FindAllStringSubmatch(tg.LegendFormat, -1) {
		for _, series := range got.labels {
			assert.NotEmpty(t, series[m[1]], "%s\nlegend %q: a series has no %s", where, tg.LegendFormat, m[1])
		}
	}
}
