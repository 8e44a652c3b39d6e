// Package reportscale measures how fast the reporter reads a period's events, from the spool
// and from a real Loki, so that docs/scaling.md can say how far one reporter goes.
//
//	go test -run '^$' -bench . -benchtime 3x ./test/reportscale
//
// Each benchmark loads Benchrows events of one tenant over one hour once, then scans the hour
// per iteration and reports rows/s. It leaves out rendering (internal/reportrender has its own
// benchmarks), mail and the wait for the settle delay; Loki runs on the same 2 cores.
package reportscale

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/audit/audittest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// Benchrows is the number of events in the measured hour.
const Benchrows = 50_000

var base = time.Now().UTC().Truncate(time.Hour).Add(-2 * time.Hour)

func rows() []audit.Row {
	out := make([]audit.Row, Benchrows)
	for i := range out {
		author := fmt.Sprintf("user%03d@example.com", i%500)
		out[i] = audit.Row{
			Time: base.Add(time.Duration(i) * time.Hour / Benchrows), Tenant: "acme", EventID: fmt.Sprintf("evt-%08d", i),
			Author: author, Category: audit.CategoryAuthentication, Summary: audit.SummaryLogin,
			Description: author + " logged in from the web application", Outcome: audit.OutcomeSuccess,
			SourceIP: fmt.Sprintf("203.0.%d.%d", i%200, i%250), Target: "session", Service: "lms",
		}
	}
	return out
}

func scan(b *testing.B, src reportsource.Source) {
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	n := 0
	for b.Loop() {
		if err := src.Scan(ctx, "acme", base, base.Add(time.Hour), func(audit.Row) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	if n != b.N*Benchrows {
		b.Fatalf("scanned %d rows, want %d", n, b.N*Benchrows)
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
}

func BenchmarkScanSpool(b *testing.B) {
	sp, err := spool.Open(filepath.Join(b.TempDir(), "spool.db"), spool.Options{Retention: 30 * 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	all := rows()
	for i := 0; i < len(all); i += 5000 {
		if _, err := sp.Append(context.Background(), all[i:min(i+5000, len(all))]); err != nil {
			b.Fatal(err)
		}
	}
	scan(b, reportsource.Spool(sp, 0))
}

func BenchmarkScanLoki(b *testing.B) {
	loki := testharness.StartLoki(b)
	f := auditlokiexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*auditlokiexporter.Config)
	cfg.ClientConfig.Endpoint = loki.URL
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.DeadLetter.Path = filepath.Join(b.TempDir(), "dead.jsonl")
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	all := rows()
	for i := 0; i < len(all); i += 2000 {
		if err := exp.ConsumeLogs(context.Background(), audittest.Logs(all[i:min(i+2000, len(all))]...)); err != nil {
			b.Fatal(err)
		}
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		b.Fatal(err)
	}
	if dead, _ := os.ReadFile(cfg.DeadLetter.Path); len(dead) > 0 {
		b.Fatalf("dead-lettered: %.300s", dead)
	}
	srcCfg := reportsource.NewDefaultLokiConfig()
	srcCfg.ClientConfig.Endpoint = loki.URL
	src, err := reportsource.NewLoki(context.Background(), srcCfg, componenttest.NewNopHost(), componenttest.NewNopTelemetrySettings())
	if err != nil {
		b.Fatal(err)
	}
	scan(b, src)
}
