package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// Run states. A run moves pending -> rendered -> sent; a restart resumes from the recorded
// state, so a period is neither skipped nor rendered twice, and a message whose "sent"
// write was lost is resent with the same Message-ID.
const (
	statePending  = "pending"
	stateRendered = "rendered"
	stateSent     = "sent"
)

// messageIDDomain is the right-hand side of every Message-ID.
const messageIDDomain = "otelcol-audit"

// ledgerRetention is how long run records are kept. It is far longer than any catch-up
// reaches back, so that a pruned record can never make a period look unsent.
const ledgerRetention = 2 * 366 * 24 * time.Hour

// runRecord is the persisted state of one report period for one tenant.
type runRecord struct {
	State      string     `json:"state"`
	ID         string     `json:"id"`
	Report     string     `json:"report"`
	Tenant     string     `json:"tenant"`
	From       time.Time  `json:"from"`
	To         time.Time  `json:"to"`
	RenderedAt time.Time  `json:"rendered_at,omitzero"`
	SentAt     time.Time  `json:"sent_at,omitzero"`
	Files      []fileInfo `json:"files,omitempty"`
	Summary    summary    `json:"summary"`
	Attempts   int        `json:"attempts"`
	LastError  string     `json:"last_error,omitempty"`
	// DeliveredElsewhere marks a period another reporter sent, as the source's distributed
	// ledger told: this one sent nothing, and its next manifest starts a new chain.
	DeliveredElsewhere bool `json:"delivered_elsewhere,omitempty"`
}

type fileInfo struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	// Format is the file's format and compression ("csv", "xlsx.zip"): each format of a
	// report and tenant is one manifest chain.
	Format string `json:"format,omitempty"`
	// Manifest is the file's manifest: unlinked and unsigned after rendering, sealed (linked
	// to the chain head, signed and written beside the file) before sending.
	Manifest *manifest.Manifest `json:"manifest,omitempty"`
	// ManifestDigest is the digest of the sealed manifest file.
	ManifestDigest string `json:"manifest_digest,omitempty"`
}

func (f *fileInfo) manifestName() string { return f.Name + manifest.Suffix }

// fileIndex tells the download server which files of which tenant a run id holds.
type fileIndex struct {
	Tenant    string    `json:"tenant"`
	Report    string    `json:"report"`
	Files     []string  `json:"files"`
	ExpiresAt time.Time `json:"expires_at"`
}

// summary is what the message body reports about the period, kept in the ledger so that a
// resent message has the same body.
type summary struct {
	Total        int64              `json:"total"`
	ByCategory   []reportmail.Count `json:"by_category,omitempty"`
	TopAuthors   []reportmail.Count `json:"top_authors,omitempty"`
	FailedLogins int64              `json:"failed_logins"`
	// DeadLettered is how many events of the period the source says could not be stored:
	// they are missing from the files.
	DeadLettered int64 `json:"dead_lettered"`
}

// topAuthors is how many authors the message body lists.
const topAuthors = 10

// runKey orders runs by report, tenant and period start.
func runKey(reportName, tenant string, from time.Time) string {
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(from.UnixNano())^(1<<63))
	return reportName + "\x00" + tenant + "\x00" + string(ts[:])
}

// messageID is deterministic per report, tenant and period, so that a resend after a lost
// ledger write carries the same id and mail systems can drop the duplicate.
func messageID(reportName, tenant string, from time.Time) string {
	var b strings.Builder
	for i := 0; i < len(tenant); i++ {
		c := tenant[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "=%02X", c) // keep the id a dot-atom whatever the tenant holds
		}
	}
	return fmt.Sprintf("%s.%s.%s@%s", reportName, b.String(), from.UTC().Format("20060102T150405Z"), messageIDDomain)
}

func (e *reporter) markFirstSeen(name string, now time.Time) error {
	v, err := e.ledger.Get(nsFirstSeen, name)
	if err != nil || v != nil {
		return err
	}
	return e.ledger.Put(nsFirstSeen, name, []byte(now.UTC().Format(time.RFC3339Nano)))
}

// recoverFirstSeen returns when the report was first configured. A report the local ledger
// has not seen, with a source that holds the delivery ledger (Loki), is either new or one whose
// reporter lost its volume: if any of its newest max_catch_up periods was delivered, it existed
// before, and every period since then counts (the ledger in the source skips those delivered);
// otherwise it is new and starts now. ok is false while the source cannot answer: the report
// waits for the next pass rather than skip or resend a period.
func (e *reporter) recoverFirstSeen(ctx context.Context, r *report, now time.Time, maxCatchUp int) (time.Time, bool) {
	v, err := e.ledger.Get(nsFirstSeen, r.name)
	if err == nil && v != nil {
		return e.firstSeen(r.name), true
	}
	d, isLedger := e.source.(reportsource.Deliveries)
	if !isLedger {
		return e.firstSeen(r.name), true
	}
	first := now
	fires := r.sched.DueFires(time.Time{}, e.settled(now), maxCatchUp)
search:
	for _, fire := range fires {
		from, to := r.sched.Window(fire)
		for _, tenant := range r.tenants {
			delivered, err := d.Delivered(ctx, tenant, selfaudit.ReportTarget(r.name, from), to)
			if err != nil {
				e.logger.Warn("report history not readable from the source; retried on the next pass",
					zap.String("report", r.name), zap.Error(err))
				return time.Time{}, false
			}
			if delivered {
				first = time.Time{}
				break search
			}
		}
	}
	if err := e.ledger.Put(nsFirstSeen, r.name, []byte(first.UTC().Format(time.RFC3339Nano))); err != nil {
		e.logger.Warn("ledger write failed", zap.String("report", r.name), zap.Error(err))
		return time.Time{}, false
	}
	if first.IsZero() {
		e.logger.Info("report history found in the source: catching up the periods not delivered",
			zap.String("report", r.name), zap.Int("max_catch_up", maxCatchUp))
	}
	return first, true
}

func (e *reporter) firstSeen(name string) time.Time {
	v, err := e.ledger.Get(nsFirstSeen, name)
	if err == nil && v != nil {
		if t, err := time.Parse(time.RFC3339Nano, string(v)); err == nil {
			return t
		}
	}
	return e.now()
}

func (e *reporter) loadRun(key string) (*runRecord, error) {
	v, err := e.ledger.Get(nsRuns, key)
	if err != nil || v == nil {
		return nil, err
	}
	var rec runRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("decode run record: %w", err)
	}
	return &rec, nil
}

func (e *reporter) storeRun(key string, rec *runRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return e.ledger.Put(nsRuns, key, v)
}

// settled is the latest time whose fires are due: a period is rendered only once the
// source's settle delay has passed after its end, when its late events have arrived.
func (e *reporter) settled(now time.Time) time.Time { return now.Add(-e.source.SettleDelay()) }

// nextDue is when the next period of r is due, settle delay included.
func (e *reporter) nextDue(r *report, now time.Time) time.Time {
	n := r.sched.Next(e.settled(now))
	if n.IsZero() {
		return n
	}
	return n.Add(e.source.SettleDelay())
}

// runDue delivers every due period of every report and tenant that is not yet sent: the
// newest max_catch_up settled fire times since the report was first configured. A failed
// period is retried on the next pass.
//
// It goes in rounds, so that a pass waits claim_wait once rather than once per period: each
// round takes the oldest period not yet sent of every report and tenant, claims them all,
// waits, then renders and sends each. A tenant whose period is not sent waits for it: sending
// a later period first would order its manifest chain against the periods.
func (e *reporter) runDue(ctx context.Context, now time.Time) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	maxCatchUp := orDefault(e.cfg.MaxCatchUp, DefaultMaxCatchUp)
	var runs []*tenantRun
	for _, r := range e.reports {
		first, ok := e.recoverFirstSeen(ctx, r, now, maxCatchUp)
		if !ok {
			continue
		}
		if fires := r.sched.DueFires(first, e.settled(now), maxCatchUp); len(fires) > 0 {
			for _, tenant := range r.tenants {
				runs = append(runs, &tenantRun{r: r, tenant: tenant, fires: fires})
			}
		}
	}
	for {
		var batch []*pendingRun
		for _, tr := range runs {
			if p := e.nextPending(ctx, tr); p != nil {
				batch = append(batch, p)
			}
		}
		if len(batch) == 0 || ctx.Err() != nil {
			return
		}
		if err := e.claimAll(ctx, batch); err != nil {
			if ctx.Err() != nil {
				return
			}
			for _, p := range batch {
				e.failed(ctx, p, err)
			}
			continue
		}
		for i, p := range batch {
			if ctx.Err() != nil {
				return
			}
			// The rest of the round is claimed again in the next one rather than sent on an
			// aged claim that may expire, for the other reporters, before the send.
			if i > 0 && e.claimAged(p) {
				break
			}
			err := e.deliver(ctx, p)
			switch {
			case err == nil:
				p.fires = p.fires[1:]
			case errors.Is(err, errNotClaimed):
				// Left to another reporter on this pass; the tenant's later periods wait
				// too, so that the two reporters do not interleave its periods.
				p.fires = nil
			default:
				e.failed(ctx, p, err)
			}
		}
	}
}

