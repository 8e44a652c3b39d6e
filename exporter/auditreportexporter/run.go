package auditreportexporter

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// Ledger namespaces in the spool database.
const (
	nsRuns      = "runs"       // runKey -> runRecord
	nsFirstSeen = "first_seen" // report name -> RFC 3339 time the report was first configured
	nsFiles     = "files"      // run id -> fileIndex, what the download server may serve
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

func (e *reportExporter) markFirstSeen(name string, now time.Time) error {
	v, err := e.spool.Get(nsFirstSeen, name)
	if err != nil || v != nil {
		return err
	}
	return e.spool.Put(nsFirstSeen, name, []byte(now.UTC().Format(time.RFC3339Nano)))
}

func (e *reportExporter) firstSeen(name string) time.Time {
	v, err := e.spool.Get(nsFirstSeen, name)
	if err == nil && v != nil {
		if t, err := time.Parse(time.RFC3339Nano, string(v)); err == nil {
			return t
		}
	}
	return e.now()
}

func (e *reportExporter) loadRun(key string) (*runRecord, error) {
	v, err := e.spool.Get(nsRuns, key)
	if err != nil || v == nil {
		return nil, err
	}
	var rec runRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("decode run record: %w", err)
	}
	return &rec, nil
}

func (e *reportExporter) storeRun(key string, rec *runRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return e.spool.Put(nsRuns, key, v)
}

// runDue delivers every due period of every report and tenant that is not yet sent: the
// newest max_catch_up fire times since the report was first configured. A failed period is
// retried on the next pass.
func (e *reportExporter) runDue(ctx context.Context, now time.Time) {
	e.runMu.Lock()
	defer e.runMu.Unlock()
	maxCatchUp := orDefault(e.cfg.MaxCatchUp, DefaultMaxCatchUp)
	for _, r := range e.reports {
		fires := r.sched.DueFires(e.firstSeen(r.name), now, maxCatchUp)
		// A tenant whose period failed waits for it: sending a later period first would
		// order its manifest chain against the periods.
		failed := map[string]bool{}
		for _, fire := range fires {
			for _, tenant := range r.tenants {
				if ctx.Err() != nil {
					return
				}
				if failed[tenant] {
					continue
				}
				if err := e.deliver(ctx, r, tenant, fire); err != nil {
					failed[tenant] = true
					e.telemetry.AuditReportRuns.Add(ctx, 1, runAttrs(r.name, resultFailure))
					from, _ := r.sched.Window(fire)
					e.emitDelivery(ctx, r.name, tenant, r.name+"/"+from.UTC().Format(time.RFC3339), audit.OutcomeFailure)
					e.logger.Warn("report delivery failed; retried on the next pass",
						zap.String("report", r.name), zap.String("tenant", tenant), zap.Time("fire", fire), zap.Error(err))
				}
			}
		}
	}
}

