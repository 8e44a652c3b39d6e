package auditeventsextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension"

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension/internal/metadata"
)

// Metric attribute values; fixed sets.
const (
	resultForwarded = "forwarded"
	resultBuffered  = "buffered"

	reasonBufferFull = "buffer_full"
	reasonRejected   = "rejected"
	reasonShutdown   = "shutdown"
)

var (
	// ErrBufferFull is returned by Emit when no receiver is attached and the buffer is full.
	// The records were not kept; a later Emit of the same records can succeed.
	ErrBufferFull = errors.New("audit_events: no receiver attached and the buffer is full")
	// ErrAlreadyAttached is returned by Attach when another receiver is attached.
	ErrAlreadyAttached = errors.New("audit_events: a receiver is already attached to this hub")
	// ErrShutdown is returned by Emit after the hub shut down.
	ErrShutdown = errors.New("audit_events: hub is shut down")
)

// Emitter is what a component needs to send audit events through the hub.
type Emitter interface {
	// Emit hands ld to the pipeline of the attached receiver, or buffers it until one
	// attaches. The caller must not modify ld afterwards. An error from the pipeline is
	// returned as is (consumererror semantics); ErrBufferFull means nothing was kept.
	Emit(ctx context.Context, ld plog.Logs) error
}

// Attacher is what the audit_events receiver needs from the hub.
type Attacher interface {
	// Attach makes next the destination of every emitted record, after the records
	// buffered so far. detach undoes it; records emitted afterwards are buffered again.
	Attach(next consumer.Logs) (detach func(), err error)
}

// Hub is the audit_events extension.
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
	_ Emitter             = (*Hub)(nil)
	_ Attacher            = (*Hub)(nil)
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

// Emit implements Emitter.
func (h *Hub) Emit(ctx context.Context, ld plog.Logs) error {
	n := ld.LogRecordCount()
	if n == 0 {
		return nil
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		h.telemetry.AuditEventsDropped.Add(ctx, int64(n), reasonAttr(reasonShutdown))
		return ErrShutdown
	}
	next := h.next
	if next == nil {
		if h.buffered+n > h.limit {
			h.mu.Unlock()
			h.telemetry.AuditEventsDropped.Add(ctx, int64(n), reasonAttr(reasonBufferFull))
			return ErrBufferFull
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

// Attach implements Attacher. The buffered records are forwarded before Attach returns; a
// record the pipeline refuses is counted as dropped.
func (h *Hub) Attach(next consumer.Logs) (func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.next != nil {
		return nil, ErrAlreadyAttached
	}
	if h.closed {
		return nil, ErrShutdown
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

// Find returns the audit_events hub configured as id. Components call it from Start.
func Find(host component.Host, id component.ID) (Emitter, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("extension %q not found: add it to service::extensions", id)
	}
	e, ok := ext.(Emitter)
	if !ok {
		return nil, fmt.Errorf("extension %q is not an %s extension", id, metadata.Type)
	}
	return e, nil
}

// FindAttacher is Find for the audit_events receiver.
func FindAttacher(host component.Host, id component.ID) (Attacher, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("extension %q not found: add it to service::extensions", id)
	}
	a, ok := ext.(Attacher)
	if !ok {
		return nil, fmt.Errorf("extension %q is not an %s extension", id, metadata.Type)
	}
	return a, nil
}
