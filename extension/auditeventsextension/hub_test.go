package auditeventsextension

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestConfig(t *testing.T) {
	cfg, err := testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewID(metadata.Type))
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)
	cfg, err = testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config.yaml", component.NewIDWithName(metadata.Type, "small"))
	require.NoError(t, err)
	assert.Equal(t, 2, cfg.BufferSize)
	_, err = testharness.LoadConfig[*Config](t, NewFactory(), "testdata/config_typo.yaml", component.NewID(metadata.Type))
	require.ErrorContains(t, err, "bufer_size")
	require.ErrorContains(t, (&Config{BufferSize: -1}).Validate(), "buffer_size")
}

func event(target string) selfaudit.Event {
	return selfaudit.Event{Time: time.Unix(1_790_000_000, 0), Tenant: "acme", Author: "token:ops", Action: selfaudit.ActionExportRequested, Target: target, Outcome: audit.OutcomeSuccess}
}

func TestBufferBeforeAttachAndDrops(t *testing.T) {
	f := NewFactory()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), &Config{BufferSize: 2})
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	hub := ext.(*Hub)
	ctx := context.Background()

	require.NoError(t, hub.Emit(ctx, selfaudit.NewLogs(event("a"))))
	require.NoError(t, hub.Emit(ctx, selfaudit.NewLogs(event("b"))))
	require.ErrorIs(t, hub.Emit(ctx, selfaudit.NewLogs(event("c"))), selfaudit.ErrBufferFull)

	sink := new(consumertest.LogsSink)
	detach, err := hub.Attach(sink)
	require.NoError(t, err)
	_, err = hub.Attach(sink)
	require.ErrorIs(t, err, selfaudit.ErrAlreadyAttached)
	require.NoError(t, hub.Emit(ctx, selfaudit.NewLogs(event("d"))))
	var targets []string
	for _, ld := range sink.AllLogs() {
		v, _ := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get(audit.AttrTarget)
		targets = append(targets, v.Str())
	}
	assert.Equal(t, []string{"a", "b", "d"}, targets, "buffered first, in order")
	detach()
	detach()

	require.NoError(t, ext.Shutdown(ctx))
	require.NoError(t, ext.Shutdown(ctx))
	require.ErrorIs(t, hub.Emit(ctx, selfaudit.NewLogs(event("e"))), selfaudit.ErrShutdown)
}

// The hub is found through the lookups of internal/selfaudit, by the type they name.
func TestFoundAsEmitterAndAttacher(t *testing.T) {
	assert.Equal(t, selfaudit.ExtensionType, metadata.Type.String())
	f := NewFactory()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), f.CreateDefaultConfig())
	require.NoError(t, err)
	id := component.NewID(metadata.Type)
	host := hostWith{id: ext}
	_, err = selfaudit.Find(host, id)
	require.NoError(t, err)
	_, err = selfaudit.FindAttacher(host, id)
	require.NoError(t, err)
	require.NoError(t, ext.Shutdown(context.Background()))
}

type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }
