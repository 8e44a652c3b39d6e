package selfaudittest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

func TestHubKeepsUntilAttached(t *testing.T) {
	hub := NewHub()
	id := component.MustNewID(selfaudit.ExtensionType)
	emitter, err := selfaudit.Find(hub.Host(id), id)
	require.NoError(t, err)
	attacher, err := selfaudit.FindAttacher(hub.Host(id), id)
	require.NoError(t, err)

	ev := selfaudit.ReportDelivered("acme", "daily", time.Unix(1_789_948_800, 0), "run-1", time.Unix(1_790_000_000, 0), audit.OutcomeSuccess)
	require.NoError(t, emitter.Emit(context.Background(), selfaudit.NewLogs(ev)))
	sink := new(consumertest.LogsSink)
	detach, err := attacher.Attach(sink)
	require.NoError(t, err)
	assert.Equal(t, 1, sink.LogRecordCount(), "kept until attached")
	_, err = attacher.Attach(sink)
	require.ErrorIs(t, err, selfaudit.ErrAlreadyAttached)

	require.NoError(t, emitter.Emit(context.Background(), selfaudit.NewLogs(ev)))
	assert.Equal(t, 2, sink.LogRecordCount())
	detach()
	detach()
	require.NoError(t, emitter.Emit(context.Background(), selfaudit.NewLogs(ev)))
	assert.Equal(t, 2, sink.LogRecordCount(), "detached")
	require.NoError(t, hub.Shutdown(context.Background()))
}
