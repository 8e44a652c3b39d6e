package auditeventsextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension"

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// Metric attribute values; fixed sets.
const (
	resultForwarded = "forwarded"
	resultBuffered  = "buffered"

	reasonBufferFull = "buffer_full"
	reasonRejected   = "rejected"
	reasonShutdown   = "shutdown"
)

// Hub is the audit_events extension: it implements selfaudit.Emitter for the components
// that emit audit-of-audit events and selfaudit.Attacher for the audit_events receiver.
type Hub struct {
	telemetry *metadata.TelemetryBuilder
	limit     int

	// mu is held while buffered records are flushed, so that no new record overtakes them.
	mu       sync.Mutex
	next     consumer.Logs
	pending  []plog.Logs
	buffered int // records in pending
	closed   bool
}

var (
	_ extension.Extension = (*Hub)(nil)
	_ selfaudit.Emitter   = (*Hub)(nil)
	_ selfaudit.Attacher  = (*Hub)(nil)
)

func newHub(set component.TelemetrySettings, cfg *Config) (*Hub, error) {
	tb, err := metadata.NewTelemetryBuilder(set)
	if err != nil {
		return nil, err
	}
	return &Hub{telemetry: tb, limit: cfg.BufferSize}, nil
}

// Start implements component.Component.
func (h *Hub) Start(context.Context, component.Host) error { return nil }

// Shutdown counts the records still buffered as dropped. It is safe without Start and twice.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.buffered > 0 {
		h.telemetry.AuditEventsDropped.Add(ctx, int64(h.buffered), reasonAttr(reasonShutdown))
	}
	h.pending, h.buffered, h.closed = nil, 0, true
	return nil
}

// Emit implements selfaudit.Emitter.
func (h *Hub) Emit(ctx context.Context, ld plog.Logs) error {
	n := ld.LogRecordCount()
	if n == 0 {
		return nil
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		h.telemetry.AuditEventsDropped.Add(ctx, int64(n), reasonAttr(reasonShutdown))
		return selfaudit.ErrShutdown
	}
	next := h.next
	if next == nil {
		if h.buffered+n > h.limit {
			h.mu.Unlock()
			h.telemetry.AuditEventsDropped.Add(ctx, int64(n), reasonAttr(reasonBufferFull))
			return selfaudit.ErrBufferFull
		}
		h.pending = append(h.pending, ld)
		h.buffered += n
		h.mu.Unlock()
		h.telemetry.AuditEventsEmitted.Add(ctx, int64(n), resultAttr(resultBuffered))
		return nil
	}
	h.mu.Unlock()
	if err := next.ConsumeLogs(ctx, ld); err != nil {
		h.telemetry.AuditEventsDropped.Add(ctx, int64(n), reasonAttr(reasonRejected))
		return fmt.Errorf("audit_events: %w", err)
	}
	h.telemetry.AuditEventsEmitted.Add(ctx, int64(n), resultAttr(resultForwarded))
	return nil
}

// Attach implements selfaudit.Attacher. The buffered records are forwarded before Attach
// returns; a record the pipeline refuses is counted as dropped.
func (h *Hub) Attach(next consumer.Logs) (func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.next != nil {
		return nil, selfaudit.ErrAlreadyAttached
	}
	if h.closed {
		return nil, selfaudit.ErrShutdown
	}
	ctx := context.Background()
	for _, ld := range h.pending {
		n := int64(ld.LogRecordCount())
		if err := next.ConsumeLogs(ctx, ld); err != nil {
			h.telemetry.AuditEventsDropped.Add(ctx, n, reasonAttr(reasonRejected))
			continue
		}
		h.telemetry.AuditEventsEmitted.Add(ctx, n, resultAttr(resultForwarded))
	}
	h.pending, h.buffered = nil, 0
	h.next = next
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			h.next = nil
			h.mu.Unlock()
		})
	}, nil
}

func reasonAttr(r string) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", r)))
}

func resultAttr(r string) metric.AddOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String("result", r)))
}
