package auditnormalizerprocessor

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor/internal/metadata"
)

// NewFactory returns the factory of the audit_normalizer processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		Profile:                  ProfileAuto,
		DefaultTenant:            "default",
		QuarantineTenant:         "quarantine",
		TenantResourceAttributes: []string{"tenant.id", "audit.tenant"},
		TenantAttributes:         []string{"tenant.id", "audit.tenant"},
		FallbackCategory:         "Other",
		OTel: OTelConfig{
			TargetAttributes: []string{"audit.target", "target.name", "target.id", "course.name", "module.name", "team.name", "report.name"},
		},
		Generic:                GenericConfig{TimeFormat: TimeFormatAuto},
		Metrics:                MetricsConfig{MaxTenants: 1000},
		MaxEventsPerRecord:     5000,
		MaxSplitEventsPerBatch: 20000,
	}
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newNormalizerProcessor(set, cfg.(*Config))
	if err != nil {
		return nil, err
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, p.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
		processorhelper.WithShutdown(p.shutdown),
	)
}
