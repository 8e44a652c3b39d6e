package auditlokiexporter

// Tests against a real Loki (testharness.StartLoki): TestRealLoki starts one for the whole
// package and runs every case as its subtest, each on a tenant of its own. Without the Loki
// test binary the test is skipped.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// newRealHarness runs the exporter, queue off, against a real Loki.
func newRealHarness(t *testing.T, loki *testharness.Loki, mutate ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, rec: &recorder{}, tel: componenttest.NewTelemetry()}
	cfg := testConfig()
	cfg.ClientConfig.Endpoint = loki.URL
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.DeadLetter.Path = filepath.Join(t.TempDir(), "dead.jsonl")
	for _, m := range mutate {
		m(cfg)
	}
	require.NoError(t, cfg.Validate())
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	h.cfg, h.exp = cfg, exp
	t.Cleanup(func() {
		require.NoError(t, exp.Shutdown(context.Background()))
		require.NoError(t, h.tel.Shutdown(context.Background()))
	})
	return h
}

func tenantEvents(n int, tenant string, at time.Time) []event {
	evs := events(n, tenant)
	for i := range evs {
		evs[i].ts = at.Add(time.Duration(i) * time.Millisecond)
	}
	return evs
}

func TestRealLoki(t *testing.T) {
	loki := testharness.StartLoki(t)

	t.Run("StructuredMetadata", func(t *testing.T) {
		h := newRealHarness(t, loki)
		at := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
		evs := tenantEvents(10, "realmeta", at)
		require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(evs...)))

		all := loki.QueryRange(t, "realmeta", `{service_name="lms", category="Authentication", outcome="success"}`, at, at.Add(time.Minute), 100)
		require.Len(t, all, 1)
		require.Len(t, all[0].Entries, 10)
		e := all[0].Entries[0]
		assert.Equal(t, evs[0].description, e.Line)
		for k, v := range map[string]string{
			"author": evs[0].author, "summary": evs[0].summary, "event_id": evs[0].id, "source_ip": evs[0].ip,
			"audit_source": "okta", "action": "user.session.start", "tenant": "realmeta",
		} {
			assert.Equal(t, v, e.Metadata[k], k)
		}
		// Metadata filters work without a line parser.
		one := loki.QueryRange(t, "realmeta", `{service_name=~".+"} | author="user1@example.com" | source_ip="203.0.113.7"`, at, at.Add(time.Minute), 100)
		require.Len(t, one, 1)
		for _, e := range one[0].Entries {
			assert.Equal(t, "user1@example.com", e.Metadata["author"])
		}
		assert.Len(t, one[0].Entries, 2, "events 1 and 8")
		// Another tenant sees nothing.
		assert.Empty(t, loki.QueryRange(t, "realmeta-other", `{service_name=~".+"}`, at, at.Add(time.Minute), 100))
	})

	t.Run("OutOfOrderWithinWindow", func(t *testing.T) {
		h := newRealHarness(t, loki)
		now := time.Now()
		newer := tenantEvents(1, "realorder", now.Add(-time.Minute))
		older := tenantEvents(1, "realorder", now.Add(-30*time.Minute))
		older[0].id = "evt-older"
		require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(newer...)))
		require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(older...)))
		streams := loki.QueryRange(t, "realorder", `{service_name="lms"}`, now.Add(-time.Hour), now, 100)
		require.Len(t, streams, 1)
		require.Len(t, streams[0].Entries, 2)
		assert.Equal(t, "evt-older", streams[0].Entries[0].Metadata["event_id"])
		assert.Zero(t, h.counter("otelcol_audit_loki_dead_letter"))
	})

	// Loki, not the local validation (loosened here), refuses a line too long and an entry too
	// far behind its stream: both go to the dead-letter file with Loki's answer, a marker of each
	// lands in Loki, and the Loki report source counts them for their period.
	t.Run("RefusedByLokiIsDeadLetteredAndMarked", func(t *testing.T) {
		h := newRealHarness(t, loki, func(c *Config) {
			c.Limits.MaxLineSize = 1 << 20
			c.Limits.MaxRequestSize = 2 << 20
		})
		now := time.Now()
		long := tenantEvents(1, "realdlq", now.Add(-2*time.Minute))
		long[0].id = "evt-long"
		long[0].description = strings.Repeat("x", 300<<10)
		require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(long...)))

		newest := tenantEvents(1, "realdlq", now.Add(-time.Minute))
		newest[0].id = "evt-newest"
		behind := tenantEvents(1, "realdlq", now.Add(-3*time.Hour))
		behind[0].id = "evt-behind"
		require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(newest...)))
		require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(behind...)))

		dead := map[string]string{}
		for _, d := range h.deadLetters() {
			dead[d.StructuredMetadata["event_id"]] = d.Reason
			assert.Contains(t, d.Error, "loki answered 400", "the error is Loki's answer")
		}
		assert.Equal(t, map[string]string{"evt-long": lokipush.ReasonLineTooLong, "evt-behind": lokipush.ReasonTooFarBehind}, dead)

		require.Eventually(t, func() bool {
			return h.counter("otelcol_audit_loki_dead_letter_markers", attribute.String("marker_result", markerSent)) == 2
		}, 30*time.Second, 50*time.Millisecond)
		markers := loki.QueryRange(t, "realdlq", `{service_name="otelcol-audit", category="Audit log", outcome="failure"} | summary="Event dead-lettered"`,
			now.Add(-time.Hour), time.Now().Add(time.Minute), 100)
		require.Len(t, markers, 1)
		require.Len(t, markers[0].Entries, 2)
		for _, m := range markers[0].Entries {
			want := long[0]
			if m.Metadata["target"] == "evt-behind" {
				want = behind[0]
			}
			assert.Equal(t, want.id, m.Metadata["target"])
			assert.Equal(t, want.ts.UTC().Format(time.RFC3339Nano), m.Metadata[selfaudit.LokiMetaEventTime])
			assert.Equal(t, dead[want.id], m.Metadata[selfaudit.LokiMetaReason])
			assert.Equal(t, "realdlq", m.Metadata["tenant"])
		}

		cfg := reportsource.NewDefaultLokiConfig()
		cfg.ClientConfig.Endpoint = loki.URL
		src, err := reportsource.NewLoki(context.Background(), cfg, componenttest.NewNopHost(), componenttest.NewNopTelemetrySettings())
		require.NoError(t, err)
		count := func(from, to time.Time) int64 {
			n, err := src.DeadLettered(context.Background(), "realdlq", from, to)
			require.NoError(t, err)
			return n
		}
		assert.Equal(t, int64(2), count(now.Add(-4*time.Hour), now))
		assert.Equal(t, int64(1), count(now.Add(-4*time.Hour), now.Add(-2*time.Hour)), "the entry behind, by its own time")
		assert.Equal(t, int64(1), count(now.Add(-5*time.Minute), now), "the long line")
		// The delivered event is a row; the markers are not.
		var ids []string
		require.NoError(t, src.Scan(context.Background(), "realdlq", now.Add(-4*time.Hour), time.Now().Add(time.Minute), func(r audit.Row) error {
			ids = append(ids, r.EventID)
			return nil
		}))
		assert.Equal(t, []string{"evt-newest"}, ids)
	})
}
