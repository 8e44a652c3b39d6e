package auditreportexporter

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/internal/signedlink"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

// Metric attribute values; fixed sets.
const (
	resultSuccess = "success"
	resultFailure = "failure"

	downloadServed = "served"
	downloadDenied = "denied"
	downloadGone   = "gone"
)

// Paths inside Config.Directory.
const (
	spoolFile  = "spool.db"
	filesDir   = "files"
	tmpDir     = "tmp"
	outboxDir  = "outbox"
	dirMode    = 0o700
	maxIdleRun = time.Hour // the scheduler wakes at least this often, for retries and cleanup
)

// reportExporter spools normalised audit logs and delivers scheduled reports from the spool.
type reportExporter struct {
	cfg       *Config
	settings  component.TelemetrySettings
	logger    *zap.Logger
	reports   []*report
	telemetry *metadata.TelemetryBuilder
	now       func() time.Time

	spool  *spool.Spool
	sender reportmail.Sender
	signer *signedlink.Signer
	// manifestSigner signs report manifests; nil without signing keys (unsigned manifests).
	manifestSigner *manifest.Signer
	// emitter receives audit-of-audit events; nil when audit_events is not configured.
	emitter selfaudit.Emitter
	exports *exportjobs.Engine
	server  *http.Server
	// serverAddr is where the download server listens (tests use it with port 0).
	serverAddr net.Addr
	baseDir    string

	// runMu serialises scheduler passes: the loop and tests may both drive one.
	runMu sync.Mutex
	// putRun persists a run record; tests replace it to lose a ledger write.
	putRun func(key string, rec *runRecord) error
	// sleep waits between delivery retries; tests make it instant.
	sleep func(ctx context.Context, d time.Duration) error
	// startLoop is false in tests that drive runDue themselves.
	startLoop bool

	cancel       context.CancelFunc
	wg           sync.WaitGroup
	shutdownOnce sync.Once
}

func newReportExporter(cfg *Config, set exporter.Settings) (*reportExporter, error) {
	reports := make([]*report, len(cfg.Reports))
	for i := range cfg.Reports {
		r, err := compileReport(&cfg.Reports[i])
		if err != nil {
			return nil, fmt.Errorf("reports::%d: %w", i, err)
		}
		reports[i] = r
	}
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	e := &reportExporter{
		cfg:       cfg,
		settings:  set.TelemetrySettings,
		logger:    set.Logger,
		reports:   reports,
		telemetry: tb,
		now:       time.Now,
		sleep:     sleepCtx,
		startLoop: true,
	}
	e.putRun = e.storeRun
	return e, nil
}

func (e *reportExporter) start(ctx context.Context, host component.Host) error {
	e.baseDir = e.cfg.Directory
	if err := os.MkdirAll(filepath.Join(e.baseDir, filesDir), dirMode); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(e.baseDir, tmpDir), dirMode); err != nil {
		return fmt.Errorf("create report directory: %w", err)
	}
	retention := orDefault(e.cfg.Spool.Retention, DefaultSpoolRetention)
	sp, err := spool.Open(filepath.Join(e.baseDir, spoolFile), spool.Options{Retention: retention, Now: e.now})
	if err != nil {
		return err
	}
	e.spool = sp
	if e.manifestSigner, err = e.cfg.Signing.signer(); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if e.sender == nil { // tests may inject one
		if e.cfg.SMTP.HasValue() {
			e.sender, err = reportmail.NewSMTP(*e.cfg.SMTP.Get())
			if err != nil {
				return fmt.Errorf("smtp: %w", err)
			}
		} else {
			outbox := e.cfg.Outbox
			if outbox == "" {
				outbox = filepath.Join(e.baseDir, outboxDir)
			}
			e.sender = reportmail.NewOutbox(outbox)
		}
	}
	if id := e.cfg.AuditEvents; id != nil {
		if e.emitter, err = selfaudit.Find(host, *id); err != nil {
			return fmt.Errorf("audit_events: %w", err)
		}
	}
	if e.cfg.Links.Server.HasValue() {
		e.signer, err = signedlink.NewSigner(e.cfg.Links.Keys, e.cfg.Links.CurrentKey, e.now)
		if err != nil {
			return fmt.Errorf("links: %w", err)
		}
		if err := e.startServer(ctx, host); err != nil {
			return err
		}
	}
	firstSeen := e.now()
	for _, r := range e.reports {
		if err := e.markFirstSeen(r.name, firstSeen); err != nil {
			return err
		}
		// Pre-create the series, so that dashboards and alerts see zero rather than nothing.
		for _, result := range []string{resultSuccess, resultFailure} {
			e.telemetry.AuditReportRuns.Add(ctx, 0, runAttrs(r.name, result))
		}
	}
	e.telemetry.AuditReportSpoolRejected.Add(ctx, 0, metric.WithAttributes(attribute.String("reason", audit.ReasonNotNormalized)))

	loopCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	if e.startLoop {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.loop(loopCtx)
		}()
	}
	e.logger.Info("audit report exporter started", zap.Int("reports", len(e.reports)), zap.String("directory", e.baseDir))
	return nil
}

func (e *reportExporter) shutdown(ctx context.Context) error {
	var errs error
	e.shutdownOnce.Do(func() {
		if e.cancel != nil {
			e.cancel()
		}
		if e.server != nil {
			errs = errors.Join(errs, e.server.Shutdown(ctx))
		}
		if e.exports != nil {
			errs = errors.Join(errs, e.exports.Close(ctx))
		}
		done := make(chan struct{})
		go func() {
			e.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			errs = errors.Join(errs, fmt.Errorf("wait for scheduler: %w", ctx.Err()))
		}
		if e.spool != nil {
			errs = errors.Join(errs, e.spool.Close())
			e.logger.Info("audit report exporter stopped")
		}
		e.telemetry.Shutdown()
	})
	return errs
}

// loop runs due reports, then sleeps until the next fire time (or at most maxIdleRun, which
// paces retries of failed runs and the retention cleanup).
func (e *reportExporter) loop(ctx context.Context) {
	for {
		now := e.now()
		e.runDue(ctx, now)
		e.cleanup(ctx, now)
		wake := now.Add(maxIdleRun)
		for _, r := range e.reports {
			if n := r.sched.Next(now); !n.IsZero() && n.Before(wake) {
				wake = n
			}
		}
		timer := time.NewTimer(time.Until(wake) + 100*time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// consumeLogs stores the records in the spool and returns once they are fsynced. A record
// without the facts the normaliser writes (tenant, event id, time) is counted under
// not_normalized and logged, not stored: the report cannot place it.
func (e *reportExporter) consumeLogs(ctx context.Context, ld plog.Logs) error {
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

func runAttrs(reportName, result string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("report", reportName), attribute.String("result", result))
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