// deliver renders (unless already rendered) and sends one period of one tenant, recording
// each step in the ledger. A period already sent is a no-op.
func (e *reportExporter) deliver(ctx context.Context, r *report, tenant string, fire time.Time) error {
	from, to := r.sched.Window(fire)
	key := runKey(r.name, tenant, from)
	rec, err := e.loadRun(key)
	if err != nil {
		return err
	}
	if rec != nil && rec.State == stateSent {
		return nil
	}
	if rec == nil {
		rec = &runRecord{State: statePending, ID: newID(), Report: r.name, Tenant: tenant, From: from, To: to}
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
	rec.Attempts++
	if err := e.send(ctx, msg); err != nil {
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
	e.emitDelivery(ctx, r.name, tenant, rec.ID, audit.OutcomeSuccess)
	return nil
}

// emitDelivery records a delivery (or a failed attempt) as an audit event of the tenant.
// Failing to emit never fails the delivery: the report went out, and the hub counts drops.
func (e *reportExporter) emitDelivery(ctx context.Context, report, tenant, target, outcome string) {
	if e.emitter == nil {
		return
	}
	ev := selfaudit.ReportDelivered(tenant, target, report, e.now(), outcome)
	if err := e.emitter.Emit(ctx, selfaudit.NewLogs(ev)); err != nil {
		e.logger.Warn("audit event for a report delivery not emitted", zap.String("report", report), zap.String("tenant", tenant), zap.Error(err))
	}
}

// send delivers with exponential backoff while the sender says a retry can help.
func (e *reportExporter) send(ctx context.Context, msg reportmail.Message) error {
	bo := e.cfg.RetryOnFailure
	interval := bo.InitialInterval
	// Elapsed time is the sum of the waits, which keeps the bound independent of the clock.
	var elapsed time.Duration
	for {
		retry, err := e.sender.Send(ctx, msg)
		if err == nil {
			return nil
		}
		if !retry || !bo.Enabled || ctx.Err() != nil {
			return fmt.Errorf("send: %w", err)
		}
		wait := interval
		if bo.RandomizationFactor > 0 {
			delta := bo.RandomizationFactor * float64(wait)
			wait = time.Duration(float64(wait) - delta + rand.Float64()*2*delta)
		}
		elapsed += wait
		if bo.MaxElapsedTime > 0 && elapsed > bo.MaxElapsedTime {
			return fmt.Errorf("send: giving up after %s: %w", bo.MaxElapsedTime, err)
		}
		if serr := e.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("send: %w", errors.Join(err, serr))
		}
		interval = time.Duration(float64(interval) * max(bo.Multiplier, 1))
		if bo.MaxInterval > 0 && interval > bo.MaxInterval {
			interval = bo.MaxInterval
		}
	}
}

func (e *reportExporter) runDir(id string) string {
	return filepath.Join(e.baseDir, filesDir, id)
}

func (e *reportExporter) filesPresent(rec *runRecord) bool {
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

// render streams the period's events from the spool into one file per format, in a
// directory named by the run id (never by the tenant), and fills rec.
func (e *reportExporter) render(ctx context.Context, r *report, rec *runRecord) error {
	dir := e.runDir(rec.ID)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	loc := r.sched.Location()
	base := fileBaseName(r.name, rec.Tenant, rec.From.In(loc), rec.To.In(loc))
	outs := make([]*reportFile, 0, len(r.formats))
	defer func() {
		for _, o := range outs {
			o.abort()
		}
	}()
	for _, format := range r.formats {
		o, err := e.openReportFile(dir, base, format, r.compression, loc)
		if err != nil {
			return err
		}
		outs = append(outs, o)
	}
	tally := reportmail.NewTally(0)
	var first, last time.Time
	err := e.spool.Scan(ctx, rec.Tenant, rec.From, rec.To, func(ev audit.Row) error {
		if !r.filter.matches(&ev) {
			return nil
		}
		tally.Add(ev.Category, ev.Summary, ev.Author, ev.Outcome)
		if first.IsZero() || ev.Time.Before(first) {
			first = ev.Time
		}
		if ev.Time.After(last) {
			last = ev.Time
		}
		row := audit.Row{
			Time: ev.Time, Author: ev.Author, Category: ev.Category, Summary: ev.Summary, Description: ev.Description,
			Outcome: ev.Outcome, SourceIP: ev.SourceIP, Target: ev.Target, EventID: ev.EventID, Tenant: ev.Tenant,
		}
		for _, o := range outs {
			if err := o.rows.WriteRow(row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	files := make([]fileInfo, 0, len(outs))
	for _, o := range outs {
		fi, err := o.finish()
		if err != nil {
			return err
		}
		files = append(files, fi)
	}
	outs = nil
	var filled reportmail.ReportSummary
	tally.Fill(&filled, topAuthors)
	for i := range files {
		m, err := e.describe(r, rec, &files[i], filled.Total, first, last)
		if err != nil {
			return fmt.Errorf("manifest of %s: %w", files[i].Name, err)
		}
		files[i].Manifest = m
	}
	sum := summary{Total: filled.Total, ByCategory: filled.ByCategory, TopAuthors: filled.TopAuthors, FailedLogins: filled.FailedLogins}
	rec.Files, rec.Summary, rec.State, rec.RenderedAt = files, sum, stateRendered, e.now().UTC()
	idx := fileIndex{Tenant: rec.Tenant, Report: r.name, ExpiresAt: rec.RenderedAt.Add(r.fileRetention)}
	for _, f := range files {
		idx.Files = append(idx.Files, f.Name, f.manifestName())
	}
	v, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	return e.spool.Put(nsFiles, rec.ID, v)
}

// fileBaseName names report files after the report, tenant and period start; only
// characters that are safe in every file system and mail client are kept.
func fileBaseName(reportName, tenant string, from, to time.Time) string {
	layout := "2006-01-02T1504"
	if isMidnight(from) && isMidnight(to) {
		layout = "2006-01-02"
	}
	safe := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			return c
		}
		return '_'
	}, tenant)
	return fmt.Sprintf("%s_%s_%s", reportName, safe, from.Format(layout))
}

func isMidnight(t time.Time) bool {
	h, m, s := t.Clock()
	return h == 0 && m == 0 && s == 0
}

// reportFile is one output file: rows -> compressor -> buffer -> file.
type reportFile struct {
	name, contentType string
	format            string
	file              *os.File
	buf               *bufio.Writer
	comp              interface{ Close() error }
	rows              reportrender.Writer
}

func (e *reportExporter) openReportFile(dir, base, format, compression string, loc *time.Location) (*reportFile, error) {
	inner := base + "." + format
	name := reportrender.CompressedName(inner, compression)
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	o := &reportFile{name: name, format: strings.TrimPrefix(name, base+"."), file: f, buf: bufio.NewWriterSize(f, 256<<10),
		contentType: reportrender.CompressedContentType(compression, reportrender.ContentType(format))}
	comp, err := reportrender.NewCompressed(compression, o.buf, inner)
	if err != nil {
		o.abort()
		return nil, err
	}
	o.comp = comp
	o.rows, err = reportrender.New(format, comp, loc, reportrender.WithTempDir(filepath.Join(e.baseDir, tmpDir)))
	if err != nil {
		o.abort()
		return nil, err
	}
	return o, nil
}

// finish closes every layer and fsyncs, so that a "rendered" ledger state always refers to
// complete files.
func (o *reportFile) finish() (fileInfo, error) {
	err := o.rows.Close()
	if err == nil {
		err = o.comp.Close()
	}
	if err == nil {
		err = o.buf.Flush()
	}
	if err == nil {
		err = o.file.Sync()
	}
	var size int64
	if err == nil {
		var st os.FileInfo
		if st, err = o.file.Stat(); err == nil {
			size = st.Size()
		}
	}
	if cerr := o.file.Close(); err == nil {
		err = cerr
	}
	o.file = nil
	return fileInfo{Name: o.name, ContentType: o.contentType, Size: size, Format: o.format}, err
}

func (o *reportFile) abort() {
	if o.rows != nil {
		_ = o.rows.Close()
	}
	if o.file != nil {
		_ = o.file.Close()
		o.file = nil
	}
}

func (f *FilterConfig) matches(ev *audit.Row) bool {
	return (len(f.Authors) == 0 || slices.Contains(f.Authors, ev.Author)) &&
		(len(f.Categories) == 0 || slices.Contains(f.Categories, ev.Category)) &&
		(len(f.Summaries) == 0 || slices.Contains(f.Summaries, ev.Summary)) &&
		(f.Outcome == "" || f.Outcome == ev.Outcome)
}

// cleanup applies the retentions: spool days, rendered files (index entry first, then the
// directory, so that the server never serves a half-deleted run) and old ledger records.
func (e *reportExporter) cleanup(ctx context.Context, now time.Time) {
	if _, err := e.spool.Expire(); err != nil {
		e.logger.Warn("spool retention failed", zap.Error(err))
	}
	var expired []string
	indexed := map[string]bool{}
	_ = e.spool.ForEach(nsFiles, "", func(id string, v []byte) error {
		indexed[id] = true
		var idx fileIndex
		if json.Unmarshal(v, &idx) != nil || !now.Before(idx.ExpiresAt) {
			expired = append(expired, id)
		}
		return nil
	})
	for _, id := range expired {
		if err := e.spool.Delete(nsFiles, id); err != nil {
			e.logger.Warn("file retention failed", zap.Error(err))
			continue
		}
		if isRunID(id) {
			_ = os.RemoveAll(e.runDir(id))
		}
	}
	// Directories with no index entry are renders interrupted by a crash; leave the fresh
	// ones alone, a render may be writing them right now.
	entries, _ := os.ReadDir(filepath.Join(e.baseDir, filesDir))
	for _, de := range entries {
		if indexed[de.Name()] || !isRunID(de.Name()) {
			continue
		}
		if info, err := de.Info(); err == nil && now.Sub(info.ModTime()) > 24*time.Hour {
			_ = os.RemoveAll(e.runDir(de.Name()))
		}
	}
	cutoff := now.Add(-ledgerRetention)
	var old []string
	_ = e.spool.ForEach(nsRuns, "", func(k string, v []byte) error {
		var rec runRecord
		if json.Unmarshal(v, &rec) == nil && rec.To.Before(cutoff) {
			old = append(old, k)
		}
		return ctx.Err()
	})
	for _, k := range old {
		_ = e.spool.Delete(nsRuns, k)
	}
}

func isRunID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}
