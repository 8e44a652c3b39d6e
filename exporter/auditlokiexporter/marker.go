package auditlokiexporter

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// Results of a dead-letter marker: the values of the marker_result attribute.
const (
	markerSent    = "sent"
	markerFailed  = "failed"
	markerSkipped = "skipped"
)

// markerQueueSize bounds the dead-letter batches whose markers wait to be pushed. Markers are
// rare; when Loki refuses everything the queue fills and further markers are counted as failed
// rather than holding the pipeline.
const markerQueueSize = 256

// markerBackoff is the wait before each retry of a marker push that Loki answered with 429,
// 5xx or not at all.
var markerBackoff = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// maxMarkerRetryAfter caps how long a Retry-After makes a marker push wait.
const maxMarkerRetryAfter = 30 * time.Second

// markerPusher pushes one marker event per dead-lettered entry to the entry's tenant, in the
// background: a marker is a courtesy to report readers and never holds the pipeline. A marker
// that cannot be delivered is counted and logged, never dead-lettered itself.
type markerPusher struct {
	e       *lokiExporter
	backoff []time.Duration
	now     func() time.Time

	mu     sync.Mutex
	closed bool
	queue  chan []selfaudit.DeadLetter

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newMarkerPusher(e *lokiExporter) *markerPusher {
	ctx, cancel := context.WithCancel(context.Background())
	return &markerPusher{
		e:       e,
		backoff: markerBackoff,
		now:     time.Now,
		queue:   make(chan []selfaudit.DeadLetter, markerQueueSize),
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
	}
}

func (m *markerPusher) start() { go m.run() }

func (m *markerPusher) run() {
	defer close(m.done)
	for markers := range m.queue {
		if m.ctx.Err() != nil {
			m.count(markerFailed, len(markers))
			continue
		}
		m.push(markers)
	}
}

// enqueue describes the dead-lettered entries as markers and queues them without waiting. An
// entry without a tenant Loki accepts or without a time cannot have a marker.
func (m *markerPusher) enqueue(dead []*entry) {
	at := m.now()
	markers := make([]selfaudit.DeadLetter, 0, len(dead))
	skipped := 0
	for _, en := range dead {
		var tenant, id string
		for _, kv := range en.meta {
			switch kv.Name {
			case audit.LokiMetaTenant:
				tenant = kv.Value
			case audit.LokiMetaEventID:
				id = kv.Value
			}
		}
		if en.ts.IsZero() || en.reason == lokipush.ReasonNoOrgID || audit.ValidateTenant(tenant) != nil {
			skipped++
			continue
		}
		markers = append(markers, selfaudit.DeadLetter{Tenant: tenant, EventID: id, EventTime: en.ts, Reason: en.reason, At: at})
	}
	m.count(markerSkipped, skipped)
	if len(markers) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		select {
		case m.queue <- markers:
			return
		default:
		}
	}
	m.count(markerFailed, len(markers))
	m.e.set.Logger.Warn("dead-letter markers dropped: the marker queue is full or shut down; the entries are in the dead-letter file",
		zap.Int("markers", len(markers)))
}

// push encodes the markers with the exporter's encoder (which writes their event time and
// reason as structured metadata) and sends them one request per tenant.
func (m *markerPusher) push(markers []selfaudit.DeadLetter) {
	entries := m.e.enc.entries(selfaudit.DeadLetterLogs(markers...))
	for i := range entries {
		if entries[i].reason != "" {
			m.count(markerFailed, 1)
			m.e.set.Logger.Warn("dead-letter marker refused by validation", zap.String("reason", entries[i].reason))
		}
	}
	for _, c := range chunks(entries, m.e.cfg.Limits.MaxRequestSize) {
		if err := m.send(&c); err != nil {
			m.count(markerFailed, len(c.entries))
			m.e.set.Logger.Warn("dead-letter markers not delivered; the entries are in the dead-letter file",
				zap.String("tenant", c.tenant), zap.Int("markers", len(c.entries)), zap.Error(err))
			continue
		}
		m.count(markerSent, len(c.entries))
	}
}

// send pushes one chunk, retrying 429, 5xx and connection errors a few times.
func (m *markerPusher) send(c *chunk) error {
	body, err := c.encode()
	if err != nil {
		return err
	}
	req := lokipush.Request{URL: m.e.url, Tenant: c.tenant, UserAgent: m.e.userAgent, Body: body}
	for attempt := 0; ; attempt++ {
		res := lokipush.Push(m.ctx, m.e.client, req)
		if res.Outcome == lokipush.OutcomeOK {
			return nil
		}
		if !res.Retryable() || attempt >= len(m.backoff) {
			return res.Err
		}
		wait := max(m.backoff[attempt], min(res.RetryAfter, maxMarkerRetryAfter))
		t := time.NewTimer(wait)
		select {
		case <-m.ctx.Done():
			t.Stop()
			return res.Err
		case <-t.C:
		}
	}
}

func (m *markerPusher) count(result string, n int) {
	if n > 0 {
		m.e.telemetry.AuditLokiDeadLetterMarkers.Add(context.Background(), int64(n),
			metric.WithAttributeSet(attribute.NewSet(attribute.String("marker_result", result))))
	}
}

// shutdown stops accepting markers and waits for the queued ones until ctx ends; then the
// pushes in flight are cancelled and what is left is counted as failed.
func (m *markerPusher) shutdown(ctx context.Context) {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.queue)
	}
	m.mu.Unlock()
	select {
	case <-m.done:
	case <-ctx.Done():
		m.cancel()
		<-m.done
	}
	m.cancel()
}
