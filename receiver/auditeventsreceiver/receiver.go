package auditeventsreceiver // import "github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver"

import (
	"context"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"

	"github.com/otelcol-audit/otelcol-audit/internal/identity"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

const transport = "internal"

type auditEventsReceiver struct {
	cfg    *Config
	next   consumer.Logs
	obsrep *receiverhelper.ObsReport

	mu     sync.Mutex
	detach func()
}

func newReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*auditEventsReceiver, error) {
	obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              transport,
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &auditEventsReceiver{cfg: cfg, next: next, obsrep: obsrep}, nil
}

// Start attaches to the hub; what the hub buffered before is forwarded now.
func (r *auditEventsReceiver) Start(_ context.Context, host component.Host) error {
	hub, err := selfaudit.FindAttacher(host, r.cfg.Extension)
	if err != nil {
		return fmt.Errorf("extension: %w", err)
	}
	forward, err := consumer.NewLogs(r.consume)
	if err != nil {
		return err
	}
	detach, err := hub.Attach(forward)
	if err != nil {
		return fmt.Errorf("extension: %w", err)
	}
	r.mu.Lock()
	r.detach = detach
	r.mu.Unlock()
	return nil
}

// internalIdentity is who the records come from: the distribution itself. Only components of
// this process emit through the hub, after they authorised the action for its tenant, so the
// normaliser keeps the tenant each record names instead of quarantining it as an
// unauthenticated claim.
var internalIdentity = &identity.Identity{Subject: selfaudit.SourceName, Internal: true}

// consume reports the records as received by this receiver (accepted or refused) and hands
// the pipeline's error back to the emitter.
func (r *auditEventsReceiver) consume(ctx context.Context, ld plog.Logs) error {
	ctx = identity.NewContext(ctx, internalIdentity)
	ctx = r.obsrep.StartLogsOp(ctx)
	err := r.next.ConsumeLogs(ctx, ld)
	r.obsrep.EndLogsOp(ctx, "audit_events", ld.LogRecordCount(), err)
	return err
}

// Shutdown detaches; the hub buffers what is emitted afterwards. Safe without Start and twice.
func (r *auditEventsReceiver) Shutdown(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.detach != nil {
		r.detach()
		r.detach = nil
	}
	return nil
}
