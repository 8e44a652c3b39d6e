package auditeventsextension

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-audit/otelcol-audit/extension/auditeventsextension/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func loadConfig(t *testing.T, file, name string) (*Config, error) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", file))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg.(*Config), confmap.Validate(cfg)
}

func TestConfig(t *testing.T) {
	cfg, err := loadConfig(t, "config.yaml", "")
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)
	cfg, err = loadConfig(t, "config.yaml", "small")
	require.NoError(t, err)
	assert.Equal(t, 2, cfg.BufferSize)
	_, err = loadConfig(t, "config_typo.yaml", "")
	require.ErrorContains(t, err, "bufer_size")
	require.ErrorContains(t, (&Config{BufferSize: -1}).Validate(), "buffer_size")
}

func event(target string) Event {
	return Event{Time: time.Unix(1_790_000_000, 0), Tenant: "acme", Author: "token:ops", Action: ActionExportRequested, Target: target, Outcome: audit.OutcomeSuccess}
}

func TestBufferBeforeAttachAndDrops(t *testing.T) {
	f := NewFactory()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), &Config{BufferSize: 2})
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	hub := ext.(*Hub)
	ctx := context.Background()

	require.NoError(t, hub.Emit(ctx, NewLogs(event("a"))))
	require.NoError(t, hub.Emit(ctx, NewLogs(event("b"))))
	require.ErrorIs(t, hub.Emit(ctx, NewLogs(event("c"))), ErrBufferFull)

	sink := new(consumertest.LogsSink)
	detach, err := hub.Attach(sink)
	require.NoError(t, err)
	_, err = hub.Attach(sink)
	require.ErrorIs(t, err, ErrAlreadyAttached)
	require.NoError(t, hub.Emit(ctx, NewLogs(event("d"))))
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
	require.ErrorIs(t, hub.Emit(ctx, NewLogs(event("e"))), ErrShutdown)
}

func TestEventIDDeterministic(t *testing.T) {
	a, b := event("x"), event("x")
	assert.Equal(t, a.EventID(), b.EventID())
	b.Action = ActionExportCompleted
	assert.NotEqual(t, a.EventID(), b.EventID())
	assert.Equal(t, "Export requested", a.Summary())
}

func TestFind(t *testing.T) {
	_, err := Find(componenttest.NewNopHost(), component.MustNewID("audit_events"))
	require.ErrorContains(t, err, "not found")
}
