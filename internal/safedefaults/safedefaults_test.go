package safedefaults

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func TestBundledConfigOnLoopbackIsAccepted(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("..", "..", "config", "default.yaml"))
	require.NoError(t, err)
	require.NoError(t, NewFactory().Create(confmap.ConverterSettings{}).Convert(context.Background(), cm))
}

func TestDemoSecretBeyondLoopbackIsRefused(t *testing.T) {
	raw := map[string]any{
		"extensions": map[string]any{"audit_auth": map[string]any{"tokens": []any{map[string]any{"token": "demo-token-change-me-0123456789"}}}},
		"receivers": map[string]any{"otlp": map[string]any{"protocols": map[string]any{
			"grpc": map[string]any{"endpoint": "0.0.0.0:4317"},
			"http": map[string]any{"endpoint": "127.0.0.1:4318"},
		}}},
		"exporters": map[string]any{"audit_loki": map[string]any{"endpoint": "http://loki.example.com:3100"}},
	}
	err := Check(raw)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "extensions::audit_auth::tokens::0::token")
	assert.Contains(t, err.Error(), "receivers::otlp::protocols::grpc::endpoint (0.0.0.0:4317)")

	raw["receivers"].(map[string]any)["otlp"].(map[string]any)["protocols"].(map[string]any)["grpc"] = map[string]any{"endpoint": "localhost:4317"}
	assert.NoError(t, Check(raw), "an exporter's remote endpoint is no listener")

	// The report engine connects to its mail server and its Loki source: no listeners.
	reporter := map[string]any{
		"smtp":   map[string]any{"endpoint": "smtp.example.com:587"},
		"source": map[string]any{"loki": map[string]any{"endpoint": "http://loki.example.com:3100"}},
	}
	raw["extensions"].(map[string]any)["audit_reporter"] = reporter
	assert.NoError(t, Check(raw), "the report engine's SMTP server and Loki source are no listeners")

	// Its links server, which serves downloads and the export API, is one.
	reporter["links"] = map[string]any{"server": map[string]any{"endpoint": ":8089"}}
	assert.ErrorContains(t, Check(raw), "extensions::audit_reporter::links::server::endpoint (:8089)")

	delete(raw, "extensions")
	assert.NoError(t, Check(raw), "no demo secret, nothing to refuse")
}

func TestBundledConfigExposedIsRefused(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "default.yaml"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "exposed.yaml")
	require.NoError(t, os.WriteFile(path, []byte(string(data)), 0o600))
	cm, err := confmaptest.LoadConf(path)
	require.NoError(t, err)
	raw := cm.ToStringMap()
	raw["receivers"].(map[string]any)["audit_webhook"].(map[string]any)["server"].(map[string]any)["endpoint"] = "0.0.0.0:8088"
	// The bundled config's secrets are ${env:...:-demo} references; expanded they hold the marker.
	raw["extensions"].(map[string]any)["audit_auth"].(map[string]any)["tokens"].([]any)[0].(map[string]any)["token"] = "demo-token-change-me-0123456789"
	assert.ErrorContains(t, Check(raw), "receivers::audit_webhook::server::endpoint (0.0.0.0:8088)")
}

func TestBundledReportLinksExposedAreRefused(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("..", "..", "config", "default.yaml"))
	require.NoError(t, err)
	raw := cm.ToStringMap()
	reporter := raw["extensions"].(map[string]any)["audit_reporter"].(map[string]any)
	reporter["links"].(map[string]any)["server"].(map[string]any)["endpoint"] = "0.0.0.0:8089"
	err = Check(raw)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "extensions::audit_reporter::links::server::endpoint (0.0.0.0:8089)")
	assert.Contains(t, err.Error(), "extensions::audit_reporter::links::keys::demo")
}