// tenantRun is one report and tenant of a pass, with its due periods not handled yet.
type tenantRun struct {
	r      *report
	tenant string
	fires  []time.Time
}

// pendingRun is the period of a tenantRun that a round delivers: its first fire.
type pendingRun struct {
	*tenantRun
	key string
	rec *runRecord
	// waited is when the wait after the period's claim ended; zero without a claim.
	waited time.Time
}

// nextPending returns the oldest period of tr that is not sent, by this reporter or, as the
// source's distributed ledger tells, by another; those before it are dropped from tr.
func (e *reporter) nextPending(ctx context.Context, tr *tenantRun) *pendingRun {
	for len(tr.fires) > 0 && ctx.Err() == nil {
		from, to := tr.r.sched.Window(tr.fires[0])
		p := &pendingRun{tenantRun: tr, key: runKey(tr.r.name, tr.tenant, from)}
		rec, err := e.loadRun(p.key)
		if err != nil {
			e.failed(ctx, p, err)
			return nil
		}
		if rec == nil {
			rec = &runRecord{State: statePending, ID: reportengine.NewID(), Report: tr.r.name, Tenant: tr.tenant, From: from, To: to}
		}
		p.rec = rec
		if rec.State != stateSent {
			done, err := e.deliveredElsewhere(ctx, p.key, rec)
			if err != nil {
				e.failed(ctx, p, err)
				return nil
			}
			if !done {
				return p
			}
		}
		tr.fires = tr.fires[1:]
	}
	return nil
}

// failed records a failed period and holds the tenant's later periods for this pass.
func (e *reporter) failed(ctx context.Context, p *pendingRun, err error) {
	fire := p.fires[0]
	p.fires = nil
	runID := ""
	if p.rec != nil {
		runID = p.rec.ID
	}
	from, _ := p.r.sched.Window(fire)
	e.telemetry.AuditReportRuns.Add(ctx, 1, runAttrs(p.r.name, resultFailure))
	e.emitDelivery(ctx, p.r.name, p.tenant, from, runID, audit.OutcomeFailure)
	e.logger.Warn("report delivery failed; retried on the next pass",
		zap.String("report", p.r.name), zap.String("tenant", p.tenant), zap.Time("fire", fire), zap.Error(err))
}

// deliver renders (unless already rendered) and sends the pending period p, recording each
// step in the ledger. With a source that keeps claims, the period was claimed by claimAll;
// errNotClaimed means another reporter holds it.
func (e *reporter) deliver(ctx context.Context, p *pendingRun) error {
	r, key, rec := p.r, p.key, p.rec
	if err := e.checkClaim(ctx, p); err != nil {
		return err
	}
	if rec.State != stateRendered || !e.filesPresent(rec) {
		if err := e.render(ctx, r, rec); err != nil {
			return fmt.Errorf("render: %w", err)
		}
		if err := e.putRun(key, rec); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
	}
	sealed, err := e.sealManifests(r, rec)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if sealed {
		if err := e.putRun(key, rec); err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
	}
	msg, err := e.buildMessage(r, rec)
	if err != nil {
		return err
	}
	// Asked again right before sending: another reporter may have sent the period while
	// this one rendered it.
	if done, err := e.deliveredElsewhere(ctx, key, rec); done || err != nil {
		return err
	}
	rec.Attempts++
	if err := reportengine.Send(ctx, e.sender, msg, e.cfg.RetryOnFailure, e.sleep); err != nil {
		rec.LastError = err.Error()
		if perr := e.putRun(key, rec); perr != nil {
			err = errors.Join(err, perr)
		}
		return err
	}
	rec.State, rec.SentAt, rec.LastError = stateSent, e.now().UTC(), ""
	if err := e.putRun(key, rec); err != nil {
		// The message went out; the next pass resends it with the same Message-ID.
		return fmt.Errorf("ledger after send: %w", err)
	}
	e.telemetry.AuditReportRuns.Add(ctx, 1, runAttrs(r.name, resultSuccess))
	e.telemetry.AuditReportLastSuccessTimestamp.Record(ctx, rec.SentAt.Unix(), metric.WithAttributes(attribute.String("report", r.name)))
	e.emitDelivery(ctx, r.name, rec.Tenant, rec.From, rec.ID, audit.OutcomeSuccess)
	return nil
}

