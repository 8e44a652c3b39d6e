package exportjobs

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// QueueFullError is ErrQueueFull with the delay after which a retry is sensible.
type QueueFullError struct{ RetryAfter time.Duration }

func (e *QueueFullError) Error() string { return ErrQueueFull.Error() }
func (e *QueueFullError) Unwrap() error { return ErrQueueFull }

// Submit checks who asks and the limits, counts the period and queues the export. Every
// call counts towards the identity's request rate, refused ones included: a refused request
// may have cost a full count of the period.
func (e *Engine) Submit(ctx context.Context, who Identity, req Request, sourceIP string) (*Job, error) {
	if wait, ok := e.requests.take(who.key(), 1); !ok {
		return nil, &TooManyRequestsError{RetryAfter: wait}
	}
	if err := e.precheck(who, req); err != nil {
		return nil, err
	}
	n := len(req.Notify)
	if n > 0 {
		if wait, ok := e.notifies.take(who.key(), n); !ok {
			return nil, fieldErr("notify", "this credential asked for too many notification emails: retry in %s, or leave notify empty", retryWait(wait))
		}
	}
	j, err := e.submit(ctx, who, req, sourceIP)
	if err != nil && n > 0 {
		e.notifies.refund(who.key(), n)
	}
	return j, err
}

