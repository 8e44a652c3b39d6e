package auditlokiexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestUnmarshalDefaultConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig()
	require.NoError(t, confmap.New().Unmarshal(&cfg))
	assert.Equal(t, NewFactory().CreateDefaultConfig(), cfg)
	// The default has no endpoint: the user must name Loki.
	assert.ErrorContains(t, confmap.Validate(cfg), "endpoint")
}

func TestLoadConfig(t *testing.T) {
	cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewID(metadata.Type))
	require.NoError(t, err)
	assert.Equal(t, "http://localhost:3100/loki/api/v1/push", cfg.pushURL())
	assert.Equal(t, TenantModePerRecord, cfg.Tenant.Mode)
	assert.Equal(t, LineFormatText, cfg.LineFormat)
	assert.Equal(t, 256<<10, cfg.Limits.MaxLineSize)
	assert.Equal(t, 100, cfg.Labels.MaxValuesPerLabel)

	full, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewIDWithName(metadata.Type, "full"))
	require.NoError(t, err)
	assert.Equal(t, "https://loki.example.com/insert/loki/api/v1/push", full.pushURL())
	assert.Equal(t, 10*time.Second, full.ClientConfig.Timeout)
	assert.Equal(t, TenantConfig{Mode: TenantModeFixed, ID: "acme"}, full.Tenant)
	assert.Equal(t, LineFormatJSON, full.LineFormat)
	assert.Equal(t, map[string]string{"audit.source": "audit_source_profile", "deployment.environment": "env"}, full.Labels.Attributes)
	assert.Equal(t, 50, full.Labels.MaxValuesPerLabel)
	assert.Equal(t, 131072, full.Limits.MaxLineSize)
	assert.Equal(t, 5*time.Minute, full.Limits.MaxFuture)
	assert.Zero(t, full.Limits.MaxAge)
	assert.Equal(t, 2048, full.Limits.MaxLabelValueLength, "unset keys keep their defaults")
	assert.Equal(t, DeadLetterConfig{Path: "/tmp/dlq.jsonl", MaxSizeMiB: 10, MaxBackups: 3, Markers: true}, full.DeadLetter)
	require.True(t, full.QueueConfig.HasValue())
	require.NotNil(t, full.QueueConfig.Get().StorageID)
	assert.Equal(t, "file_storage", full.QueueConfig.Get().StorageID.String())
	assert.Equal(t, int64(5000), full.QueueConfig.Get().QueueSize)
	assert.Zero(t, full.RetryConfig.MaxElapsedTime)
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
	}{
		{"typo.yaml", "line_fromat"},
		{"unbounded_label.yaml", "labels::attributes::audit.author: field is unbounded"},
		{"dotted_label.yaml", `use "k8s_namespace_name"`},
		{"bad_tenant_mode.yaml", `tenant::mode: "header"`},
		{"bad_line_format.yaml", `line_format: "xml"`},
		{"fixed_without_id.yaml", "tenant::id: tenant id is empty"},
		{"no_endpoint.yaml", "endpoint: must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := testharness.LoadConfig[*Config](t, NewFactory(), filepath.Join("testdata", tt.file), component.NewID(metadata.Type))
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestValidate(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.ClientConfig.Endpoint = "http://localhost:3100"
		return cfg
	}
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"default with endpoint", func(*Config) {}, ""},
		{"event id label", func(c *Config) { c.Labels.Attributes = map[string]string{"audit.event_id": "event"} }, "labels::attributes::audit.event_id"},
		{"ip label", func(c *Config) { c.Labels.Attributes = map[string]string{"client.address": "ip"} }, "labels::attributes::client.address"},
		{"reserved name", func(c *Config) { c.Labels.Attributes = map[string]string{"x": "__name__"} }, "reserved"},
		{"metadata name", func(c *Config) { c.Labels.Attributes = map[string]string{"x": "author"} }, "structured-metadata key"},
		{"clashes with default", func(c *Config) { c.Labels.Attributes = map[string]string{"x": "category"} }, `label "category" is already written`},
		{"digit first", func(c *Config) { c.Labels.Attributes = map[string]string{"x": "1a"} }, `use "_1a"`},
		{"too many labels", func(c *Config) {
			c.Limits.MaxLabelNamesPerSeries = 3
			c.Labels.Attributes = map[string]string{"x": "x"}
		}, "max_label_names_per_series"},
		{"no dead letter", func(c *Config) { c.DeadLetter.Path = "" }, "dead_letter::path"},
		{"request smaller than line", func(c *Config) { c.Limits.MaxRequestSize = 10 }, "limits::max_request_size"},
		{"id in per_record", func(c *Config) { c.Tenant.ID = "acme" }, "tenant::id"},
		{"bad fixed tenant", func(c *Config) { c.Tenant = TenantConfig{Mode: TenantModeFixed, ID: "a/b"} }, "tenant::id"},
		{"zero cap", func(c *Config) { c.Labels.MaxValuesPerLabel = 0 }, "labels::max_values_per_label"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestPushURL(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "http://127.0.0.1:9428/insert/loki/api/v1/push"
	assert.Equal(t, "http://127.0.0.1:9428/insert/loki/api/v1/push", cfg.pushURL())
	cfg.ClientConfig.Endpoint = "http://loki:3100/"
	assert.Equal(t, "http://loki:3100/loki/api/v1/push", cfg.pushURL())
}
