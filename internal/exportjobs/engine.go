package exportjobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/internal/signedlink"
)

// EventSource is what the engine reads events from: a reportsource.Source.
type EventSource interface {
	// Count returns how many events of tenant fall in [from, to).
	Count(ctx context.Context, tenant string, from, to time.Time) (int, error)
	// Scan calls fn for every event of tenant in [from, to), in time order.
	Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error
}

// Emitter receives audit-of-audit events (the audit_events extension's hub).
type Emitter interface {
	Emit(ctx context.Context, ld plog.Logs) error
}

// Status of a job.
type Status string

// Statuses. A cancelled job is failed with Error "cancelled".
const (
	StatusPending Status = "pending"
	StatusRunning Status = "running"
	StatusReady   Status = "ready"
	StatusFailed  Status = "failed"
	StatusExpired Status = "expired"
)

// Job is one export, as persisted.
type Job struct {
	ID        string    `json:"id"`
	Tenant    string    `json:"tenant"`
	Requester string    `json:"requester"`
	SourceIP  string    `json:"source_ip,omitempty"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	// Scope is ScopeAll or ScopeView.
	Scope    string   `json:"scope"`
	Filters  Filters  `json:"filters"`
	Format   string   `json:"format"`
	Timezone string   `json:"timezone"`
	Notify   []string `json:"notify,omitempty"`

	Status     Status    `json:"status"`
	Error      string    `json:"error,omitempty"`
	Notes      []string  `json:"notes,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	Rows       int64     `json:"rows"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256,omitempty"`
	// ManifestDigest is the SHA-256 of the manifest written beside the file (see
	// internal/manifest); ManifestKeyID is its signing key, empty when unsigned.
	ManifestDigest string `json:"manifest_digest,omitempty"`
	ManifestKeyID  string `json:"manifest_key_id,omitempty"`
	FileName       string `json:"file_name,omitempty"`
	Attempts       int    `json:"attempts"`

	// FinishEmitted and Notified record the side effects of a finished job, so that a
	// restart between finishing and emitting redoes them exactly once more (the event id is
	// deterministic, so a repeated event is deduplicated downstream).
	FinishEmitted bool   `json:"finish_emitted,omitempty"`
	Notified      bool   `json:"notified,omitempty"`
	NotifyError   string `json:"notify_error,omitempty"`
}

func (j *Job) terminal() bool {
	return j.Status == StatusReady || j.Status == StatusFailed || j.Status == StatusExpired
}

// Errors of Submit, mapped to HTTP statuses by the handler.
var (
	ErrQueueFull = errors.New("too many exports are waiting; retry later")
	ErrTooLarge  = errors.New("export too large")
	ErrNotFound  = errors.New("no such export")
	ErrClosed    = errors.New("export engine is closed")
)

const maxAttempts = 3

// DefaultRetry retries a notification after 5 seconds, 30 seconds and 2 minutes.
var DefaultRetry = configretry.BackOffConfig{
	Enabled: true, InitialInterval: 5 * time.Second, Multiplier: 6, MaxInterval: 2 * time.Minute,
	MaxElapsedTime: 5*time.Second + 30*time.Second + 2*time.Minute,
}

var bucketJobs = []byte("export_jobs")

// Deps are the engine's collaborators.
type Deps struct {
	// DB stores the jobs; nil opens <Directory>/exports.db, closed by Close.
	DB *bolt.DB
	// Source reads events. Required.
	Source EventSource
	// Signer signs and verifies download links. Required.
	Signer *signedlink.Signer
	// Sender delivers notifications; nil disables email.
	Sender reportmail.Sender
	// Retry is the backoff for notifications the sender says may succeed later; nil is
	// DefaultRetry.
	Retry *configretry.BackOffConfig
	// Emitter receives audit-of-audit events; nil disables them.
	Emitter Emitter
	// Logger logs lifecycle and per-job failures; nil is a no-op logger.
	Logger *zap.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Sleep waits between notification attempts; nil waits for real.
	Sleep func(ctx context.Context, d time.Duration) error
	// ManifestSigner signs the manifest written beside every export file; nil writes it
	// unsigned.
	ManifestSigner *manifest.Signer
}

// Engine runs exports.
type Engine struct {
	cfg     Config
	deps    Deps
	auth    *authenticator
	db      *bolt.DB
	ownDB   bool
	files   string
	now     func() time.Time
	logger  *zap.Logger
	sleep   func(ctx context.Context, d time.Duration) error
	retry   configretry.BackOffConfig
	baseURL string
	host    string

	// Per-identity limits (limits.go) and the link form's state (linkform.go).
	requests   *buckets
	notifies   *buckets
	sizeChecks *inflight
	forms      *formTokens
	origins    *http.CrossOriginProtection

	mu        sync.Mutex
	jobs      map[string]*Job
	queue     []string // pending job ids, oldest first
	running   map[string]*runState
	perTenant map[string]int
	closed    bool

	wake   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// runState is the live progress of a running job.
type runState struct {
	ctx       context.Context
	cancel    context.CancelCauseFunc
	rows      atomic.Int64
	scannedNs atomic.Int64 // time reached in the period, Unix ns
}

var errCancelled = errors.New("cancelled")

// New opens the engine and queues again every job a previous run left pending or running.
// Call Start to run them.
func New(cfg Config, deps Deps) (*Engine, error) {
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Directory == "" {
		return nil, errors.New("directory: must be set")
	}
	if deps.Source == nil || deps.Signer == nil {
		return nil, errors.New("exportjobs: Source and Signer are required")
	}
	auth, err := newAuthenticator(cfg.Auth)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		cfg: cfg, deps: deps, auth: auth, db: deps.DB,
		files:     filepath.Join(cfg.Directory, "files"),
		now:       deps.Now,
		logger:    deps.Logger,
		sleep:     deps.Sleep,
		retry:     DefaultRetry,
		jobs:      map[string]*Job{},
		running:   map[string]*runState{},
		perTenant: map[string]int{},
		wake:      make(chan struct{}, 1),
		baseURL:   strings.TrimSuffix(cfg.PublicURL, "/"),
		host:      "otelcol-audit.local",
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.logger == nil {
		e.logger = zap.NewNop()
	}
	if e.sleep == nil {
		e.sleep = reportengine.Sleep
	}
	if deps.Retry != nil {
		e.retry = *deps.Retry
	}
	if u, err := url.Parse(e.baseURL); err == nil && u.Hostname() != "" {
		e.host = u.Hostname()
	}
	e.requests = newBuckets(cfg.RequestRate, e.now)
	e.notifies = newBuckets(cfg.NotifyRate, e.now)
	e.sizeChecks = newInflight(cfg.SizeChecksPerIdentity)
	e.forms = &formTokens{used: map[string]formUse{}}
	e.origins = http.NewCrossOriginProtection()
	if e.baseURL != "" {
		// Behind a reverse proxy the Host header may not be the public one.
		if err := e.origins.AddTrustedOrigin(e.baseURL); err != nil {
			return nil, fmt.Errorf("public_url: %w", err)
		}
	}
	if err := os.MkdirAll(e.files, 0o700); err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	if e.db == nil {
		e.db, err = bolt.Open(filepath.Join(cfg.Directory, "exports.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("open export jobs: %w", err)
		}
		e.ownDB = true
	}
	if err := e.load(); err != nil {
		if e.ownDB {
			_ = e.db.Close()
		}
		return nil, err
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	return e, nil
}

// load reads every job; pending and running ones go back on the queue in creation order,
// and partial files of interrupted runs are removed.
func (e *Engine) load() error {
	err := e.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketJobs)
		if err != nil {
			return err
		}
		return b.ForEach(func(_, v []byte) error {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return nil // an unreadable record is skipped, never fatal
			}
			if j.Scope == "" {
				// Recorded before jobs had a scope: the default a request would get now.
				j.Scope, _ = resolveScope("", j.Filters)
			}
			e.jobs[j.ID] = &j
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("load export jobs: %w", err)
	}
	var requeue []*Job
	for _, j := range e.jobs {
		if j.Status == StatusPending || j.Status == StatusRunning {
			j.Status = StatusPending
			requeue = append(requeue, j)
		}
	}
	slices.SortFunc(requeue, func(a, b *Job) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, j := range requeue {
		_ = os.Remove(e.partPath(j.ID))
		e.queue = append(e.queue, j.ID)
		if err := e.persist(j); err != nil {
			return err
		}
	}
	return nil
}

// Start runs the workers and the cleanup loop. Finished jobs whose audit event or email a
// previous run did not get to are finished now.
func (e *Engine) Start() {
	e.mu.Lock()
	var unfinished []*Job
	for _, j := range e.jobs {
		if j.terminal() && j.Status != StatusExpired && (!j.FinishEmitted || (j.Status == StatusReady && !j.Notified)) {
			unfinished = append(unfinished, j)
		}
	}
	e.mu.Unlock()
	for _, j := range unfinished {
		e.afterFinish(e.ctx, j)
	}
	for range e.cfg.Workers {
		e.wg.Add(1)
		go e.worker()
	}
	e.wg.Add(1)
	go e.cleanupLoop()
	e.signal()
}

// Close stops the workers. Running jobs are interrupted and stay queued in the database:
// the next engine on the same directory runs them again. Safe twice.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for _, rs := range e.running {
		rs.cancel(ErrClosed)
	}
	e.mu.Unlock()
	e.cancel()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if e.ownDB {
		return e.db.Close()
	}
	return nil
}

func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) worker() {
	defer e.wg.Done()
	for {
		j, rs := e.next()
		if j == nil {
			select {
			case <-e.wake:
				continue
			case <-e.ctx.Done():
				return
			}
		}
		e.signal() // another worker may find a job of another tenant
		e.run(j, rs)
		e.mu.Lock()
		delete(e.running, j.ID)
		e.perTenant[j.Tenant]--
		e.mu.Unlock()
		e.signal()
	}
}

// next takes the oldest pending job whose tenant is under its concurrency limit.
func (e *Engine) next() (*Job, *runState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, nil
	}
	for i, id := range e.queue {
		j := e.jobs[id]
		if e.perTenant[j.Tenant] >= e.cfg.PerTenant {
			continue
		}
		e.queue = slices.Delete(e.queue, i, i+1)
		ctx, cancel := context.WithCancelCause(e.ctx)
		rs := &runState{ctx: ctx, cancel: cancel}
		rs.scannedNs.Store(j.From.UnixNano())
		e.running[id] = rs
		e.perTenant[j.Tenant]++
		j.Status = StatusRunning
		j.StartedAt = e.now()
		j.Attempts++
		if err := e.persist(j); err != nil {
			e.logger.Warn("persist export job", zap.String("id", id), errField(err))
		}
		return j, rs
	}
	return nil, nil
}

func (e *Engine) run(j *Job, rs *runState) {
	ctx := rs.ctx
	defer rs.cancel(nil)

	var err error
	if j.Attempts > maxAttempts {
		err = errGaveUp
	} else {
		err = e.render(ctx, j, rs)
	}
	cause := context.Cause(ctx)
	e.mu.Lock()
	switch {
	case err != nil && errors.Is(cause, ErrClosed):
		// Shutdown: leave the job queued in the database for the next start.
		j.Status = StatusPending
		_ = e.persist(j)
		e.mu.Unlock()
		_ = os.Remove(e.partPath(j.ID))
		return
	case err != nil:
		j.Status, j.Error = StatusFailed, e.publicJobError(j, err, cause)
		j.FinishedAt = e.now()
		_ = os.Remove(e.partPath(j.ID))
	default:
		j.Status = StatusReady
		j.FinishedAt = e.now()
		j.ExpiresAt = j.FinishedAt.Add(e.cfg.FileTTL)
	}
	if perr := e.persist(j); perr != nil {
		e.logger.Warn("persist export job", zap.String("id", j.ID), errField(perr))
	}
	e.mu.Unlock()
	e.afterFinish(e.ctx, j)
}

var errGaveUp = fmt.Errorf("gave up after %d attempts", maxAttempts)

// publicJobError is the Error a failed job shows in the API, the status page and its audit
// event. Only errors meant for the requester keep their text; any other (file system paths,
// the event store's errors) is logged under an error id, which the job shows instead.
func (e *Engine) publicJobError(j *Job, err, cause error) string {
	var tl *TooLargeError
	switch {
	case errors.Is(cause, errCancelled):
		return errCancelled.Error()
	case errors.As(err, &tl), errors.Is(err, errGaveUp):
		e.logger.Warn("export failed", zap.String("id", j.ID), zap.String("tenant", j.Tenant), errField(err))
		return err.Error()
	}
	id := newErrorID()
	e.logger.Warn("export failed", zap.String("error_id", id), zap.String("id", j.ID), zap.String("tenant", j.Tenant), errField(err))
	return "export failed (error id " + id + ")"
}

// afterFinish emits the completion event and sends the email, each once.
func (e *Engine) afterFinish(ctx context.Context, j *Job) {
	e.mu.Lock()
	snapshot := *j
	e.mu.Unlock()
	if !snapshot.FinishEmitted {
		action, outcome := selfaudit.ActionExportCompleted, audit.OutcomeSuccess
		description := fmt.Sprintf("Export %s of %s completed: %d rows, %d bytes", snapshot.ID, snapshot.Tenant, snapshot.Rows, snapshot.Size)
		if snapshot.Status == StatusFailed {
			action, outcome = selfaudit.ActionExportFailed, audit.OutcomeFailure
			description = fmt.Sprintf("Export %s of %s failed: %s", snapshot.ID, snapshot.Tenant, snapshot.Error)
			if snapshot.Error == errCancelled.Error() {
				action = selfaudit.ActionExportCancelled
				description = fmt.Sprintf("Export %s of %s cancelled", snapshot.ID, snapshot.Tenant)
			}
		}
		e.emit(ctx, selfaudit.Event{
			Time: snapshot.FinishedAt, Tenant: snapshot.Tenant, Author: snapshot.Requester,
			Action: action, Target: snapshot.ID, Outcome: outcome, Description: description,
		})
		e.update(j, func(j *Job) { j.FinishEmitted = true })
	}
	if snapshot.Status != StatusReady || snapshot.Notified {
		return
	}
	if e.deps.Sender == nil || len(snapshot.Notify) == 0 || e.baseURL == "" {
		e.update(j, func(j *Job) { j.Notified = true })
		return
	}
	msg, err := e.message(&snapshot)
	if err == nil {
		err = reportengine.Send(ctx, e.deps.Sender, msg, e.retry, e.sleep)
	}
	// The SMTP error names the server and quotes its reply: it goes to the log, and the job
	// shows an error id.
	var errorID string
	if err != nil {
		errorID = newErrorID()
		e.logger.Warn("export notification failed", zap.String("error_id", errorID), zap.String("id", snapshot.ID), errField(err))
	}
	e.update(j, func(j *Job) {
		j.Notified = true
		if err != nil {
			j.NotifyError = "notification failed (error id " + errorID + ")"
		}
	})
}

func (e *Engine) update(j *Job, fn func(*Job)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	fn(j)
	if _, ok := e.jobs[j.ID]; !ok {
		return // removed meanwhile
	}
	if err := e.persist(j); err != nil {
		e.logger.Warn("persist export job", zap.String("id", j.ID), errField(err))
	}
}

func (e *Engine) emit(ctx context.Context, ev selfaudit.Event) {
	if e.deps.Emitter == nil {
		return
	}
	if err := e.deps.Emitter.Emit(ctx, selfaudit.NewLogs(ev)); err != nil {
		// The hub counts what it drops; one line per failed event is bounded by the
		// number of exports, not by the number of records.
		e.logger.Warn("audit event not emitted", zap.String("action", ev.Action), zap.String("target", ev.Target), errField(err))
	}
}

// persist writes j; the caller holds e.mu.
func (e *Engine) persist(j *Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return e.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).Put([]byte(j.ID), v)
	})
}

func (e *Engine) remove(id string) error {
	return e.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).Delete([]byte(id))
	})
}

func (e *Engine) partPath(id string) string { return filepath.Join(e.files, id+".part") }
func (e *Engine) filePath(id string) string { return filepath.Join(e.files, id) }
func (e *Engine) manifestPath(id string) string {
	return filepath.Join(e.files, id+manifest.Suffix)
}
