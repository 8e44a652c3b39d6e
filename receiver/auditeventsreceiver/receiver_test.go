package auditeventsreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/identity"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit/selfaudittest"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver/internal/metadata"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var hubID = component.MustNewID("audit_events")

type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// The receiver starts after the exporter (the collector starts receivers last): what was
// emitted before is forwarded on start, in order; after Shutdown the receiver is detached.
// The end-to-end path through the real extension and the normaliser is in test/pipeline.
func TestEmitBeforeAndAfterStart(t *testing.T) {
	hub := selfaudittest.NewHub()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	requested := selfaudit.Event{Time: at, Tenant: "acme", Author: "token:ops", Action: selfaudit.ActionExportRequested, Target: "exp1", Outcome: audit.OutcomeSuccess}
	require.NoError(t, hub.Emit(context.Background(), selfaudit.NewLogs(requested)))

	sink := new(consumertest.LogsSink)
	f := NewFactory()
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), hub.Host(hubID)))
	require.Equal(t, 1, sink.LogRecordCount(), "buffered event forwarded on start")

	delivered := selfaudit.ReportDelivered("acme", "weekly", at.Add(-7*24*time.Hour), "run-7", at.Add(time.Hour), audit.OutcomeSuccess)
	require.NoError(t, hub.Emit(context.Background(), selfaudit.NewLogs(delivered)))
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()), "twice")

	require.Equal(t, 2, sink.LogRecordCount())
	want := []selfaudit.Event{requested, delivered}
	for i, ld := range sink.AllLogs() {
		a := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
		get := func(k string) string { v, _ := a.Get(k); return v.AsString() }
		assert.Equal(t, selfaudit.CategoryAuditLog, get(audit.AttrCategory))
		assert.Equal(t, want[i].Summary(), get(audit.AttrSummary))
		assert.Equal(t, want[i].EventID(), get(audit.AttrEventID), "records are forwarded as emitted")
	}

	// Detached: the hub keeps what is emitted now for the next receiver.
	require.NoError(t, hub.Emit(context.Background(), selfaudit.NewLogs(requested)))
	assert.Equal(t, 2, sink.LogRecordCount())
}

// The records enter the pipeline as the distribution's own: the normaliser keeps the tenant
// they name.
func TestRecordsCarryInternalIdentity(t *testing.T) {
	hub := selfaudittest.NewHub()
	var got *identity.Identity
	next, err := consumer.NewLogs(func(ctx context.Context, _ plog.Logs) error {
		got, _ = identity.FromContext(ctx)
		return nil
	})
	require.NoError(t, err)
	f := NewFactory()
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), next)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), hub.Host(hubID)))
	defer func() { require.NoError(t, rcv.Shutdown(context.Background())) }()

	ev := selfaudit.ReportDelivered("acme", "daily", time.Now().Add(-24*time.Hour), "run-1", time.Now(), audit.OutcomeSuccess)
	require.NoError(t, hub.Emit(context.Background(), selfaudit.NewLogs(ev)))
	require.NotNil(t, got)
	assert.True(t, got.Internal)
	assert.True(t, got.Allows("acme"))
}

// The pipeline's error goes back to the emitter, which decides whether to retry.
func TestPipelineErrorReturnedToEmitter(t *testing.T) {
	hub := selfaudittest.NewHub()
	refused := errors.New("refused")
	f := NewFactory()
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewErr(refused))
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), hub.Host(hubID)))
	defer func() { require.NoError(t, rcv.Shutdown(context.Background())) }()

	ev := selfaudit.ReportDelivered("acme", "daily", time.Now().Add(-24*time.Hour), "run-1", time.Now(), audit.OutcomeSuccess)
	require.ErrorIs(t, hub.Emit(context.Background(), selfaudit.NewLogs(ev)), refused)
}

func TestStartWithoutExtension(t *testing.T) {
	f := NewFactory()
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), new(consumertest.LogsSink))
	require.NoError(t, err)
	err = rcv.Start(context.Background(), host{})
	require.ErrorIs(t, err, selfaudit.ErrNotFound)
	require.ErrorContains(t, err, `extension: extension "audit_events" not found`)
	require.NoError(t, rcv.Shutdown(context.Background()))

	// An extension of another type under the configured id.
	err = rcv.Start(context.Background(), host{hubID: otherExtension{}})
	require.ErrorIs(t, err, selfaudit.ErrWrongType)
}

type otherExtension struct {
	component.StartFunc
	component.ShutdownFunc
}
