package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
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

// Paths inside Config.Directory and the spool's directory.
const (
	ledgerFile = "ledger.db"
	spoolFile  = "spool.db"
	filesDir   = "files"
	tmpDir     = "tmp"
	outboxDir  = "outbox"
	dirMode    = 0o700
	maxIdleRun = time.Hour // the scheduler wakes at least this often, for retries and cleanup
)

// reporter delivers scheduled reports and serves downloads and exports from its source.
type reporter struct {
	cfg       *Config
	settings  component.TelemetrySettings
	logger    *zap.Logger
	reports   []*report
	telemetry *metadata.TelemetryBuilder
	now       func() time.Time

	source reportsource.Source
	// spool is the source's spool, which the audit_report exporter appends to; nil when
	// the source is not the spool.
	spool  *spool.Spool
	ledger *ledger
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
	// instanceID names this reporter in its claims on report periods; it is kept in
	// <directory>/instance_id across restarts.
	instanceID string

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

var _ reportsource.SpoolProvider = (*reporter)(nil)

func newReporter(cfg *Config, set extension.Settings) (*reporter, error) {
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
	e := &reporter{
		cfg:       cfg,
		settings:  set.TelemetrySettings,
		logger:    set.Logger,
		reports:   reports,
		telemetry: tb,
		now:       time.Now,
		sleep:     reportengine.Sleep,
		startLoop: true,
	}
	e.putRun = e.storeRun
	return e, nil
}

// errNotStarted is Spool's answer before Start: the spool opens in Start.
var errNotStarted = errors.New("is not started: list it in service::extensions")

// Spool returns the spool the audit_report exporter appends to, once started.
func (e *reporter) Spool() (*spool.Spool, error) {
	switch {
	case e.spool != nil:
		return e.spool, nil
	case e.source != nil:
		return nil, reportsource.ErrNotSpool
	default:
		return nil, errNotStarted
	}
}

// Dependencies are the extensions this one uses from Start: the collector starts them
// first and stops them last.
func (e *reporter) Dependencies() []component.ID {
	var ids []component.ID
	if id := e.cfg.AuditEvents; id != nil {
		ids = append(ids, *id)
	}
	if e.cfg.Links.Server.HasValue() {
		if auth := e.cfg.Links.Server.Get().Auth; auth.HasValue() {
			ids = append(ids, auth.Get().Config.AuthenticatorID)
		}
	}
	if e.cfg.Exports.HasValue() {
		if id := e.cfg.Exports.Get().Auth.Authenticator; id != nil {
			ids = append(ids, *id)
		}
	}
	if e.cfg.Source.Loki.HasValue() {
		if auth := e.cfg.Source.Loki.Get().ClientConfig.Auth; auth.HasValue() {
			ids = append(ids, auth.Get().AuthenticatorID)
		}
	}
	return ids
}

func (e *reporter) Start(ctx context.Context, host component.Host) error {
	e.baseDir = e.cfg.Directory
	for _, dir := range []string{filesDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(e.baseDir, dir), dirMode); err != nil {
			return fmt.Errorf("create report directory: %w", err)
		}
	}
	var err error
	if e.instanceID, err = loadInstanceID(filepath.Join(e.baseDir, instanceIDFile)); err != nil {
		return err
	}
	if e.ledger, err = openLedger(filepath.Join(e.baseDir, ledgerFile)); err != nil {
		return err
	}
	if err := e.openSource(ctx, host); err != nil {
		return err
	}
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
	if _, ok := e.source.(reportsource.Claims); ok && e.emitter == nil {
		e.logger.Warn("the source can hold deliveries and claims, but audit_events is not set: they are not recorded, so another reporter may send the same periods")
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
	_, ledgerInSource := e.source.(reportsource.Deliveries)
	for _, r := range e.reports {
		// With a ledger in the source, a report this directory has not seen may be one a lost
		// volume forgot: the first pass asks the source (recoverFirstSeen).
		if !ledgerInSource {
			if err := e.markFirstSeen(r.name, firstSeen); err != nil {
				return err
			}
		}
		// Pre-create the series, so that dashboards and alerts see zero rather than nothing.
		for _, result := range []string{resultSuccess, resultFailure} {
			e.telemetry.AuditReportRuns.Add(ctx, 0, runAttrs(r.name, result))
		}
	}

	loopCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	if e.startLoop {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.loop(loopCtx)
		}()
	}
	e.logger.Info("audit reporter started", zap.Int("reports", len(e.reports)), zap.String("directory", e.baseDir), zap.String("instance", e.instanceID))
	return nil
}

// openSource opens the configured source: Loki's query API, or the spool, which on the
// first start after an upgrade hands over the ledger the audit_report exporter kept in it.
func (e *reporter) openSource(ctx context.Context, host component.Host) error {
	if e.cfg.Source.Loki.HasValue() {
		src, err := reportsource.NewLoki(ctx, *e.cfg.Source.Loki.Get(), host, e.settings)
		if err != nil {
			return fmt.Errorf("source::loki: %w", err)
		}
		e.source = src
		return nil
	}
	sc := e.cfg.spool()
	sp, err := spool.Open(filepath.Join(sc.Directory, spoolFile), spool.Options{Retention: sc.Retention, Now: e.now})
	if err != nil {
		return fmt.Errorf("source::spool: %w", err)
	}
	e.spool, e.source = sp, reportsource.Spool(sp, sc.Retention)
	n, err := e.ledger.importFrom(sp)
	if err != nil {
		return err
	}
	if n > 0 {
		e.logger.Info("ledger taken over from the spool", zap.Int("entries", n))
	}
	return nil
}

func (e *reporter) Shutdown(ctx context.Context) error {
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
		}
		if e.ledger != nil {
			errs = errors.Join(errs, e.ledger.Close())
			e.logger.Info("audit reporter stopped")
		}
		e.telemetry.Shutdown()
	})
	return errs
}

// loop runs due reports, then sleeps until the next period is due (or at most maxIdleRun,
// which paces retries of failed runs and the retention cleanup).
func (e *reporter) loop(ctx context.Context) {
	for {
		now := e.now()
		e.runDue(ctx, now)
		e.cleanup(ctx, now)
		wake := now.Add(maxIdleRun)
		for _, r := range e.reports {
			if n := e.nextDue(r, now); !n.IsZero() && n.Before(wake) {
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

func runAttrs(reportName, result string) metric.MeasurementOption {
	return metric.WithAttributes(attribute.String("report", reportName), attribute.String("result", result))
}
