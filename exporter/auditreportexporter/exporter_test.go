package auditreportexporter

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestEventsAreStoredOnceBeforeTheAck: when ConsumeLogs returns, the events are committed
// to the spool (the spool fsyncs every commit); an event delivered again is not stored twice.
func TestEventsAreStoredOnceBeforeTheAck(t *testing.T) {
	sp := openSpool(t)
	exp := startExporter(t, exportertestSettings(), sp)
	at := time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)
	e1, e2 := mkEvent("acme", "e1", at), mkEvent("acme", "e2", at.Add(time.Minute))
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(e1, e2)))
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(e1))) // at-least-once re-delivery

	var rows []audit.Row
	require.NoError(t, sp.Scan(context.Background(), "acme", at.Add(-time.Hour), at.Add(time.Hour), func(r audit.Row) error {
		rows = append(rows, r)
		return nil
	}))
	require.Len(t, rows, 2)
	assert.Equal(t, audit.Row{
		Time: at, Tenant: "acme", EventID: "e1", Author: e1.author, Category: "Authentication", Summary: "Login",
		Description: "Signed in e1", Outcome: audit.OutcomeSuccess, SourceIP: "192.0.2.7", Target: "console", Service: "lms",
	}, rows[0], "the body is the description when the record has none")
	assert.Equal(t, "e2", rows[1].EventID)
}

func TestRecordsWithoutTenantAreCountedNotStored(t *testing.T) {
	sp := openSpool(t)
	exp := startExporter(t, exportertestSettings(), sp)
	require.NoError(t, exp.ConsumeLogs(context.Background(), toLogs(mkEvent("", "x", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))))
	n, err := sp.Count(context.Background(), "", time.Unix(0, 0), time.Now())
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestStartNeedsTheReportersSpool: the exporter refuses to start, naming the reporter, when
// the extension is missing, is not a reporter, or reads another source than the spool.
func TestStartNeedsTheReportersSpool(t *testing.T) {
	for name, tc := range map[string]struct {
		ext  component.Component
		want error
	}{
		"missing": {nil, reportsource.ErrNotFound},
		"not reporter": {&struct {
			component.StartFunc
			component.ShutdownFunc
		}{}, reportsource.ErrNotProvider},
		"loki source": {&fakeReporter{err: reportsource.ErrNotSpool}, reportsource.ErrNotSpool},
		"not started": {&fakeReporter{err: errors.New("is not started")}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			exts := map[component.ID]component.Component{}
			if tc.ext != nil {
				exts[reporterID] = tc.ext
			}
			exp, err := NewFactory().CreateLogs(context.Background(), exportertestSettings(), testConfig())
			require.NoError(t, err)
			err = exp.Start(context.Background(), hostWith{Host: componenttest.NewNopHost(), extensions: exts})
			require.Error(t, err)
			assert.ErrorContains(t, err, `reporter: extension "audit_reporter"`)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			}
			require.NoError(t, exp.Shutdown(context.Background()))
		})
	}
}
