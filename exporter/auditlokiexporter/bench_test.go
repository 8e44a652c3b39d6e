package auditlokiexporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
)

// BenchmarkEncode measures rendering, validation, chunking, protobuf marshalling and snappy
// compression; the per-record columns divide by the batch size.
func BenchmarkEncode(b *testing.B) {
	for _, format := range []string{LineFormatText, LineFormatJSON, LineFormatLogfmt} {
		b.Run("format="+format, func(b *testing.B) {
			const batch = 1000
			ld := makeLogs(events(batch, "acme", "globex")...)
			cfg := testConfig()
			cfg.LineFormat = format
			enc := newEncoder(cfg, nil)
			var before, after runtime.MemStats
			b.ReportAllocs()
			runtime.ReadMemStats(&before)
			start := time.Now()
			for b.Loop() {
				for _, c := range chunks(enc.entries(ld), cfg.Limits.MaxRequestSize) {
					if _, err := c.encode(); err != nil {
						b.Fatal(err)
					}
				}
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			records := float64(b.N) * batch
			b.ReportMetric(float64(elapsed.Nanoseconds())/records, "ns/record")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/records, "B/record")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
		})
	}
}

// BenchmarkEndToEnd pushes the same batches through this exporter (protobuf+snappy to a Loki
// push sink) and through the core otlp_http exporter (protobuf+gzip to Loki's native OTLP path
// /otlp/v1/logs), both via exporterhelper without a queue. Each sink reads and discards the
// body, so the process CPU time is dominated by the exporters. The metric is events per
// CPU-second of the whole process (user+system, getrusage).
func BenchmarkEndToEnd(b *testing.B) {
	const batch = 500
	ld := makeLogs(events(batch, "acme")...)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer sink.Close()

	b.Run("exporter=audit_loki", func(b *testing.B) {
		cfg := testConfig()
		cfg.ClientConfig.Endpoint = sink.URL
		cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
		cfg.DeadLetter.Path = filepath.Join(b.TempDir(), "dead.jsonl")
		runEndToEnd(b, NewFactory(), cfg, ld)
	})
	b.Run("exporter=otlp_http", func(b *testing.B) {
		f := otlphttpexporter.NewFactory()
		cfg := f.CreateDefaultConfig().(*otlphttpexporter.Config)
		cfg.LogsEndpoint = sink.URL + "/otlp/v1/logs"
		cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
		runEndToEnd(b, f, cfg, ld)
	})
}

func runEndToEnd(b *testing.B, f exporter.Factory, cfg any, ld plog.Logs) {
	set := exportertest.NewNopSettings(f.Type())
	if f.Type() == metadata.Type {
		set = exportertest.NewNopSettings(metadata.Type)
	}
	exp, err := f.CreateLogs(context.Background(), set, cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = exp.Shutdown(context.Background()) }()
	cpuStart := cpuTime()
	for b.Loop() {
		if err := exp.ConsumeLogs(context.Background(), ld); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuTime() - cpuStart
	b.ReportMetric(float64(b.N)*float64(ld.LogRecordCount())/cpu.Seconds(), "events/CPU-s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
