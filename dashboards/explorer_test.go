package dashboards

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
)

// expandLink substitutes the variables of an export link template the way Grafana does for
// the given values: lists joined by commas, text boxes percent-encoded.
func expandLink(t *testing.T, template string, lists map[string]string, texts map[string]string) url.Values {
	t.Helper()
	pairs := []string{
		"${" + varExportBaseURL + "}", "http://127.0.0.1:8089",
		"${" + varTenant + ":percentencode}", "demo",
		"${__from:date:iso}", "2026-11-01T00:00:00.000Z",
		"${__to:date:iso}", "2026-11-02T00:00:00.000Z",
	}
	for name, v := range lists {
		pairs = append(pairs, "${"+name+":csv}", v)
	}
	for name, v := range texts {
		pairs = append(pairs, "${"+name+":percentencode}", url.QueryEscape(v))
	}
	expanded := strings.NewReplacer(pairs...).Replace(template)
	require.NotContains(t, expanded, "${", "every variable is substituted")
	u, err := url.Parse(expanded)
	require.NoError(t, err)
	assert.Equal(t, exportjobs.LinkPath, u.Path)
	return u.Query()
}

// TestExportLinksMatchTheExportAPI: both links, filled in as Grafana fills them, are export
// requests the API accepts, with the scope their titles promise.
func TestExportLinksMatchTheExportAPI(t *testing.T) {
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	lists := map[string]string{varService: "web,lms", varCategory: "Authentication", varOutcome: "failure"}
	texts := map[string]string{varAuthor: "alice smith", varSummary: "", varSourceIP: "203.0."}

	for _, format := range []string{"csv", "xlsx"} {
		q := expandLink(t, ExportURLTemplate(ExportScopeAll, format), lists, texts)
		req, err := exportjobs.ParseQuery(q, now)
		require.NoError(t, err)
		assert.Equal(t, exportjobs.ScopeAll, req.Scope)
		assert.Equal(t, exportjobs.Filters{}, req.Filters, "the log file ignores the dashboard's filters")
		assert.Equal(t, "demo", req.Tenant)
		assert.Equal(t, format, req.Format)

		q = expandLink(t, ExportURLTemplate(ExportScopeView, format), lists, texts)
		req, err = exportjobs.ParseQuery(q, now)
		require.NoError(t, err)
		assert.Equal(t, exportjobs.ScopeView, req.Scope)
		assert.Equal(t, exportjobs.Filters{
			Services: []string{"web", "lms"}, Categories: []string{"Authentication"}, Outcomes: []string{"failure"},
			AuthorContains: "alice smith", SourceIPContains: "203.0.",
		}, req.Filters)
		assert.Equal(t, format, req.Format)
	}
	assert.Equal(t, ExportScopeAll, exportjobs.ScopeAll)
	assert.Equal(t, ExportScopeView, exportjobs.ScopeView)
}
