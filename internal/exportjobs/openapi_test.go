package exportjobs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
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

// openAPIDoc is the part of docs/openapi/exports.yaml the parameter tests read.
type openAPIDoc struct {
	Paths map[string]struct {
		Get  openAPIOperation `yaml:"get"`
		Post openAPIOperation `yaml:"post"`
	} `yaml:"paths"`
	Components struct {
		Schemas map[string]openAPISchema `yaml:"schemas"`
	} `yaml:"components"`
}

type openAPIOperation struct {
	Parameters []struct {
		Name   string `yaml:"name"`
		Schema struct {
			Enum []string `yaml:"enum"`
		} `yaml:"schema"`
	} `yaml:"parameters"`
	RequestBody struct {
		Content map[string]struct {
			Schema openAPISchema `yaml:"schema"`
		} `yaml:"content"`
	} `yaml:"requestBody"`
}

type openAPISchema struct {
	Properties map[string]struct {
		Enum []string `yaml:"enum"`
	} `yaml:"properties"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi", "exports.yaml"))
	require.NoError(t, err)
	var doc openAPIDoc
	require.NoError(t, yaml.Unmarshal(b, &doc))
	return doc
}

// jsonNames returns the JSON names of a struct's fields, embedded structs included.
func jsonNames(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous && name == "":
			out = append(out, jsonNames(f.Type)...)
		case name != "" && name != "-":
			out = append(out, name)
		}
	}
	return out
}

// TestOpenAPIDocumentsEveryParameter: every parameter the parsers accept, scope included,
// is documented, and the scope values are the ones the parsers know.
func TestOpenAPIDocumentsEveryParameter(t *testing.T) {
	doc := loadOpenAPI(t)
	scopes := []string{ScopeAll, ScopeView}

	link := doc.Paths[LinkPath]
	documented := map[string][]string{}
	for _, p := range link.Get.Parameters {
		documented[p.Name] = p.Schema.Enum
	}
	form := link.Post.RequestBody.Content["application/x-www-form-urlencoded"].Schema.Properties
	for name := range queryParams {
		assert.Contains(t, documented, name, "GET %s parameter", LinkPath)
		assert.Contains(t, form, name, "POST %s form field", LinkPath)
	}
	assert.ElementsMatch(t, scopes, documented["scope"])
	assert.ElementsMatch(t, scopes, form["scope"].Enum)

	req := doc.Components.Schemas["ExportRequest"].Properties
	for _, name := range jsonNames(reflect.TypeFor[requestJSON]()) {
		assert.Contains(t, req, name, "ExportRequest property")
	}
	assert.ElementsMatch(t, scopes, req["scope"].Enum)

	export := doc.Components.Schemas["Export"].Properties
	for _, name := range []string{"scope", "scope_description"} {
		assert.Contains(t, export, name, "Export property")
	}
	assert.ElementsMatch(t, scopes, export["scope"].Enum)
}
