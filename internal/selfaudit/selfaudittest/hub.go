// Package selfaudittest provides an in-memory audit_events hub for the tests of components
// that emit or receive audit-of-audit events, so that they need not import the extension.
package selfaudittest // import "github.com/otelcol-audit/otelcol-audit/internal/selfaudit/selfaudittest"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// Hub is a component that implements selfaudit.Emitter and selfaudit.Attacher without a
// buffer limit: what is emitted while nothing is attached is kept and forwarded, in order,
// on Attach.
type Hub struct {
	component.StartFunc
	component.ShutdownFunc

	mu      sync.Mutex
	next    consumer.Logs
	pending []plog.Logs
}

var (
	_ component.Component = (*Hub)(nil)
	_ selfaudit.Emitter   = (*Hub)(nil)
	_ selfaudit.Attacher  = (*Hub)(nil)
)

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{} }

// Emit implements selfaudit.Emitter.
func (h *Hub) Emit(ctx context.Context, ld plog.Logs) error {
	h.mu.Lock()
	next := h.next
	if next == nil {
		h.pending = append(h.pending, ld)
	}
	h.mu.Unlock()
	if next == nil {
		return nil
	}
	return next.ConsumeLogs(ctx, ld)
}

// Attach implements selfaudit.Attacher.
func (h *Hub) Attach(next consumer.Logs) (func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.next != nil {
		return nil, selfaudit.ErrAlreadyAttached
	}
	for _, ld := range h.pending {
		_ = next.ConsumeLogs(context.Background(), ld)
	}
	h.pending, h.next = nil, next
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			h.next = nil
			h.mu.Unlock()
		})
	}, nil
}

// Host is a component.Host that provides the hub as the extension id.
func (h *Hub) Host(id component.ID) component.Host {
	return host{id: h}
}

type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }
