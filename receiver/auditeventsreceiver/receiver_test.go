package auditeventsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver/internal/metadata"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

func newHub(t *testing.T) (component.Component, auditeventsextension.Emitter, host) {
	f := auditeventsextension.NewFactory()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), f.CreateDefaultConfig())
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), host{}))
	id := component.MustNewID("audit_events")
	return ext, ext.(auditeventsextension.Emitter), host{exts: map[component.ID]component.Component{id: ext}}
}

// The receiver starts after the exporter (the collector starts receivers last): what was
// emitted before is buffered and forwarded in order, through the normaliser, with the
// audit model's category and summary.
func TestEmitBeforeAndAfterStartThroughNormaliser(t *testing.T) {
	ext, hub, h := newHub(t)
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()

	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	requested := auditeventsextension.Event{Time: at, Tenant: "acme", Author: "token:ops", Action: auditeventsextension.ActionExportRequested, Target: "exp1", Outcome: audit.OutcomeSuccess}
	require.NoError(t, hub.Emit(context.Background(), auditeventsextension.NewLogs(requested)))

	sink := new(consumertest.LogsSink)
	pf := auditnormalizerprocessor.NewFactory()
	norm, err := pf.CreateLogs(context.Background(), processortest.NewNopSettings(pf.Type()), pf.CreateDefaultConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, norm.Start(context.Background(), h))
	defer func() { require.NoError(t, norm.Shutdown(context.Background())) }()

	f := NewFactory()
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), norm)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), h))
	require.Equal(t, 1, sink.LogRecordCount(), "buffered event forwarded on start")

	delivered := auditeventsextension.ReportDelivered("acme", "run-7", "weekly", at.Add(time.Hour), audit.OutcomeSuccess)
	require.NoError(t, hub.Emit(context.Background(), auditeventsextension.NewLogs(delivered)))
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()), "twice")

	require.Equal(t, 2, sink.LogRecordCount())
	want := []auditeventsextension.Event{requested, delivered}
	for i, ld := range sink.AllLogs() {
		rl := ld.ResourceLogs().At(0)
		a := rl.ScopeLogs().At(0).LogRecords().At(0).Attributes()
		get := func(k string) string { v, _ := a.Get(k); return v.AsString() }
		assert.Equal(t, auditeventsextension.CategoryAuditLog, get(audit.AttrCategory))
		assert.Equal(t, want[i].Summary(), get(audit.AttrSummary))
		assert.Equal(t, want[i].Author, get(audit.AttrAuthor))
		assert.Equal(t, want[i].Target, get(audit.AttrTarget))
		assert.Equal(t, "acme", get(audit.AttrTenant))
		assert.Equal(t, want[i].EventID(), get(audit.AttrEventID), "deterministic id kept")
	}

	// Detached again: the hub buffers.
	require.NoError(t, hub.Emit(context.Background(), auditeventsextension.NewLogs(requested)))
	assert.Equal(t, 2, sink.LogRecordCount())
}

func TestStartWithoutExtension(t *testing.T) {
	f := NewFactory()
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), new(consumertest.LogsSink))
	require.NoError(t, err)
	err = rcv.Start(context.Background(), host{})
	require.ErrorContains(t, err, `extension: extension "audit_events" not found`)
	require.NoError(t, rcv.Shutdown(context.Background()))
}
