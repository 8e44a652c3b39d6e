package dashboards

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

const regenerate = "regenerate with `go run ./cmd/dashgen -out dashboards`"

// generatedDirs hold only generated files.
var generatedDirs = []string{"grafana", "alerts", "prometheus"}

func TestCommittedFilesMatchGenerator(t *testing.T) {
	dir := t.TempDir()
	paths, err := Write(dir, DefaultOptions())
	require.NoError(t, err)
	require.NotEmpty(t, paths)

	generated := make(map[string]bool, len(paths))
	for _, path := range paths {
		generated[path] = true
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.FromSlash(path))
		if !assert.NoError(t, err, "%s is not committed; %s", path, regenerate) {
			continue
		}
		assert.True(t, bytes.Equal(want, got), "%s differs from the generator's output; %s", path, regenerate)
	}

	for _, root := range generatedDirs {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			assert.True(t, generated[filepath.ToSlash(path)], "%s is not produced by the generator any more; delete it or %s", path, regenerate)
			return nil
		})
		require.NoError(t, err)
	}
}

func TestGeneratorIsDeterministic(t *testing.T) {
	first, err := Files(DefaultOptions())
	require.NoError(t, err)
	second, err := Files(DefaultOptions())
	require.NoError(t, err)
	assert.Equal(t, first, second)
}

func TestGeneratorWritesOneLokiRuleFilePerTenant(t *testing.T) {
	files, err := Files(Options{ExportBaseURL: "https://audit.example.com", LokiTenants: []string{"acme", "globex"}})
	require.NoError(t, err)
	assert.Contains(t, files, "alerts/acme/otelcol-audit.rules.yaml")
	assert.Contains(t, files, "alerts/globex/otelcol-audit.rules.yaml")
	assert.Contains(t, string(files["alerts/globex/otelcol-audit.rules.yaml"]), "tenant: globex")
	assert.Contains(t, string(files[ExplorerPath]), `"https://audit.example.com"`)
}

// TestBundledTenantsMatchTheDefaultConfig keeps the committed rule files in step with the
// tenants the bundled configuration writes: every tenant a token of config/default.yaml may
// write has its rules.
func TestBundledTenantsMatchTheDefaultConfig(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "config", "default.yaml"))
	require.NoError(t, err)
	var cfg struct {
		Extensions struct {
			Auth struct {
				Tokens []struct {
					Tenants []string `yaml:"tenants"`
				} `yaml:"tokens"`
			} `yaml:"audit_auth"`
		} `yaml:"extensions"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	var tenants []string
	for _, tok := range cfg.Extensions.Auth.Tokens {
		for _, tenant := range tok.Tenants {
			if !slices.Contains(tenants, tenant) {
				tenants = append(tenants, tenant)
			}
		}
	}
	require.NotEmpty(t, tenants, "config/default.yaml: audit_auth tokens name no tenants")
	assert.ElementsMatch(t, tenants, BundledTenants)
	assert.ElementsMatch(t, tenants, DefaultOptions().LokiTenants)
	for _, tenant := range tenants {
		_, err := os.Stat(filepath.FromSlash(LokiRulesPath(tenant)))
		assert.NoError(t, err, "tenant %s has no committed Loki rules; %s", tenant, regenerate)
	}
}

func TestGeneratorRejectsBadOptions(t *testing.T) {
	for name, opts := range map[string]Options{
		"no tenants":         {ExportBaseURL: DefaultExportBaseURL},
		"empty export url":   {LokiTenants: []string{"acme"}},
		"path in tenant":     {ExportBaseURL: DefaultExportBaseURL, LokiTenants: []string{"../etc"}},
		"dot tenant":         {ExportBaseURL: DefaultExportBaseURL, LokiTenants: []string{".."}},
		"empty tenant":       {ExportBaseURL: DefaultExportBaseURL, LokiTenants: []string{""}},
		"tenant with spaces": {ExportBaseURL: DefaultExportBaseURL, LokiTenants: []string{"a b"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Files(opts)
			assert.Error(t, err)
		})
	}
}
