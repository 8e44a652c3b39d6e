package auditreportexporter // import "github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter"

import (
	"cmp"
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

// spoolExporter writes normalised audit logs to the reporter's spool.
type spoolExporter struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	// spool is the reporter extension's; it opens and closes it.
	spool *spool.Spool
}

func newSpoolExporter(cfg *Config, set exporter.Settings) (*spoolExporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &spoolExporter{cfg: cfg, logger: set.Logger, telemetry: tb}, nil
}

// start finds the reporter's spool. It refuses to start when the reporter reads another
// source: the events would be stored where no report reads them.
func (e *spoolExporter) start(ctx context.Context, host component.Host) error {
	sp, err := reportsource.FindSpool(host, e.cfg.Reporter)
	if err != nil {
		return fmt.Errorf("reporter: %w", err)
	}
	e.spool = sp
	// Pre-create the series, so that dashboards and alerts see zero rather than nothing.
	e.telemetry.AuditReportSpoolRejected.Add(ctx, 0, metric.WithAttributes(attribute.String("reason", audit.ReasonNotNormalized)))
	return nil
}

func (e *spoolExporter) shutdown(context.Context) error {
	e.telemetry.Shutdown()
	return nil
}

// consumeLogs stores the records in the spool and returns once they are fsynced. A record
// without the facts the normaliser writes (tenant, event id, time) is counted under
// not_normalized and logged, not stored: the report cannot place it.
func (e *spoolExporter) consumeLogs(ctx context.Context, ld plog.Logs) error {
	events := make([]audit.Row, 0, ld.LogRecordCount())
	rejected := 0
	var firstErr error
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		var service string
		if v, ok := rl.Resource().Attributes().Get("service.name"); ok {
			service = v.AsString()
		}
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				ev, err := toEvent(lrs.At(k))
				if err != nil {
					rejected++
					firstErr = cmp.Or(firstErr, err)
					continue
				}
				ev.Service = service
				events = append(events, ev)
			}
		}
	}
	if rejected > 0 {
		e.telemetry.AuditReportSpoolRejected.Add(ctx, int64(rejected), metric.WithAttributes(attribute.String("reason", audit.ReasonNotNormalized)))
		e.logger.Warn("records without the normaliser's facts are not reported: put audit_normalizer before audit_report",
			zap.Int("records", rejected), zap.Error(firstErr))
	}
	res, err := e.spool.Append(ctx, events)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	e.telemetry.AuditReportSpoolEvents.Add(ctx, int64(res.Stored))
	e.telemetry.AuditReportSpoolDuplicates.Add(ctx, int64(res.Duplicates))
	return nil
}

// toEvent reads a normalised record; tenant, event id and time come from audit.RecordFacts.
func toEvent(lr plog.LogRecord) (audit.Row, error) {
	facts, err := audit.RecordFacts(lr)
	if err != nil {
		return audit.Row{}, err
	}
	attrs := lr.Attributes()
	str := func(key string) string {
		if v, ok := attrs.Get(key); ok {
			return v.AsString()
		}
		return ""
	}
	ev := audit.Row{
		Time:        facts.Time,
		Tenant:      facts.Tenant,
		EventID:     facts.EventID,
		Author:      str(audit.AttrAuthor),
		Category:    str(audit.AttrCategory),
		Summary:     str(audit.AttrSummary),
		Description: str(audit.AttrDescription),
		Outcome:     str(audit.AttrOutcome),
		SourceIP:    str(audit.AttrClientAddress),
		Target:      str(audit.AttrTarget),
	}
	if ev.Description == "" {
		ev.Description = lr.Body().AsString()
	}
	return ev, nil
}
