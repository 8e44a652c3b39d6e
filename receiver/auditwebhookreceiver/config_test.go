package auditwebhookreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

func loadConfig(t *testing.T, file, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg.(*Config), confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(t, "config.yaml", "")
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)

	cfg, err = loadConfig(t, "config.yaml", "custom")
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:9443", cfg.Server.NetAddr.Endpoint)
	assert.Equal(t, int64(1<<20), cfg.Server.MaxRequestBodySize)
	assert.Equal(t, 5*time.Second, cfg.Server.ReadHeaderTimeout)
	assert.Equal(t, 20*time.Second, cfg.Server.ReadTimeout)
	require.True(t, cfg.Server.TLS.HasValue())
	assert.Equal(t, "/etc/otelcol/tls/server.crt", cfg.Server.TLS.Get().CertFile)
	assert.Equal(t, 32768, cfg.MaxHeaderBytes)
	assert.Equal(t, 64, cfg.MaxConnections)
	assert.Equal(t, 30*time.Second, cfg.RetryAfter)
	assert.Equal(t, "corp-audit", cfg.ServiceName)
	assert.Equal(t, ReplayConfig{TTL: time.Hour, MaxEntries: 5000}, cfg.Replay)

	assert.True(t, cfg.Generic.Enabled, "enabled by default")
	assert.Equal(t, "/hooks/apps", cfg.Generic.Path)
	assert.Equal(t, "apps", cfg.Generic.Tenant)
	assert.Equal(t, "X-Audit-Source", cfg.Generic.SourceHeader)
	assert.Equal(t, 2*time.Minute, cfg.Generic.Tolerance)
	assert.Equal(t, []Credential{
		{Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Tenant: "billing"},
		{Secret: "whsec_c2Vjb25kLWtleS1mb3Itcm90YXRpb24=", Tenant: "billing"},
	}, cfg.Generic.SigningKeys)
	assert.Equal(t, "X-Webhook-Secret", cfg.Generic.CredentialHeader)
	assert.Equal(t, []Credential{{Secret: configopaque.String("plain-shared-secret")}}, cfg.Generic.Credentials)

	assert.Equal(t, "/webhook/okta", cfg.Okta.Path)
	assert.Equal(t, "acme", cfg.Okta.Tenant)
	assert.Equal(t, "Authorization", cfg.Okta.CredentialHeader)
	assert.Equal(t, "cluster-prod", cfg.Kubernetes.Tenant)
	assert.False(t, cfg.CloudTrail.Enabled)
	assert.Equal(t, []Credential{{Secret: "github-webhook-secret"}}, cfg.GitHub.WebhookSecrets)
	assert.Equal(t, []Credential{{Secret: "Splunk stream-token", Tenant: "acme-enterprise"}}, cfg.GitHub.Credentials)
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
	}{
		{"config_typo.yaml", "signing_key"},
		{"config_bad_tenant.yaml", "okta::tenant: tenant id has a character outside"},
		{"config_bad_key.yaml", `generic::signing_keys[0]: signing key must start with "whsec_"`},
		{"config_none_enabled.yaml", "no endpoint is enabled"},
		{"config_dup_path.yaml", `okta::path: "/webhook/generic" is already the path of generic`},
		{"config_wildcard_path.yaml", "okta::path: \"/webhook/{tenant}\" has a character outside"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := loadConfig(t, tt.file, "")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*Config)
		wantErr string
	}{
		{"negative header bytes", func(c *Config) { c.MaxHeaderBytes = -1 }, "max_header_bytes:"},
		{"negative connections", func(c *Config) { c.MaxConnections = -1 }, "max_connections:"},
		{"short retry_after", func(c *Config) { c.RetryAfter = 0 }, "retry_after:"},
		{"empty service name", func(c *Config) { c.ServiceName = "" }, "service_name:"},
		{"zero replay ttl", func(c *Config) { c.Replay.TTL = 0 }, "replay::ttl:"},
		{"zero replay entries", func(c *Config) { c.Replay.MaxEntries = 0 }, "replay::max_entries:"},
		{"relative path", func(c *Config) { c.Kubernetes.Path = "webhook" }, "kubernetes::path:"},
		{"unclean path", func(c *Config) { c.Kubernetes.Path = "/a/../b" }, "kubernetes::path:"},
		{"empty secret", func(c *Config) { c.Okta.Credentials = []Credential{{}} }, "okta::credentials[0]::secret:"},
		{"credential tenant", func(c *Config) { c.Okta.Credentials = []Credential{{Secret: "s", Tenant: ".."}} }, "okta::credentials[0]::tenant:"},
		{"no credential header", func(c *Config) {
			c.CloudTrail.CredentialHeader = ""
			c.CloudTrail.Credentials = []Credential{{Secret: "s"}}
		}, "cloudtrail::credential_header:"},
		{"empty github secret", func(c *Config) { c.GitHub.WebhookSecrets = []Credential{{}} }, "github::webhook_secrets[0]::secret:"},
		{"unknown source", func(c *Config) { c.Generic.Source = "splunk" }, "generic::source:"},
		{"zero tolerance", func(c *Config) { c.Generic.Tolerance = 0 }, "generic::tolerance:"},
		{"bad base64 key", func(c *Config) { c.Generic.SigningKeys = []Credential{{Secret: "whsec_!!"}} }, "generic::signing_keys[0]: signing key is not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			tt.mutate(cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}
