// Package lokisource tests the Loki report source (internal/reportsource) against a real Loki,
// with entries pushed by the real audit_loki exporter: the test sits outside internal/ because
// internal packages never import a component, not even in tests.
package lokisource

// Tests against a real Loki (testharness.StartLoki). One Loki serves the whole test binary:
// TestLoki starts it and runs everything else as its subtests, each on tenants of its own.
// Without the Loki test binary the test is skipped.

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/audit/audittest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource/sourcetest"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// push sends ld through a real audit_loki exporter and checks that nothing was dead-lettered.
func push(t *testing.T, loki *testharness.Loki, ld plog.Logs, mutate ...func(*auditlokiexporter.Config)) {
	t.Helper()
	f := auditlokiexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*auditlokiexporter.Config)
	cfg.ClientConfig.Endpoint = loki.URL
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.DeadLetter.Path = filepath.Join(t.TempDir(), "dead.jsonl")
	for _, m := range mutate {
		m(cfg)
	}
	require.NoError(t, cfg.Validate())
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	require.NoError(t, exp.Shutdown(context.Background()))
	dead, err := os.ReadFile(cfg.DeadLetter.Path)
	require.NoError(t, err)
	require.Empty(t, string(dead), "nothing is dead-lettered")
}

func lineFormat(format string) func(*auditlokiexporter.Config) {
	return func(c *auditlokiexporter.Config) { c.LineFormat = format }
}

func newLokiSource(t *testing.T, loki *testharness.Loki, mutate ...func(*reportsource.LokiConfig)) reportsource.Source {
	t.Helper()
	cfg := reportsource.NewDefaultLokiConfig()
	cfg.ClientConfig.Endpoint = loki.URL
	cfg.PageSize = sourcetest.PageSize
	for _, m := range mutate {
		m(&cfg)
	}
	src, err := reportsource.NewLoki(context.Background(), cfg, componenttest.NewNopHost(), componenttest.NewNopTelemetrySettings())
	require.NoError(t, err)
	return src
}

func scanAll(t *testing.T, src reportsource.Source, tenant string, from, to time.Time) []audit.Row {
	t.Helper()
	var out []audit.Row
	require.NoError(t, src.Scan(context.Background(), tenant, from, to, func(r audit.Row) error {
		out = append(out, r)
		return nil
	}))
	return out
}

func recentRow(tenant, id string, at time.Time) audit.Row {
	return audit.Row{
		Time: at, Tenant: tenant, EventID: id, Author: "alice@example.com", Category: audit.CategoryAuthentication,
		Summary: audit.SummaryLogin, Description: "alice@example.com logged in", Outcome: audit.OutcomeSuccess,
		SourceIP: "203.0.113.7", Target: "session", Service: "lms",
	}
}

