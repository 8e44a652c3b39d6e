package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
)

// NewFactory returns the factory of the audit_reporter extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, createExtension, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	return &Config{
		Directory: "./data/reporter",
		// Defaults apply only when a section is present; without source, the spool is read
		// from the extension's directory.
		Source: SourceConfig{
			Spool: configoptional.Default(SpoolConfig{Retention: DefaultSpoolRetention}),
			Loki:  configoptional.Default(reportsource.NewDefaultLokiConfig()),
		},
		MaxCatchUp:     DefaultMaxCatchUp,
		ClaimWait:      DefaultClaimWait,
		ClaimTTL:       DefaultClaimTTL,
		RetryOnFailure: configretry.NewDefaultBackOffConfig(),
		// Without the section nothing listens.
		Links: LinksConfig{Server: configoptional.Default(confighttp.NewDefaultServerConfig())},
	}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newReporter(cfg.(*Config), set)
}