// precheck is what Submit checks before any work, and what the link's confirmation page
// checks before it offers to start the export: the tenant, the recipients and the
// retention.
func (e *Engine) precheck(who Identity, req Request) error {
	if !who.Allows(req.Tenant) {
		return errForbidden
	}
	for _, a := range req.Notify {
		if !e.notifyAllowed(who, a) {
			return fieldErr("notify", "%q may not be notified: only the requester's own address or one in notify_domains", a)
		}
	}
	if r := e.cfg.SpoolRetention; r > 0 {
		if earliest := e.now().Add(-r); req.From.Before(earliest) {
			return fieldErr("from", "is older than the event retention (%s): the earliest is %s", days(r), earliest.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func (e *Engine) submit(ctx context.Context, who Identity, req Request, sourceIP string) (*Job, error) {
	if err := e.checkQueue(req.Tenant); err != nil {
		return nil, err
	}
	// The count scans the whole period before a queue slot is taken: bound how many of them
	// one identity runs at once.
	release, ok := e.sizeChecks.acquire(who.key())
	if !ok {
		return nil, &TooManyRequestsError{RetryAfter: e.cfg.RetryAfter}
	}
	err := e.checkSize(ctx, req)
	release()
	if err != nil {
		return nil, err
	}
	now := e.now()
	j := &Job{
		ID: reportengine.NewID(), Tenant: req.Tenant, Requester: who.Name, SourceIP: sourceIP,
		From: req.From, To: req.To, Scope: req.Scope, Filters: req.Filters, Format: req.Format, Timezone: req.Timezone,
		Notify: req.Notify, Status: StatusPending, CreatedAt: now,
		FileName: fileName(req.Tenant, req.From, req.To, req.Format),
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, ErrClosed
	}
	if err := e.checkQueueLocked(req.Tenant); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	if err := e.persist(j); err != nil {
		e.mu.Unlock()
		return nil, fmt.Errorf("persist export job: %w", err)
	}
	e.jobs[j.ID] = j
	e.queue = append(e.queue, j.ID)
	snapshot := *j
	e.mu.Unlock()
	e.signal()
	e.emit(ctx, selfaudit.Event{
		Time: now, Tenant: j.Tenant, Author: who.Name, Action: selfaudit.ActionExportRequested,
		Target: j.ID, Outcome: audit.OutcomeSuccess, SourceIP: sourceIP,
		Description: fmt.Sprintf("Export %s of %s requested for %s to %s (%s, scope %s)", j.ID, j.Tenant,
			j.From.Format(time.RFC3339), j.To.Format(time.RFC3339), j.Format, j.Scope),
	})
	return &snapshot, nil
}

// notifyAllowed: the requester's own address, or one in notify_domains.
func (e *Engine) notifyAllowed(who Identity, addr string) bool {
	if who.Email != "" && strings.EqualFold(addr, who.Email) {
		return true
	}
	// The domain follows the last "@": a quoted local part may hold one.
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return false
	}
	domain := addr[at+1:]
	return slices.ContainsFunc(e.cfg.NotifyDomains, func(d string) bool { return strings.EqualFold(d, domain) })
}

// days writes a retention in days when it is whole days (the usual case), else as a
// duration.
func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}

// retryWait rounds a wait up to the second for a message.
func retryWait(d time.Duration) time.Duration {
	return time.Duration(retryAfterSeconds(d)) * time.Second
}

func (e *Engine) checkQueue(tenant string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.checkQueueLocked(tenant)
}

func (e *Engine) checkQueueLocked(tenant string) error {
	if len(e.queue) >= e.cfg.QueueSize {
		return &QueueFullError{RetryAfter: e.cfg.RetryAfter}
	}
	n := 0
	for _, id := range e.queue {
		if e.jobs[id].Tenant == tenant {
			n++
		}
	}
	if n >= e.cfg.TenantQueueSize {
		return &QueueFullError{RetryAfter: e.cfg.RetryAfter}
	}
	return nil
}

// checkSize counts the period up front. When the unfiltered count is over the cap and
// filters are set, the filtered rows are counted (stopping at the cap) before refusing.
func (e *Engine) checkSize(ctx context.Context, req Request) error {
	n, err := e.deps.Source.Count(ctx, req.Tenant, req.From, req.To)
	if err != nil {
		return fmt.Errorf("count events: %w", err)
	}
	if n <= e.cfg.MaxRows {
		return nil
	}
	m := reportengine.NewMatcher(req.Filters)
	if m == nil {
		return &TooLargeError{Rows: n, MaxRows: e.cfg.MaxRows}
	}
	matched := 0
	errOver := errors.New("over")
	err = e.deps.Source.Scan(ctx, req.Tenant, req.From, req.To, func(r audit.Row) error {
		if m.Match(&r) {
			if matched++; matched > e.cfg.MaxRows {
				return errOver
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, errOver):
		return &TooLargeError{Rows: matched, MaxRows: e.cfg.MaxRows}
	case err != nil:
		return fmt.Errorf("count events: %w", err)
	}
	return nil
}

// View is a job as the API shows it.
type View struct {
	Job
	// ScopeDescription tells a person what the file holds: "Complete log file: every event
	// of the range" or "Filtered view: " and the filters.
	ScopeDescription string   `json:"scope_description"`
	Progress         Progress `json:"progress"`
	StatusURL        string   `json:"status_url"`
	DownloadURL      string   `json:"download_url,omitempty"`
	// ManifestURL is the signed link of the file's manifest, while DownloadURL is set.
	ManifestURL string `json:"manifest_url,omitempty"`
}

// Progress of a job.
type Progress struct {
	RowsWritten    int64   `json:"rows_written"`
	PercentScanned float64 `json:"percent_scanned"`
}

// Get returns a job as who may see it.
func (e *Engine) Get(who Identity, id string) (View, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, ok := e.jobs[id]
	if !ok {
		return View{}, ErrNotFound
	}
	if !who.Allows(j.Tenant) {
		return View{}, errForbidden
	}
	return e.viewLocked(j), nil
}

func (e *Engine) viewLocked(j *Job) View {
	v := View{Job: *j, ScopeDescription: describeScope(j.Scope, j.Filters), StatusURL: e.baseURL + StatusPath(j.ID)}
	v.Notify = slices.Clone(j.Notify)
	switch j.Status {
	case StatusRunning:
		if rs := e.running[j.ID]; rs != nil {
			v.Progress.RowsWritten = rs.rows.Load()
			span := j.To.Sub(j.From)
			done := time.Unix(0, rs.scannedNs.Load()).Sub(j.From)
			if span > 0 && done > 0 {
				v.Progress.PercentScanned = min(100, float64(done)/float64(span)*100)
			}
		}
	case StatusReady:
		v.Progress = Progress{RowsWritten: j.Rows, PercentScanned: 100}
		if e.now().Before(j.ExpiresAt) {
			v.DownloadURL = e.downloadURL(j)
			if j.ManifestDigest != "" {
				v.ManifestURL = e.manifestURL(j)
			}
		}
	case StatusFailed:
		v.Progress.RowsWritten = 0
	}
	return v
}

// List returns the tenant's jobs, newest first, at most limit.
func (e *Engine) List(who Identity, tenant string, limit int) ([]View, error) {
	if !who.Allows(tenant) {
		return nil, errForbidden
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var jobs []*Job
	for _, j := range e.jobs {
		if j.Tenant == tenant {
			jobs = append(jobs, j)
		}
	}
	slices.SortFunc(jobs, func(a, b *Job) int { return b.CreatedAt.Compare(a.CreatedAt) })
	if len(jobs) > limit {
		jobs = jobs[:limit]
	}
	out := make([]View, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, e.viewLocked(j))
	}
	return out, nil
}

// Cancel cancels a pending or running job (it ends failed, error "cancelled") or, for a
// finished one, removes its file and record. removed tells which.
func (e *Engine) Cancel(ctx context.Context, who Identity, id string) (removed bool, err error) {
	e.mu.Lock()
	j, ok := e.jobs[id]
	if !ok {
		e.mu.Unlock()
		return false, ErrNotFound
	}
	if !who.Allows(j.Tenant) {
		e.mu.Unlock()
		return false, errForbidden
	}
	switch j.Status {
	case StatusRunning:
		if rs := e.running[id]; rs != nil {
			rs.cancel(errCancelled)
		}
		e.mu.Unlock()
		return false, nil
	case StatusPending:
		e.queue = slices.DeleteFunc(e.queue, func(q string) bool { return q == id })
		j.Status, j.Error, j.FinishedAt = StatusFailed, errCancelled.Error(), e.now()
		_ = e.persist(j)
		e.mu.Unlock()
		e.afterFinish(ctx, j)
		return false, nil
	default:
		delete(e.jobs, id)
		err := e.remove(id)
		e.mu.Unlock()
		for _, path := range []string{e.filePath(id), e.manifestPath(id)} {
			if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
				err = errors.Join(err, rmErr)
			}
		}
		return true, err
	}
}

// Cleanup removes files whose links expired (the job becomes expired) and records older
// than RecordTTL after they finished. The cleanup loop calls it; tests call it with their
// clock.
func (e *Engine) Cleanup() (filesRemoved, recordsRemoved int) {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, j := range e.jobs {
		if j.Status == StatusReady && !now.Before(j.ExpiresAt) {
			_ = os.Remove(e.manifestPath(id))
			if err := os.Remove(e.filePath(id)); err == nil || errors.Is(err, os.ErrNotExist) {
				j.Status = StatusExpired
				_ = e.persist(j)
				filesRemoved++
			}
		}
		if (j.Status == StatusExpired || j.Status == StatusFailed) && !now.Before(j.FinishedAt.Add(e.cfg.FileTTL+e.cfg.RecordTTL)) {
			if err := e.remove(id); err == nil {
				delete(e.jobs, id)
				recordsRemoved++
			}
		}
	}
	// Files no record points to (a record removed by hand, a crash between steps).
	entries, _ := os.ReadDir(e.files)
	for _, ent := range entries {
		name := ent.Name()
		id, _ := strings.CutSuffix(name, manifest.Suffix) // a manifest lives and goes with its file
		id, isPart := strings.CutSuffix(id, ".part")
		j, ok := e.jobs[id]
		if ok && ((isPart && j.Status == StatusRunning) || (!isPart && j.Status == StatusReady)) {
			continue
		}
		if reportengine.IsID(id) {
			_ = os.Remove(e.filePath(name))
		}
	}
	return filesRemoved, recordsRemoved
}

func (e *Engine) cleanupLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.CleanupInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if files, records := e.Cleanup(); files+records > 0 {
				e.logger.Debug("export cleanup", zap.Int("files", files), zap.Int("records", records))
			}
		case <-e.ctx.Done():
			return
		}
	}
}

// validEmail is used for addresses that come from credentials rather than requests.
func validEmail(a string) bool {
	addr, err := mail.ParseAddress(a)
	return err == nil && addr.Name == "" && !strings.ContainsAny(a, "\r\n")
}
