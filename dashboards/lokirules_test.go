package dashboards

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

var severities = map[string]bool{severityCritical: true, severityWarning: true}

// assertAlertRule checks what every alert must carry.
func assertAlertRule(t *testing.T, where string, r Rule) {
	t.Helper()
	assert.NotEmpty(t, r.Alert, "%s: alert name", where)
	assert.NotEmpty(t, r.Expr, "%s: expr", where)
	_, err := time.ParseDuration(r.For)
	assert.NoError(t, err, "%s: for", where)
	assert.True(t, severities[r.Labels["severity"]], "%s: labels.severity %q", where, r.Labels["severity"])
	assert.NotEmpty(t, r.Annotations["summary"], "%s: annotations.summary", where)
	assert.NotEmpty(t, r.Annotations["description"], "%s: annotations.description", where)
}

func TestLokiRuleFilesAreCompleteRuleGroups(t *testing.T) {
	for path, rf := range loadLokiRuleFiles(t) {
		tenant := filepath.Base(filepath.Dir(path))
		require.NotEmpty(t, rf.Groups, path)
		for _, g := range rf.Groups {
			require.NotEmpty(t, g.Name, path)
			require.NotEmpty(t, g.Rules, path)
			for _, r := range g.Rules {
				where := path + " " + r.Alert
				assertAlertRule(t, where, r)
				assert.Equal(t, tenant, r.Labels[labelTenant], "%s: tenant label must match the tenant directory", where)

				// Author and IP come from the query's result labels, so the expression
				// must group by them for the annotations to render.
				text := r.Annotations["summary"] + " " + r.Annotations["description"]
				grouped := groupedNames(r.Expr)
				for _, name := range []string{audit.LokiMetaAuthor, audit.LokiMetaSourceIP} {
					assert.Contains(t, text, "$labels."+name, "%s: annotations must name the %s", where, name)
				}
				for _, name := range templateNames(text) {
					assert.True(t, grouped[name], "%s: annotations use %s, which the query does not group by", where, name)
				}
				assert.True(t, strings.Contains(text, tenant), "%s: annotations must name the tenant", where)
			}
		}
	}
}

func TestLokiRulesUseTheDocumentedThresholds(t *testing.T) {
	rules := map[string]Rule{}
	for _, r := range LokiRules("acme").Groups[0].Rules {
		rules[r.Alert] = r
	}
	assert.Contains(t, rules["AuditRepeatedFailedLoginsByAuthor"].Expr, "[10m])) >= 5)")
	assert.Contains(t, rules["AuditRepeatedFailedLoginsFromIP"].Expr, "[10m])) >= 20)")
	assert.Contains(t, rules["AuditPasswordSprayFromIP"].Expr, "[15m]))) >= 10)")
	for _, r := range rules {
		assert.Contains(t, r.Expr, failedLogins)
	}
	assert.Equal(t, `{category="Authentication", outcome="failure"} | summary="Login failed"`, failedLogins)
}