func TestLoki(t *testing.T) {
	loki := testharness.StartLoki(t)

	for _, format := range []string{auditlokiexporter.LineFormatText, auditlokiexporter.LineFormatJSON, auditlokiexporter.LineFormatLogfmt} {
		t.Run("Conformance/"+format, func(t *testing.T) {
			sourcetest.Run(t, func(t *testing.T, rows []audit.Row) reportsource.Source {
				push(t, loki, audittest.Logs(rows...), lineFormat(format))
				return newLokiSource(t, loki)
			})
		})
	}

	// The same events pushed in two line formats are two entries in one stream: Scan yields
	// each event once, Count counts both (an upper bound).
	t.Run("DuplicatesAcrossLineFormats", func(t *testing.T) {
		at := time.Now().Add(-time.Hour).Truncate(time.Minute)
		rows := []audit.Row{recentRow("dupformats", "a", at), recentRow("dupformats", "b", at), recentRow("dupformats", "c", at.Add(time.Second))}
		push(t, loki, audittest.Logs(rows...), lineFormat(auditlokiexporter.LineFormatText))
		push(t, loki, audittest.Logs(rows...), lineFormat(auditlokiexporter.LineFormatJSON))
		src := newLokiSource(t, loki, func(c *reportsource.LokiConfig) { c.PageSize = 2 })
		got := scanAll(t, src, "dupformats", at, at.Add(time.Minute))
		require.Len(t, got, 3)
		for _, r := range got {
			assert.Equal(t, "alice@example.com logged in", r.Description)
		}
		n, err := src.Count(context.Background(), "dupformats", at, at.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, 6, n)
	})

	// A category written as _other comes back with its true value.
	t.Run("LabelOverflow", func(t *testing.T) {
		at := time.Now().Add(-time.Hour).Truncate(time.Minute)
		var rows []audit.Row
		for i, c := range []string{"Payroll", "Billing", "Invoices"} {
			r := recentRow("overflow", string(rune('a'+i)), at.Add(time.Duration(i)*time.Second))
			r.Category = c
			rows = append(rows, r)
		}
		push(t, loki, audittest.Logs(rows...), func(c *auditlokiexporter.Config) { c.Labels.MaxValuesPerLabel = 1 })
		streams := loki.QueryRange(t, "overflow", `{category="_other"}`, at, at.Add(time.Minute), 10)
		require.NotEmpty(t, streams, "the cap wrote _other")
		got := scanAll(t, newLokiSource(t, loki), "overflow", at, at.Add(time.Minute))
		require.Len(t, got, 3)
		for i, r := range got {
			assert.Equal(t, rows[i].Category, r.Category)
		}
	})

	t.Run("Delivered", func(t *testing.T) {
		at := time.Now().Add(-30 * time.Minute).Truncate(time.Millisecond)
		day := at.Add(-24 * time.Hour).Truncate(24 * time.Hour)
		odd := `daily "quoted" \ report`
		push(t, loki, selfaudit.NewLogs(
			selfaudit.ReportDelivered("deliveries", "daily", day, "run-1", at, audit.OutcomeSuccess),
			selfaudit.ReportDelivered("deliveries", "weekly", day, "run-2", at, audit.OutcomeFailure),
			selfaudit.ReportDelivered("deliveries", odd, day, "run-3", at.Add(time.Second), audit.OutcomeSuccess),
			selfaudit.ReportDelivered("deliveries-other", "monthly", day, "run-4", at, audit.OutcomeSuccess),
		))
		src := newLokiSource(t, loki)
		d := src.(reportsource.Deliveries)
		for _, c := range []struct {
			tenant, report string
			since          time.Time
			want           bool
		}{
			{"deliveries", "daily", at.Add(-time.Hour), true},
			{"deliveries", "daily", at.Add(-1000 * time.Hour), true},
			{"deliveries", "daily", at.Add(time.Millisecond), false},
			{"deliveries", "weekly", at.Add(-time.Hour), false},
			{"deliveries", odd, at.Add(-time.Hour), true},
			{"deliveries", "monthly", at.Add(-time.Hour), false},
			{"deliveries-other", "monthly", at.Add(-time.Hour), true},
		} {
			target := selfaudit.ReportTarget(c.report, day)
			got, err := d.Delivered(context.Background(), c.tenant, target, c.since)
			require.NoError(t, err)
			assert.Equal(t, c.want, got, "%s %q since %s", c.tenant, target, c.since)
		}
		got, err := d.Delivered(context.Background(), "deliveries", selfaudit.ReportTarget("daily", day.Add(24*time.Hour)), at.Add(-time.Hour))
		require.NoError(t, err)
		assert.False(t, got, "another period")
		// Deliveries are audit events like any other.
		assert.Len(t, scanAll(t, src, "deliveries", at.Add(-time.Minute), at.Add(time.Minute)), 3)
	})

	// Claims are read back with their reporter and time, in time order, per tenant and target.
	t.Run("Claims", func(t *testing.T) {
		at := time.Now().Add(-30 * time.Minute).Truncate(time.Second).Add(123456789)
		day := at.Add(-24 * time.Hour).Truncate(24 * time.Hour)
		odd := `daily "quoted" \ report`
		ahead := time.Now().Add(2 * time.Minute) // a reporter's clock ahead of Loki's
		push(t, loki, selfaudit.NewLogs(
			selfaudit.ReportClaimed("claims", odd, day, "aaaa", at),
			selfaudit.ReportClaimed("claims", odd, day, "bbbb", at.Add(time.Second)),
			selfaudit.ReportClaimed("claims", odd, day, "aaaa", at.Add(2*time.Second)),
			selfaudit.ReportClaimed("claims", odd, day, "cccc", ahead),
			selfaudit.ReportClaimed("claims", "weekly", day, "dddd", at),
			selfaudit.ReportClaimed("claims-other", odd, day, "eeee", at),
			selfaudit.ReportDelivered("claims", odd, day, "run-1", at.Add(3*time.Second), audit.OutcomeSuccess),
		))
		src := newLokiSource(t, loki, func(c *reportsource.LokiConfig) { c.PageSize = 2 })
		c, ok := src.(reportsource.Claims)
		require.True(t, ok)
		target := selfaudit.ReportTarget(odd, day)

		got, err := c.Claims(context.Background(), "claims", target, at.Add(-time.Hour))
		require.NoError(t, err)
		want := []reportsource.Claim{
			{Instance: "aaaa", At: at}, {Instance: "bbbb", At: at.Add(time.Second)},
			{Instance: "aaaa", At: at.Add(2 * time.Second)}, {Instance: "cccc", At: ahead},
		}
		require.Len(t, got, len(want))
		for i := range want {
			assert.Equal(t, want[i].Instance, got[i].Instance, "claim %d", i)
			assert.Equal(t, want[i].At.UnixNano(), got[i].At.UnixNano(), "claim %d is timed to the nanosecond", i)
		}

		got, err = c.Claims(context.Background(), "claims", target, at.Add(time.Second))
		require.NoError(t, err)
		require.Len(t, got, 3, "since bounds the claims")
		assert.Equal(t, "bbbb", got[0].Instance)

		got, err = c.Claims(context.Background(), "claims", selfaudit.ReportTarget(odd, day.Add(24*time.Hour)), at.Add(-time.Hour))
		require.NoError(t, err)
		assert.Empty(t, got, "another period")
		got, err = c.Claims(context.Background(), "claims-other", target, at.Add(-1000*time.Hour))
		require.NoError(t, err)
		require.Len(t, got, 1, "tenants stay apart; a search longer than 720h is split")
		assert.Equal(t, "eeee", got[0].Instance)
	})

	// Markers count by the time of the event they stand for, per tenant, and are not events.
	t.Run("DeadLettered", func(t *testing.T) {
		now := time.Now()
		// Within query_ingesters_within (3h): Loki answers older ranges from its store only, so an
		// entry written now for an older time is not visible there until the ingester flushes it.
		period := now.Add(-2 * time.Hour).Truncate(time.Hour)
		marker := func(tenant, id string, eventTime time.Time) selfaudit.DeadLetter {
			return selfaudit.DeadLetter{Tenant: tenant, EventID: id, EventTime: eventTime, Reason: "line_too_long", At: now.Add(-time.Minute)}
		}
		push(t, loki, selfaudit.DeadLetterLogs(
			marker("dlq", "in-1", period.Add(time.Minute)),
			marker("dlq", "in-2", period.Add(59*time.Minute)),
			marker("dlq", "before", period.Add(-time.Nanosecond)),
			marker("dlq", "at-end", period.Add(time.Hour)),
			marker("dlq-other", "other", period.Add(time.Minute)),
		))
		push(t, loki, audittest.Logs(recentRow("dlq", "delivered", period.Add(time.Minute))))
		src := newLokiSource(t, loki)
		n, err := src.DeadLettered(context.Background(), "dlq", period, period.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, int64(2), n)
		// An entry replayed at its own time is no longer missed.
		push(t, loki, audittest.Logs(recentRow("dlq", "in-2", period.Add(59*time.Minute))))
		n, err = src.DeadLettered(context.Background(), "dlq", period, period.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		n, err = src.DeadLettered(context.Background(), "dlq", period.Add(time.Hour), period.Add(2*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		// The markers themselves were written a minute ago, inside this period, and are not
		// rows of it.
		got := scanAll(t, src, "dlq", now.Add(-time.Hour), now)
		assert.Empty(t, got)
		c, err := src.Count(context.Background(), "dlq", now.Add(-time.Hour), now)
		require.NoError(t, err)
		assert.Zero(t, c)
	})

	t.Run("QueryErrorQuotesLoki", func(t *testing.T) {
		src := newLokiSource(t, loki, func(c *reportsource.LokiConfig) { c.Selector = `{service_name=~".+"} | unknown_stage(` })
		err := src.Scan(context.Background(), "errors", time.Now().Add(-time.Hour), time.Now(), func(audit.Row) error { return nil })
		var le *reportsource.LokiError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, 400, le.StatusCode)
		assert.Contains(t, le.Body, "parse error")
	})
}
