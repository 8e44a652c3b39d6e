package reportsource_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource/sourcetest"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

func TestSpoolConformance(t *testing.T) {
	sourcetest.Run(t, func(t *testing.T, rows []audit.Row) reportsource.Source {
		s, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"), spool.Options{ScanChunk: sourcetest.PageSize})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		_, err = s.Append(context.Background(), rows)
		require.NoError(t, err)
		return reportsource.Spool(s, 0)
	})
}
