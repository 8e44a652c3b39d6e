package auditreporterextension

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestLoadConfig(t *testing.T) {
	cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewID(metadata.Type))
	require.NoError(t, err, "the default config is valid")
	assert.Equal(t, createDefaultConfig(), cfg)

	cfg, err = testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewIDWithName(metadata.Type, "full"))
	require.NoError(t, err)
	assert.Equal(t, "/var/lib/otelcol-audit/reporter", cfg.Directory)
	require.True(t, cfg.Source.Spool.HasValue())
	assert.Equal(t, SpoolConfig{Directory: "/var/lib/otelcol-audit/spool", Retention: 45 * 24 * time.Hour}, cfg.spool())
	assert.Equal(t, 5, cfg.MaxCatchUp)
	assert.Equal(t, configretry.BackOffConfig{Enabled: true, InitialInterval: 10 * time.Second, MaxInterval: time.Minute,
		MaxElapsedTime: 10 * time.Minute, Multiplier: 1.5, RandomizationFactor: 0.5}, cfg.RetryOnFailure)
	require.True(t, cfg.SMTP.HasValue())
	smtp := cfg.SMTP.Get()
	assert.Equal(t, "smtp.example.com:587", smtp.Endpoint)
	assert.Equal(t, configopaque.String("s3cret"), smtp.Password)
	assert.Equal(t, 20*time.Second, smtp.Timeout)
	require.True(t, cfg.Links.Server.HasValue())
	assert.Equal(t, "0.0.0.0:8443", cfg.Links.Server.Get().NetAddr.Endpoint)
	assert.Equal(t, "https://reports.example.com", cfg.Links.PublicURL)
	assert.Equal(t, "k2", cfg.Links.CurrentKey)
	require.Len(t, cfg.Reports, 2)
	assert.Equal(t, ReportConfig{
		Name: "weekly", Schedule: "0 8 * * 1", Timezone: "Europe/Dublin", Tenants: []string{"acme", "globex"},
		Filters: FilterConfig{Categories: []string{"Authentication", "Users"}, Outcome: "failure"},
		Formats: []string{"csv", "xlsx"}, Compression: "zip", Recipients: []string{"security@example.com"},
		Subject:       `Weekly audit log {{.Tenant}} {{.From.Format "2006-01-02"}}`,
		AttachMaxSize: 5 << 20, LinkExpiry: 72 * time.Hour, FileRetention: 240 * time.Hour,
	}, cfg.Reports[0])
	assert.Equal(t, 24*time.Hour, cfg.Reports[1].Window)

	r, err := compileReport(&cfg.Reports[1])
	require.NoError(t, err)
	assert.Equal(t, []string{"csv"}, r.formats, "default format")
	assert.Equal(t, DefaultAttachMaxSize, r.attachMaxSize)
	assert.Equal(t, DefaultLinkExpiry, r.linkExpiry)
	assert.Equal(t, DefaultFileRetention, r.fileRetention)
	assert.Equal(t, time.UTC, r.sched.Location(), "default zone")
}

// TestSpoolSourceDefaults: without source, and with an empty source::spool, the spool is in
// the extension's directory and keeps 45 days.
func TestSpoolSourceDefaults(t *testing.T) {
	want := SpoolConfig{Directory: "/var/lib/otelcol-audit/reporter", Retention: DefaultSpoolRetention}
	for _, name := range []string{"spool_defaults", "full"} {
		cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewIDWithName(metadata.Type, name))
		require.NoError(t, err)
		if name == "full" {
			cfg.Source = createDefaultConfig().(*Config).Source
		}
		assert.Equal(t, want, cfg.spool(), name)
	}
}

func TestLoadLokiSource(t *testing.T) {
	cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewIDWithName(metadata.Type, "loki"))
	require.NoError(t, err)
	require.True(t, cfg.Source.Loki.HasValue())
	assert.False(t, cfg.Source.Spool.HasValue())
	loki := cfg.Source.Loki.Get()
	assert.Equal(t, "http://loki:3100", loki.ClientConfig.Endpoint)
	assert.Equal(t, 5*time.Minute, loki.SettleDelay)
	assert.Equal(t, 30*24*time.Hour, loki.Retention)
	assert.Equal(t, reportsource.DefaultPageSize, loki.PageSize, "defaults apply to the keys not set")
	assert.Equal(t, 3*time.Second, cfg.ClaimWait)
	assert.Equal(t, 30*time.Minute, cfg.ClaimTTL)

	cfg, err = testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewID(metadata.Type))
	require.NoError(t, err)
	assert.Equal(t, DefaultClaimWait, cfg.ClaimWait)
	assert.Equal(t, DefaultClaimTTL, cfg.ClaimTTL)
}

func TestConfigTypoNamesTheKey(t *testing.T) {
	_, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/typo.yaml", component.NewID(metadata.Type))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "recipient")
}

func TestInvalidConfigs(t *testing.T) {
	for name, want := range map[string]string{
		"bad_cron":                     `reports::0: schedule: invalid cron expression "* *": `,
		"bad_tz":                       `reports::0: timezone: unknown IANA time zone "Europe/Atlantis"`,
		"bad_format":                   `reports::0: formats::1: unknown format "pdf"`,
		"bad_tenant":                   "reports::0: tenants::0: tenant id has a character outside",
		"no_recipients":                "reports::0: recipients: at least one recipient is required",
		"bad_subject":                  "reports::0: subject: ",
		"retention_below_expiry":       "reports::0: file_retention: 24h0m0s is shorter than link_expiry 240h0m0s",
		"duplicate_name":               `reports::1::name: duplicate report name "daily"`,
		"short_key":                    "links: keys: ",
		"unknown_current_key":          `links: current_key: "k9" is not in keys`,
		"no_public_url":                "links: public_url: must be an absolute http(s) URL",
		"smtp_plaintext":               "allow_plaintext",
		"no_directory":                 "directory: must be set",
		"bad_signing_key":              "signing::keys::k1: an Ed25519 key is a 32-byte seed or a 64-byte private key, got 5 bytes",
		"unknown_signing_current_key":  `signing::current_key: "k2" is not in signing::keys`,
		"signing_without_current_key":  "signing::current_key: must be set with signing::keys",
		"negative_retention":           "source::spool: retention: must not be negative",
		"unknown_source":               "kafka",
		"exports_without_server":       "exports: requires links::server",
		"negative_claim_wait":          "claim_wait: must not be negative",
		"claim_ttl_not_above_wait":     "claim_ttl: 1m0s must be longer than claim_wait 1m0s",
		"exports_exposed_without_auth": "exports::auth: the export API has no credentials while links::server::endpoint \"0.0.0.0:8443\" listens beyond loopback",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/invalid.yaml", component.NewIDWithName(metadata.Type, name))
			require.Error(t, err)
			assert.Contains(t, err.Error(), want)
		})
	}
}

func TestLoadSigningConfig(t *testing.T) {
	cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/signing.yaml", component.NewID(metadata.Type))
	require.NoError(t, err)
	assert.Equal(t, "k2026", cfg.Signing.CurrentKey)
	require.Len(t, cfg.Signing.Keys, 2)
	s, err := cfg.Signing.signer()
	require.NoError(t, err)
	assert.Equal(t, "k2026", s.CurrentKey())
	assert.Len(t, s.PublicKeys().Keys, 2)
	assert.NotContains(t, fmt.Sprint(cfg.Signing), "AQEB", "keys are opaque in logs")
}
