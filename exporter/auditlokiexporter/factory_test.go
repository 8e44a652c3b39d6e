package auditlokiexporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
	require.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
}

func TestCreateLogsStartShutdown(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "http://127.0.0.1:1"
	cfg.DeadLetter.Path = filepath.Join(t.TempDir(), "dlq", "dead.jsonl")
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.FileExists(t, cfg.DeadLetter.Path)
}

func TestShutdownWithoutStart(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "http://127.0.0.1:1"
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))

	le, err := newLokiExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, le.shutdown(context.Background()))
	require.NoError(t, le.shutdown(context.Background()))
}

// TestDefaultBatchMergesRequests: with the default sending queue, incoming requests of a few
// hundred records are merged into one batch, so a tenant gets one push for several requests
// rather than one per request.
func TestDefaultBatchMergesRequests(t *testing.T) {
	const requests, perRequest = 8, 500
	one := makeLogs(events(perRequest, "acme")...)
	require.Less(t, (&plog.ProtoMarshaler{}).LogsSize(one)*requests, DefaultBatchMinSize,
		"the requests must fit under min_size for this test to show merging")

	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.add(r.Header.Get("X-Scope-OrgID"), body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.DeadLetter.Path = filepath.Join(t.TempDir(), "dead.jsonl")
	require.NoError(t, cfg.Validate())
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	for range requests {
		require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(events(perRequest, "acme")...)))
	}
	// Shutdown flushes the batch that min_size held back.
	require.NoError(t, exp.Shutdown(context.Background()))

	entries := 0
	for _, req := range rec.requests {
		for _, s := range req.Streams {
			entries += len(s.Entries)
		}
	}
	assert.Equal(t, requests*perRequest, entries)
	assert.Less(t, rec.count(), requests, "pushes: one per request means batches were not merged")
}
