package exportjobs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestOpenAPIDocumentsEveryRoute keeps docs/openapi/exports.yaml in step with Handler.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi", "exports.yaml"))
	require.NoError(t, err)
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc), "the OpenAPI file parses")
	assert.NotEmpty(t, doc.OpenAPI)
	for path, methods := range map[string][]string{
		"/api/v1/exports":               {"post", "get"},
		"/api/v1/exports/new":           {"get", "post"},
		"/api/v1/exports/{id}":          {"get", "delete"},
		"/api/v1/exports/{id}/download": {"get"},
	} {
		for _, m := range methods {
			assert.Contains(t, doc.Paths[path], m, "%s %s is documented", m, path)
		}
	}
}
