package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/dashboards"
)

func TestRunWritesEveryFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, run([]string{"-out", dir, "-tenants", "acme,globex", "-export-base-url", "https://audit.example.com"}))
	for _, path := range []string{
		"grafana/audit-log-explorer.json",
		"grafana/authentication-security.json",
		"grafana/pipeline-health.json",
		"alerts/acme/otelcol-audit.rules.yaml",
		"alerts/globex/otelcol-audit.rules.yaml",
		"prometheus/otelcol-audit.rules.yaml",
		"prometheus/otelcol-audit.rules.test.yaml",
	} {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(path)))
		assert.NoError(t, err, path)
	}
}

// ruleTenants lists the tenant folders written under alerts/.
func ruleTenants(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, dashboards.LokiRulesDir))
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(dashboards.LokiRulesPath(e.Name()))))
		require.NoError(t, err, "alerts/%s has no rule file", e.Name())
		out = append(out, e.Name())
	}
	return out
}

func TestRunTenantFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"default is the bundled tenants": {nil, dashboards.BundledTenants},
		"comma-separated list":           {[]string{"-tenants", "acme, demo"}, []string{"acme", "demo"}},
		"repeatable single tenant":       {[]string{"-loki-tenant", "acme", "-loki-tenant", "globex"}, []string{"acme", "globex"}},
		"both flags add up":              {[]string{"-tenants", "acme,demo", "-loki-tenant", "globex", "-tenants", "demo"}, []string{"acme", "demo", "globex"}},
		"single-tenant Loki":             {[]string{"-tenants", "fake"}, []string{"fake"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, run(append([]string{"-out", dir}, tc.args...)))
			assert.ElementsMatch(t, tc.want, ruleTenants(t, dir))
		})
	}
}

func TestRunWritesTheTenantIntoItsRules(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, run([]string{"-out", dir, "-tenants", "acme,globex"}))
	for _, tenant := range []string{"acme", "globex"} {
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(dashboards.LokiRulesPath(tenant))))
		require.NoError(t, err)
		assert.Contains(t, string(raw), "tenant: "+tenant)
		assert.Contains(t, string(raw), "(tenant "+tenant+")")
	}
}

func TestRunRejectsBadInput(t *testing.T) {
	for name, args := range map[string][]string{
		"path in tenant":      {"-loki-tenant", "../x"},
		"path in tenant list": {"-tenants", "acme,../x"},
		"empty list item":     {"-tenants", "acme,,demo"},
		"empty list":          {"-tenants", ""},
		"tenant with space":   {"-tenants", "a b"},
		"empty export url":    {"-export-base-url", ""},
		"unknown flag":        {"-no-such-flag"},
		"stray argument":      {"acme"},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Error(t, run(append([]string{"-out", t.TempDir()}, args...)))
		})
	}
}