// deliveredElsewhere asks the source's distributed ledger (reportsource.Deliveries), when it
// keeps one, whether the period of rec was delivered since its end; if so it records the period as sent in the
// local ledger, which is then a cache of that answer.
func (e *reporter) deliveredElsewhere(ctx context.Context, key string, rec *runRecord) (bool, error) {
	d, ok := e.source.(reportsource.Deliveries)
	if !ok {
		return false, nil
	}
	done, err := d.Delivered(ctx, rec.Tenant, selfaudit.ReportTarget(rec.Report, rec.From), rec.To)
	if err != nil {
		return false, fmt.Errorf("ask whether the period was delivered: %w", err)
	}
	if !done {
		return false, nil
	}
	// No files: a manifest this reporter rendered was never delivered, so nothing may link
	// to it; the next period starts a new chain.
	rec.State, rec.SentAt, rec.LastError, rec.Files, rec.DeliveredElsewhere = stateSent, e.now().UTC(), "", nil, true
	if err := e.putRun(key, rec); err != nil {
		return true, fmt.Errorf("ledger: %w", err)
	}
	e.logger.Info("report period delivered by another reporter; not sent again",
		zap.String("report", rec.Report), zap.String("tenant", rec.Tenant), zap.Time("from", rec.From))
	return true, nil
}

// emitDelivery records a delivery (or a failed attempt) as an audit event of the tenant.
// Failing to emit never fails the delivery: the report went out, and the hub counts drops.
func (e *reporter) emitDelivery(ctx context.Context, report, tenant string, from time.Time, runID, outcome string) {
	if e.emitter == nil {
		return
	}
	ev := selfaudit.ReportDelivered(tenant, report, from, runID, e.now(), outcome)
	if err := e.emitter.Emit(ctx, selfaudit.NewLogs(ev)); err != nil {
		e.logger.Warn("audit event for a report delivery not emitted", zap.String("report", report), zap.String("tenant", tenant), zap.Error(err))
	}
}

func (e *reporter) runDir(id string) string {
	return filepath.Join(e.baseDir, filesDir, id)
}

func (e *reporter) filesPresent(rec *runRecord) bool {
	if len(rec.Files) == 0 {
		return false
	}
	for _, f := range rec.Files {
		st, err := os.Stat(filepath.Join(e.runDir(rec.ID), f.Name))
		if err != nil || st.Size() != f.Size || f.Manifest == nil {
			return false
		}
	}
	return true
}

