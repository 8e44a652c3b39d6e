package selfaudit // import "github.com/otelcol-audit/otelcol-audit/internal/selfaudit"

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
)

// ExtensionType is the component type of the extension that implements Emitter and
// Attacher; it only names the extension in errors.
const ExtensionType = "audit_events"

// Errors of the Emitter and Attacher contracts, for errors.Is.
var (
	// ErrBufferFull is returned by Emit when no receiver is attached and the buffer is full.
	// The records were not kept; a later Emit of the same records can succeed.
	ErrBufferFull = errors.New("audit_events: no receiver attached and the buffer is full")
	// ErrAlreadyAttached is returned by Attach when another receiver is attached.
	ErrAlreadyAttached = errors.New("audit_events: a receiver is already attached to this hub")
	// ErrShutdown is returned by Emit and Attach after the hub shut down.
	ErrShutdown = errors.New("audit_events: hub is shut down")
	// ErrNotFound is returned by Find and FindAttacher when the host has no extension with
	// the configured id.
	ErrNotFound = errors.New("not found: add it to service::extensions")
	// ErrWrongType is returned by Find and FindAttacher when the extension with the configured
	// id does not implement the interface.
	ErrWrongType = errors.New("is not an " + ExtensionType + " extension")
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

// Find returns the Emitter configured as id. Components call it from Start, when the host
// knows every extension.
func Find(host component.Host, id component.ID) (Emitter, error) {
	return find[Emitter](host, id)
}

// FindAttacher is Find for the audit_events receiver.
func FindAttacher(host component.Host, id component.ID) (Attacher, error) {
	return find[Attacher](host, id)
}

func find[T any](host component.Host, id component.ID) (T, error) {
	var zero T
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return zero, fmt.Errorf("extension %q %w", id, ErrNotFound)
	}
	v, ok := ext.(T)
	if !ok {
		return zero, fmt.Errorf("extension %q %w", id, ErrWrongType)
	}
	return v, nil
}
