package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/receiver/auditeventsreceiver"
)

type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

// An audit-of-audit event goes from an emitting component through the audit_events
// extension and receiver into a pipeline with the normaliser, and comes out with the audit
// model's category, summary and its deterministic id. The receiver starts after the emitter
// (the collector starts receivers last): what was emitted before is forwarded, in order.
func TestAuditEventsThroughNormalizer(t *testing.T) {
	ef := auditeventsextension.NewFactory()
	ext, err := ef.Create(context.Background(), extensiontest.NewNopSettings(ef.Type()), ef.CreateDefaultConfig())
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), host{}))
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()
	h := host{component.NewID(ef.Type()): ext}
	emitter, err := selfaudit.Find(h, component.NewID(ef.Type()))
	require.NoError(t, err)

	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	requested := selfaudit.Event{Time: at, Tenant: "acme", Author: "token:ops", Action: selfaudit.ActionExportRequested, Target: "exp1", Outcome: audit.OutcomeSuccess}
	require.NoError(t, emitter.Emit(context.Background(), selfaudit.NewLogs(requested)))

	sink := new(consumertest.LogsSink)
	norm := startNormalizer(t, sink, nil)
	rf := auditeventsreceiver.NewFactory()
	rcv, err := rf.CreateLogs(context.Background(), receivertest.NewNopSettings(rf.Type()), rf.CreateDefaultConfig(), norm)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), h))
	require.Equal(t, 1, sink.LogRecordCount(), "buffered event forwarded on start")

	delivered := selfaudit.ReportDelivered("acme", "weekly", at.Add(-7*24*time.Hour), "run-7", at.Add(time.Hour), audit.OutcomeSuccess)
	require.NoError(t, emitter.Emit(context.Background(), selfaudit.NewLogs(delivered)))
	require.NoError(t, rcv.Shutdown(context.Background()))

	want := []selfaudit.Event{requested, delivered}
	recs := records(sink)
	require.Len(t, recs, len(want))
	for i, lr := range recs {
		assert.Equal(t, selfaudit.CategoryAuditLog, attrStr(lr, audit.AttrCategory))
		assert.Equal(t, want[i].Summary(), attrStr(lr, audit.AttrSummary))
		assert.Equal(t, want[i].Author, attrStr(lr, audit.AttrAuthor))
		assert.Equal(t, want[i].Target, attrStr(lr, audit.AttrTarget))
		assert.Equal(t, "acme", attrStr(lr, audit.AttrTenant))
		assert.Equal(t, want[i].EventID(), attrStr(lr, audit.AttrEventID), "deterministic id kept")
	}

	// Detached again: the extension buffers for the next receiver.
	require.NoError(t, emitter.Emit(context.Background(), selfaudit.NewLogs(requested)))
	assert.Equal(t, 2, sink.LogRecordCount())
}
