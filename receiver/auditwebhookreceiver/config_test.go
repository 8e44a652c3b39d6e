package auditwebhookreceiver

import (
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditwebhookreceiver/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewID(metadata.Type))
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)

	cfg, err = testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewIDWithName(metadata.Type, "custom"))
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
	assert.Equal(t, ReplayConfig{TTL: time.Hour, MaxEntries: 5000, PerTenantMaxEntries: 1000}, cfg.Replay)
	assert.Equal(t, 1000, cfg.MaxEventsPerRequest)
	assert.Equal(t, 50000, cfg.MaxJSONNodesPerRequest)

	assert.True(t, cfg.Generic.Enabled, "enabled by default")
	assert.Equal(t, "/hooks/apps", cfg.Generic.Path)
	assert.Equal(t, "apps", cfg.Generic.Tenant)
	assert.Equal(t, "X-Audit-Source", cfg.Generic.SourceHeader)
	assert.Equal(t, 2*time.Minute, cfg.Generic.Tolerance)
	assert.Equal(t, []Credential{
		{Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Tenant: "billing"},
		{Secret: "whsec_c2Vjb25kLWtleS1mb3Itcm90YXRpb24tMjAyNA==", Tenant: "billing"},
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
		{"config_bad_key.yaml", `generic::signing_keys::0::secret: must start with "whsec_"`},
		{"config_none_enabled.yaml", "no endpoint is enabled"},
		{"config_dup_path.yaml", `okta::path: "/webhook/generic" is already the path of generic`},
		{"config_wildcard_path.yaml", "okta::path: \"/webhook/{tenant}\" has a character outside"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := testharness.LoadConfig[*Config](t, NewFactory(), filepath.Join("testdata", tt.file), component.NewID(metadata.Type))
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
		{"empty secret", func(c *Config) { c.Okta.Credentials = []Credential{{}} }, "okta::credentials::0::secret:"},
		{"credential tenant", func(c *Config) {
			c.Okta.Credentials = []Credential{{Secret: "okta-secret-0123456", Tenant: ".."}}
		}, "okta::credentials::0::tenant:"},
		{"no credential header", func(c *Config) {
			c.CloudTrail.CredentialHeader = ""
			c.CloudTrail.Credentials = []Credential{{Secret: "s"}}
		}, "cloudtrail::credential_header:"},
		{"empty github secret", func(c *Config) { c.GitHub.WebhookSecrets = []Credential{{}} }, "github::webhook_secrets::0::secret:"},
		{"unknown source", func(c *Config) { c.Generic.Source = "splunk" }, "generic::source:"},
		{"zero tolerance", func(c *Config) { c.Generic.Tolerance = 0 }, "generic::tolerance:"},
		{"bad base64 key", func(c *Config) { c.Generic.SigningKeys = []Credential{{Secret: "whsec_!!"}} }, "generic::signing_keys::0::secret: must be valid base64"},
		{"short signing key", func(c *Config) {
			c.Generic.SigningKeys = []Credential{{Secret: configopaque.String(whsecPrefix + base64.StdEncoding.EncodeToString(make([]byte, 23)))}}
		}, "generic::signing_keys::0::secret: must decode to at least 24 bytes"},
		{"short shared secret", func(c *Config) {
			c.CloudTrail.Credentials = []Credential{{Secret: "abc"}, {Secret: "fifteen-bytes-x"}}
		}, "cloudtrail::credentials::0::secret: must be at least 16 bytes"},
		{"short github secret", func(c *Config) {
			c.GitHub.WebhookSecrets = []Credential{{Secret: "0123456789abcdef"}, {Secret: "fifteen-bytes-x"}}
		}, "github::webhook_secrets::1::secret: must be at least 16 bytes"},
		{"zero events per request", func(c *Config) { c.MaxEventsPerRequest = 0 }, "max_events_per_request:"},
		{"zero json nodes per request", func(c *Config) { c.MaxJSONNodesPerRequest = 0 }, "max_json_nodes_per_request:"},
		{"negative per-tenant replay entries", func(c *Config) { c.Replay.PerTenantMaxEntries = -1 }, "replay::per_tenant_max_entries:"},
		{"per-tenant replay entries beyond the total", func(c *Config) { c.Replay.PerTenantMaxEntries = c.Replay.MaxEntries + 1 }, "replay::per_tenant_max_entries:"},
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

func TestOpenEndpointsBeyondLoopbackAreRefused(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Okta.Enabled, cfg.Kubernetes.Enabled, cfg.CloudTrail.Enabled, cfg.GitHub.Enabled = false, false, false, false
	cfg.Server.NetAddr.Endpoint = "0.0.0.0:8088"
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "generic: accepts unauthenticated requests")

	cfg.Server.NetAddr.Endpoint = "127.0.0.1:8088"
	assert.NoError(t, cfg.Validate(), "loopback stays open for the demo")

	cfg.Server.NetAddr.Endpoint = ":8088"
	cfg.Generic.Credentials = []Credential{{Secret: "generic-secret-0123456789", Tenant: "acme"}}
	cfg.Generic.CredentialHeader = "Authorization"
	assert.NoError(t, cfg.Validate(), "an endpoint with credentials may listen anywhere")
}
