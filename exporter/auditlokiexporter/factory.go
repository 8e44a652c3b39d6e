package auditlokiexporter

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
)

// NewFactory creates a factory for the audit_loki exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

// The batch sizer counts the OTLP protobuf bytes of the normalised records (about 1 KB each),
// not the push: the Loki request of the same records is about half of that before snappy and
// a fifteenth after. A 500-record OTLP request is already about 480 KB, so a min_size below
// that flushes every incoming request on its own, as one small push per tenant. 4 MiB merges
// several requests into pushes of several hundred KB per tenant; the exporter still splits any
// push above limits::max_request_size.
const (
	// DefaultBatchMinSize is sending_queue::batch::min_size, in OTLP bytes.
	DefaultBatchMinSize = 4 << 20
	// DefaultBatchMaxSize is sending_queue::batch::max_size, in OTLP bytes.
	DefaultBatchMaxSize = 8 << 20
)

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	client.Timeout = 30 * time.Second

	queue := exporterhelper.NewDefaultQueueConfig()
	queue.NumConsumers = 4
	queue.Batch = configoptional.Some(exporterhelper.BatchConfig{
		FlushTimeout: time.Second,
		Sizer:        exporterhelper.RequestSizerTypeBytes,
		MinSize:      DefaultBatchMinSize,
		MaxSize:      DefaultBatchMaxSize,
	})

	return &Config{
		ClientConfig: client,
		QueueConfig:  configoptional.Some(queue),
		RetryConfig:  configretry.NewDefaultBackOffConfig(),
		PushPath:     DefaultPushPath,
		Tenant:       TenantConfig{Mode: TenantModePerRecord},
		Labels:       LabelsConfig{MaxValuesPerLabel: 100},
		LineFormat:   LineFormatText,
		Limits: LimitsConfig{
			MaxLineSize:               256 << 10,
			MaxLabelNameLength:        1024,
			MaxLabelValueLength:       2048,
			MaxLabelNamesPerSeries:    15,
			MaxStructuredMetadataSize: 64 << 10,
			MaxFuture:                 10 * time.Minute,
			MaxAge:                    7 * 24 * time.Hour,
			MaxRequestSize:            1 << 20,
		},
		DeadLetter: DeadLetterConfig{
			Path:       "./data/audit_loki_dead_letter.jsonl",
			MaxSizeMiB: 100,
			Markers:    true,
		},
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newLokiExporter(c, set)
	if err != nil {
		return nil, err
	}
	logs, err := exporterhelper.NewLogs(ctx, set, cfg, exp.pushLogs,
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// The HTTP client's timeout bounds each request.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
	)
	if err != nil {
		return nil, err
	}
	return &shutdownOnce{Logs: logs}, nil
}

// shutdownOnce makes Shutdown idempotent: exporterhelper's queue closes a channel on every
// Shutdown, which panics the second time, and a component must survive being shut down twice.
type shutdownOnce struct {
	exporter.Logs
	once sync.Once
	err  error
}

func (s *shutdownOnce) Shutdown(ctx context.Context) error {
	s.once.Do(func() { s.err = s.Logs.Shutdown(ctx) })
	return s.err
}
