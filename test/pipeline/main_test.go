// Package pipeline runs several components together in one process, wired as the
// distribution wires them, where one component's output is another's input. Components do
// not import each other, so these tests live outside them.
package pipeline

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startNormalizer starts the audit_normalizer with cfg (the default when nil) in front of
// sink.
func startNormalizer(t *testing.T, sink consumer.Logs, configure func(*auditnormalizerprocessor.Config)) consumer.Logs {
	t.Helper()
	f := auditnormalizerprocessor.NewFactory()
	cfg := f.CreateDefaultConfig().(*auditnormalizerprocessor.Config)
	if configure != nil {
		configure(cfg)
	}
	require.NoError(t, cfg.Validate())
	norm, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(f.Type()), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, norm.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { assert.NoError(t, norm.Shutdown(context.Background())) })
	return norm
}

func records(sink *consumertest.LogsSink) []plog.LogRecord {
	var out []plog.LogRecord
	for _, l := range sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			sls := l.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

// attrStr is the attribute as a string, "<absent>" when missing.
func attrStr(lr plog.LogRecord, key string) string {
	v, ok := lr.Attributes().Get(key)
	if !ok {
		return absent
	}
	return v.AsString()
}

const absent = "<absent>"
