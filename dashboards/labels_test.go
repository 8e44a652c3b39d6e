package dashboards

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

var (
	// String literals are dropped first: their contents (values, regexes, Grafana variables)
	// are not names.
	logqlString = regexp.MustCompile("`[^`]*`|\"(?:[^\"\\\\]|\\\\.)*\"")
	// A matcher or label filter: name followed by a comparison, in a selector or after `|`.
	logqlMatcher = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|==|>=|<=|=|>|<)`)
	// Grouping and vector-matching clauses.
	logqlGrouping    = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	labelValuesQuery = regexp.MustCompile(`label_values\((?:\{[^}]*\}\s*,\s*)?([A-Za-z_][A-Za-z0-9_]*)\)`)
	templateLabel    = regexp.MustCompile(`\{\{\s*(?:\$labels)?\.?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)
)

// logqlNames returns the label and structured-metadata names a LogQL query refers to.
func logqlNames(expr string) []string {
	stripped := logqlString.ReplaceAllString(expr, `""`)
	seen := map[string]bool{}
	for _, m := range logqlMatcher.FindAllStringSubmatch(stripped, -1) {
		seen[m[1]] = true
	}
	for _, m := range logqlGrouping.FindAllStringSubmatch(stripped, -1) {
		for _, name := range strings.Split(m[1], ",") {
			if name = strings.TrimSpace(name); name != "" {
				seen[name] = true
			}
		}
	}
	for _, m := range labelValuesQuery.FindAllStringSubmatch(stripped, -1) {
		seen[m[1]] = true
	}
	return sortedKeys(seen)
}

// groupedNames returns the names of the by (...) clauses of a query: the labels its
// result series carry.
func groupedNames(expr string) map[string]bool {
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`\bby\s*\(([^)]*)\)`).FindAllStringSubmatch(logqlString.ReplaceAllString(expr, `""`), -1) {
		for _, name := range strings.Split(m[1], ",") {
			out[strings.TrimSpace(name)] = true
		}
	}
	return out
}

// templateNames returns the names referred to as {{name}} or {{ $labels.name }}.
func templateNames(s string) []string {
	seen := map[string]bool{}
	for _, m := range templateLabel.FindAllStringSubmatch(s, -1) {
		seen[m[1]] = true
	}
	return sortedKeys(seen)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestLogQLNameExtraction(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`{category="Authentication", outcome=~"fail|x"} | summary="Login failed"`, []string{"category", "outcome", "summary"}},
		{`{service_name=~` + "`${service:regex}`" + `} |= "usr=bob" != "a" | author=~` + "`(?i).*${author:regex}.*`", []string{"author", "service_name"}},
		{`sum by (author, source_ip) (count_over_time({a="1"} | usr="x" [5m])) and on (author) (sum by (author) (count_over_time({a="1"} [5m])) >= 5)`, []string{"a", "author", "source_ip", "usr"}},
		{`label_values(category)`, []string{"category"}},
		{`label_values({service_name="x"}, outcome)`, []string{"outcome", "service_name"}},
		{`count without (event_id) (rate({a="b"} [1m])) > 0`, []string{"a", "event_id"}},
	} {
		assert.Equal(t, tc.want, logqlNames(tc.expr), tc.expr)
	}
	assert.Equal(t, []string{"author", "source_ip"}, templateNames(`{{author}} from {{ $labels.source_ip }}, {{ $value }}`))
}

// foundQuery is one LogQL query or template found in a generated file.
type foundQuery struct{ where, expr, legend string }

func lokiQueriesInDashboards(t *testing.T) []foundQuery {
	t.Helper()
	var out []foundQuery
	for path, pluginType := range dashboardFiles {
		if pluginType != lokiType {
			continue
		}
		dash := loadDashboard(t, path)
		for _, v := range variablesOf(dash) {
			if q, ok := v["query"].(string); ok && v["type"] == "query" {
				out = append(out, foundQuery{where: path + " variable " + v["name"].(string), expr: q})
			}
		}
		for _, panel := range panelsOf(dash) {
			for _, target := range targetsOf(panel) {
				expr, _ := target["expr"].(string)
				legend, _ := target["legendFormat"].(string)
				out = append(out, foundQuery{where: path + " panel " + panel["title"].(string), expr: expr, legend: legend})
			}
		}
	}
	return out
}

func loadLokiRuleFiles(t *testing.T) map[string]RuleFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("alerts", "*", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, paths, "no Loki rule files under alerts/<tenant>/")
	out := make(map[string]RuleFile, len(paths))
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		var rf RuleFile
		require.NoError(t, dec.Decode(&rf), "%s does not parse as rule groups", path)
		out[path] = rf
	}
	return out
}

func TestLokiQueriesUseOnlyNamesTheExporterWrites(t *testing.T) {
	allowed := LokiNames()
	queries := lokiQueriesInDashboards(t)
	for path, rf := range loadLokiRuleFiles(t) {
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				queries = append(queries, foundQuery{where: path + " rule " + r.Alert, expr: r.Expr,
					legend: r.Annotations["summary"] + " " + r.Annotations["description"]})
			}
		}
	}
	require.Greater(t, len(queries), 10)

	for _, q := range queries {
		require.NotEmpty(t, q.expr, q.where)
		names := append(logqlNames(q.expr), templateNames(q.legend)...)
		require.NotEmpty(t, names, "%s: no names found in %q", q.where, q.expr)
		for _, name := range names {
			assert.True(t, allowed[name], "%s uses %q, which the Loki exporter does not write (internal/audit/loki.go)", q.where, name)
		}
	}
}
