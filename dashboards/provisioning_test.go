package dashboards

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type datasourceProvisioning struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name           string            `yaml:"name"`
		UID            string            `yaml:"uid"`
		Type           string            `yaml:"type"`
		URL            string            `yaml:"url"`
		JSONData       map[string]any    `yaml:"jsonData"`
		SecureJSONData map[string]string `yaml:"secureJsonData"`
	} `yaml:"datasources"`
}

type dashboardProvisioning struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name    string         `yaml:"name"`
		Type    string         `yaml:"type"`
		Options map[string]any `yaml:"options"`
	} `yaml:"providers"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.FromSlash(path))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(raw, v), path)
}

func TestDatasourceProvisioningSendsTheTenantHeader(t *testing.T) {
	var p datasourceProvisioning
	readYAML(t, "provisioning/datasources/otelcol-audit.yaml", &p)
	assert.Equal(t, 1, p.APIVersion)

	types := map[string]int{}
	for _, ds := range p.Datasources {
		types[ds.Type]++
		assert.NotEmpty(t, ds.UID, ds.Name)
		assert.NotEmpty(t, ds.URL, ds.Name)
		if ds.Type == lokiType {
			assert.Equal(t, "X-Scope-OrgID", ds.JSONData["httpHeaderName1"], ds.Name)
			assert.NotEmpty(t, ds.SecureJSONData["httpHeaderValue1"], "%s: tenant header value", ds.Name)
		}
	}
	assert.Positive(t, types[lokiType])
	assert.Positive(t, types[prometheusType])
}

func TestDashboardProviderPointsAtAFileDirectory(t *testing.T) {
	var p dashboardProvisioning
	readYAML(t, "provisioning/dashboards/otelcol-audit.yaml", &p)
	assert.Equal(t, 1, p.APIVersion)
	require.Len(t, p.Providers, 1)
	assert.Equal(t, "file", p.Providers[0].Type)
	assert.NotEmpty(t, p.Providers[0].Options["path"])
}