// render streams the period's events from the source into one file per format, in a
// directory named by the run id (never by the tenant), and fills rec.
func (e *reporter) render(ctx context.Context, r *report, rec *runRecord) error {
	dir := e.runDir(rec.ID)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	loc := r.sched.Location()
	base := fileBaseName(r.name, rec.Tenant, rec.From.In(loc), rec.To.In(loc))
	outputs := make([]reportengine.Output, 0, len(r.formats))
	for _, format := range r.formats {
		o := reportengine.Output{Format: format, Compression: r.compression}
		o.Name = base + "." + o.FullFormat()
		o.Path = filepath.Join(dir, o.Name)
		outputs = append(outputs, o)
	}
	tally := reportmail.NewTally(0)
	res, err := reportengine.Render(ctx, reportengine.Input{
		Source: e.source, Tenant: rec.Tenant, From: rec.From, To: rec.To, Location: loc,
		Match: r.filter, TempDir: filepath.Join(e.baseDir, tmpDir),
		Row: func(ev *audit.Row) error {
			tally.Add(ev.Category, ev.Summary, ev.Author, ev.Outcome)
			return nil
		},
	}, outputs...)
	if err != nil {
		return err
	}
	deadLettered, err := e.source.DeadLettered(ctx, rec.Tenant, rec.From, rec.To)
	if err != nil {
		return fmt.Errorf("count dead-lettered events: %w", err)
	}
	files := make([]fileInfo, 0, len(res.Files))
	for i := range res.Files {
		f := &res.Files[i]
		m := &manifest.Manifest{
			Kind: manifest.KindReport, Report: r.name, Tenant: rec.Tenant,
			Period: &manifest.Period{From: rec.From, To: rec.To},
		}
		if err := reportengine.Describe(m, &res, f); err != nil {
			return fmt.Errorf("manifest of %s: %w", f.Name, err)
		}
		files = append(files, fileInfo{Name: f.Name, ContentType: f.ContentType(), Size: f.Size, Format: f.FullFormat(), Manifest: m})
	}
	var filled reportmail.ReportSummary
	tally.Fill(&filled, topAuthors)
	sum := summary{Total: filled.Total, ByCategory: filled.ByCategory, TopAuthors: filled.TopAuthors, FailedLogins: filled.FailedLogins, DeadLettered: deadLettered}
	rec.Files, rec.Summary, rec.State, rec.RenderedAt = files, sum, stateRendered, e.now().UTC()
	idx := fileIndex{Tenant: rec.Tenant, Report: r.name, ExpiresAt: rec.RenderedAt.Add(r.fileRetention)}
	for _, f := range files {
		idx.Files = append(idx.Files, f.Name, f.manifestName())
	}
	v, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	return e.ledger.Put(nsFiles, rec.ID, v)
}

// fileBaseName names report files after the report, tenant and period start; only
// characters that are safe in every file system and mail client are kept.
func fileBaseName(reportName, tenant string, from, to time.Time) string {
	layout := "2006-01-02T1504"
	if isMidnight(from) && isMidnight(to) {
		layout = "2006-01-02"
	}
	return fmt.Sprintf("%s_%s_%s", reportName, reportengine.SafeName(tenant), from.Format(layout))
}

func isMidnight(t time.Time) bool {
	h, m, s := t.Clock()
	return h == 0 && m == 0 && s == 0
}

// cleanup applies the retentions: spool days, rendered files (index entry first, then the
// directory, so that the server never serves a half-deleted run) and old ledger records.
func (e *reporter) cleanup(ctx context.Context, now time.Time) {
	if e.spool != nil {
		if _, err := e.spool.Expire(); err != nil {
			e.logger.Warn("spool retention failed", zap.Error(err))
		}
	}
	var expired []string
	indexed := map[string]bool{}
	_ = e.ledger.ForEach(nsFiles, "", func(id string, v []byte) error {
		indexed[id] = true
		var idx fileIndex
		if json.Unmarshal(v, &idx) != nil || !now.Before(idx.ExpiresAt) {
			expired = append(expired, id)
		}
		return nil
	})
	for _, id := range expired {
		if err := e.ledger.Delete(nsFiles, id); err != nil {
			e.logger.Warn("file retention failed", zap.Error(err))
			continue
		}
		if reportengine.IsID(id) {
			_ = os.RemoveAll(e.runDir(id))
		}
	}
	// Directories with no index entry are renders interrupted by a crash; leave the fresh
	// ones alone, a render may be writing them right now.
	entries, _ := os.ReadDir(filepath.Join(e.baseDir, filesDir))
	for _, de := range entries {
		if indexed[de.Name()] || !reportengine.IsID(de.Name()) {
			continue
		}
		if info, err := de.Info(); err == nil && now.Sub(info.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(e.runDir(de.Name()))
		}
	}
	cutoff := now.Add(-ledgerRetention)
	var old []string
	_ = e.ledger.ForEach(nsRuns, "", func(k string, v []byte) error {
		var rec runRecord
		if json.Unmarshal(v, &rec) == nil && rec.To.Before(cutoff) {
			old = append(old, k)
		}
		return ctx.Err()
	})
	for _, k := range old {
		_ = e.ledger.Delete(nsRuns, k)
	}
}
