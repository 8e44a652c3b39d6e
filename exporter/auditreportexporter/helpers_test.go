package auditreportexporter

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditreportexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

// reporterID is the audit_reporter extension the tests' configs name.
var reporterID = component.MustNewID("audit_reporter")

// fakeReporter stands for the audit_reporter extension: it provides a spool, or err.
type fakeReporter struct {
	component.StartFunc
	component.ShutdownFunc
	spool *spool.Spool
	err   error
}

func (r *fakeReporter) Spool() (*spool.Spool, error) { return r.spool, r.err }

var _ reportsource.SpoolProvider = (*fakeReporter)(nil)

// hostWith is a host that provides extensions by id.
type hostWith struct {
	component.Host
	extensions map[component.ID]component.Component
}

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h.extensions }

// openSpool opens a spool in a temporary directory, closed when the test ends.
func openSpool(t *testing.T) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"), spool.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close() })
	return sp
}

// reporterHost is a host whose audit_reporter provides sp.
func reporterHost(sp *spool.Spool) component.Host {
	return hostWith{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{reporterID: &fakeReporter{spool: sp}}}
}

func testConfig() *Config {
	return &Config{Reporter: reporterID}
}

// startExporter creates and starts the exporter on a host that provides sp.
func startExporter(t *testing.T, set exporter.Settings, sp *spool.Spool) exporter.Logs {
	t.Helper()
	exp, err := NewFactory().CreateLogs(context.Background(), set, testConfig())
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), reporterHost(sp)))
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

type testEvent struct {
	at                                                               time.Time
	tenant, id, author, category, summary, desc, outcome, ip, target string
}

func mkEvent(tenant, id string, at time.Time) testEvent {
	return testEvent{at: at, tenant: tenant, id: id, author: "user-" + id + "@acme.example", category: "Authentication",
		summary: "Login", desc: "Signed in " + id, outcome: audit.OutcomeSuccess, ip: "192.0.2.7", target: "console"}
}

func toLogs(events ...testEvent) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "lms")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, ev := range events {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.at))
		lr.Body().SetStr(ev.desc)
		a := lr.Attributes()
		a.PutStr(audit.AttrTenant, ev.tenant)
		a.PutStr(audit.AttrEventID, ev.id)
		a.PutStr(audit.AttrAuthor, ev.author)
		a.PutStr(audit.AttrCategory, ev.category)
		a.PutStr(audit.AttrSummary, ev.summary)
		a.PutStr(audit.AttrOutcome, ev.outcome)
		a.PutStr(audit.AttrClientAddress, ev.ip)
		a.PutStr(audit.AttrTarget, ev.target)
	}
	return ld
}

func exportertestSettings() exporter.Settings {
	return exportertest.NewNopSettings(metadata.Type)
}
