package auditlokiexporter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/lokipush"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// harness runs the exporter through exporterhelper (retry on, queue off, so ConsumeLogs
// returns once delivery succeeded or gave up) against a fake Loki.
type harness struct {
	t   *testing.T
	tel *componenttest.Telemetry
	cfg *Config
	exp exporter.Logs
	rec *recorder
}

func newHarness(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int), mutate ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, rec: &recorder{}, tel: componenttest.NewTelemetry()}
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.rec.add(r.Header.Get("X-Scope-OrgID"), body)
		handler(w, r, int(calls.Add(1)))
	}))
	cfg := testConfig()
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.ClientConfig.Timeout = 2 * time.Second
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 50 * time.Millisecond
	cfg.RetryConfig.MaxElapsedTime = 20 * time.Second
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
		srv.CloseClientConnections()
		srv.Close()
		require.NoError(t, h.tel.Shutdown(context.Background()))
	})
	return h
}

// counter sums an int64 counter's points whose attributes include attrs.
func (h *harness) counter(name string, attrs ...attribute.KeyValue) int64 {
	h.t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		match := true
		for _, a := range attrs {
			if v, ok := dp.Attributes.Value(a.Key); !ok || v != a.Value {
				match = false
			}
		}
		if match {
			total += dp.Value
		}
	}
	return total
}

func (h *harness) histogramCount(name string, attrs ...attribute.KeyValue) uint64 {
	h.t.Helper()
	m, err := h.tel.GetMetric(name)
	require.NoError(h.t, err)
	var total uint64
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		match := true
		for _, a := range attrs {
			if v, ok := dp.Attributes.Value(a.Key); !ok || v != a.Value {
				match = false
			}
		}
		if match {
			total += dp.Count
		}
	}
	return total
}

func (h *harness) deadLetters() []lokipush.DeadLetterRecord {
	h.t.Helper()
	f, err := os.Open(h.cfg.DeadLetter.Path)
	require.NoError(h.t, err)
	defer f.Close()
	var out []lokipush.DeadLetterRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		var rec lokipush.DeadLetterRecord
		require.NoError(h.t, json.Unmarshal(sc.Bytes(), &rec))
		out = append(out, rec)
	}
	return out
}

func ok(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(http.StatusNoContent) }

func events(n int, tenants ...string) []event {
	out := make([]event, n)
	for i := range out {
		out[i] = testEvent(i, tenants[i%len(tenants)])
	}
	return out
}

func TestPushOneRequestPerTenant(t *testing.T) {
	h := newHarness(t, ok)
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(10, "acme", "globex")...)))

	require.Equal(t, 2, h.rec.count())
	assert.ElementsMatch(t, []string{"acme", "globex"}, h.rec.tenants)
	for i, req := range h.rec.requests {
		for _, s := range req.Streams {
			assert.Equal(t, `{category="Authentication", outcome="success", service_name="lms"}`, s.Labels)
			for _, e := range s.Entries {
				id := metaMap(e.StructuredMetadata)["event_id"]
				n := 0
				_, _ = fmtSscanf(id, &n)
				assert.Equal(t, []string{"acme", "globex"}[n%2], h.rec.tenants[i], "entry %s in the wrong tenant", id)
			}
		}
	}
	assert.Equal(t, int64(10), h.counter("otelcol_audit_loki_entries_sent"))
	assert.Positive(t, h.counter("otelcol_audit_loki_sent_bytes"))
	assert.Equal(t, uint64(2), h.histogramCount("otelcol_audit_loki_request_duration", attribute.String("result", "ok")))
}

func TestSingleTenantModeSendsNoHeader(t *testing.T) {
	var sawHeader atomic.Bool
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		_, present := r.Header["X-Scope-Orgid"]
		sawHeader.Store(sawHeader.Load() || present)
		assert.Equal(t, "application/x-protobuf", r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusNoContent)
	}, func(c *Config) { c.Tenant.Mode = TenantModeSingle })
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(4, "acme", "globex")...)))
	assert.Equal(t, 1, h.rec.count())
	assert.False(t, sawHeader.Load())
}

func TestRetry429HonoursRetryAfter(t *testing.T) {
	var first, second time.Time
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "Ingestion rate limit exceeded for user acme", http.StatusTooManyRequests)
			return
		}
		second = time.Now()
		w.WriteHeader(http.StatusNoContent)
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(5, "acme")...)))
	require.Equal(t, 2, h.rec.count())
	assert.Equal(t, h.rec.bodies[0], h.rec.bodies[1], "a retry resends identical bytes")
	assert.GreaterOrEqual(t, second.Sub(first), 900*time.Millisecond, "Retry-After: 1 was honoured")
	assert.Equal(t, uint64(1), h.histogramCount("otelcol_audit_loki_request_duration", attribute.String("result", "rate_limited")))
	assert.Equal(t, int64(5), h.counter("otelcol_audit_loki_entries_sent"))
	assert.Zero(t, h.counter("otelcol_audit_loki_dead_letter"))
}

func TestRetry5xxResendsIdenticalBytes(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n <= 2 {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(5, "acme")...)))
	require.Equal(t, 3, h.rec.count())
	assert.Equal(t, h.rec.bodies[0], h.rec.bodies[1])
	assert.Equal(t, h.rec.bodies[0], h.rec.bodies[2])
	assert.Equal(t, uint64(2), h.histogramCount("otelcol_audit_loki_request_duration", attribute.String("result", "server_error")))
}

func TestRetryOnlyTheFailedTenant(t *testing.T) {
	var globexCalls atomic.Int64
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Header.Get("X-Scope-OrgID") == "globex" && globexCalls.Add(1) == 1 {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(6, "acme", "globex")...)))
	assert.Equal(t, []string{"acme", "globex", "globex"}, h.rec.tenants, "acme is not resent")
	assert.Equal(t, h.rec.bodies[1], h.rec.bodies[2])
	assert.Equal(t, int64(6), h.counter("otelcol_audit_loki_entries_sent"))
}

func TestPermanent400GoesToDeadLetter(t *testing.T) {
	const lokiBody = "entry for stream '{category=\"Authentication\", outcome=\"success\", service_name=\"lms\"}' has timestamp too new: 2030-01-01T00:00:00Z\n"
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, lokiBody, http.StatusBadRequest)
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(3, "acme")...)))
	assert.Equal(t, 1, h.rec.count(), "a permanent refusal is not retried")

	dead := h.deadLetters()
	require.Len(t, dead, 3)
	for i, d := range dead {
		assert.Equal(t, "acme", d.Tenant)
		assert.Equal(t, lokipush.ReasonTooFarInFuture, d.Reason)
		assert.Contains(t, d.Error, "timestamp too new")
		assert.Equal(t, `{category="Authentication", outcome="success", service_name="lms"}`, d.Labels)
		assert.Equal(t, testEvent(i, "acme").id, d.StructuredMetadata["event_id"])
		assert.Equal(t, testEvent(i, "acme").description, d.Line)
		assert.False(t, d.Timestamp.IsZero())
	}
	assert.Equal(t, int64(3), h.counter("otelcol_audit_loki_dead_letter", attribute.String("reason", lokipush.ReasonTooFarInFuture)))
	assert.Zero(t, h.counter("otelcol_audit_loki_entries_sent"))
}

func TestUnknown4xxReason(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, "forbidden", http.StatusForbidden)
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(2, "acme")...)))
	assert.Equal(t, int64(2), h.counter("otelcol_audit_loki_dead_letter", attribute.String("reason", "http_403")))
}

func TestLocalValidationKeepsTheBatch(t *testing.T) {
	h := newHarness(t, ok)
	evs := events(4, "acme")
	evs[1].ts = time.Now().Add(time.Hour)
	evs[2].description = strings.Repeat("x", 300<<10)
	evs[3].tenant = "bad/tenant"
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(evs...)))

	require.Equal(t, 1, h.rec.count())
	require.Len(t, h.rec.requests[0].Streams, 1)
	assert.Len(t, h.rec.requests[0].Streams[0].Entries, 1, "only the valid entry is pushed")
	reasons := map[string]string{}
	for _, d := range h.deadLetters() {
		reasons[d.StructuredMetadata["event_id"]] = d.Reason
	}
	assert.Equal(t, map[string]string{
		evs[1].id: lokipush.ReasonTooFarInFuture,
		evs[2].id: lokipush.ReasonLineTooLong,
		evs[3].id: lokipush.ReasonNotNormalized,
	}, reasons)
	assert.Equal(t, int64(1), h.counter("otelcol_audit_loki_dead_letter", attribute.String("reason", lokipush.ReasonNotNormalized)))
	assert.Equal(t, int64(1), h.counter("otelcol_audit_loki_entries_sent"))
}

func TestConnectionResetIsRetried(t *testing.T) {
	h := newHarness(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			require.NoError(t, err)
			_ = conn.Close()
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(3, "acme")...)))
	require.Equal(t, 2, h.rec.count())
	assert.Equal(t, h.rec.bodies[0], h.rec.bodies[1])
	assert.Equal(t, uint64(1), h.histogramCount("otelcol_audit_loki_request_duration", attribute.String("result", "network_error")))
}

func TestSlowServerTimesOutAndRetries(t *testing.T) {
	release := make(chan struct{})
	h := newHarness(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}, func(c *Config) { c.ClientConfig.Timeout = 200 * time.Millisecond })
	defer close(release)
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(3, "acme")...)))
	require.Equal(t, 2, h.rec.count())
	assert.Equal(t, h.rec.bodies[0], h.rec.bodies[1])
	assert.Equal(t, int64(3), h.counter("otelcol_audit_loki_entries_sent"))
}

func TestLargeBatchIsSplit(t *testing.T) {
	h := newHarness(t, ok, func(c *Config) {
		c.Limits.MaxLineSize = 1024
		c.Limits.MaxRequestSize = 8 << 10
	})
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(events(300, "acme")...)))
	assert.Greater(t, h.rec.count(), 3)
	total := 0
	for _, req := range h.rec.requests {
		for _, s := range req.Streams {
			total += len(s.Entries)
		}
	}
	assert.Equal(t, 300, total)
}

func TestDeadLetterRotation(t *testing.T) {
	dir := t.TempDir()
	d, err := openDeadLetter(DeadLetterConfig{Path: filepath.Join(dir, "dlq.jsonl"), MaxSizeMiB: 1, MaxBackups: 2})
	require.NoError(t, err)
	en := &entry{tenant: "acme", reason: lokipush.ReasonLineTooLong, labels: `{a="b"}`, line: strings.Repeat("x", 400<<10), ts: time.Now()}
	for i := 0; i < 8; i++ {
		require.NoError(t, d.Write([]*entry{en}, []string{"too long"}))
	}
	require.NoError(t, d.Close())
	require.NoError(t, d.Close())
	files, err := filepath.Glob(filepath.Join(dir, "dlq.jsonl*"))
	require.NoError(t, err)
	assert.Len(t, files, 3, "the live file and max_backups rotated files")
	for _, f := range files {
		st, err := os.Stat(f)
		require.NoError(t, err)
		assert.LessOrEqual(t, st.Size(), int64(1<<20))
	}
}

func TestCountersArePreCreated(t *testing.T) {
	h := newHarness(t, ok)
	m, err := h.tel.GetMetric("otelcol_audit_loki_dead_letter")
	require.NoError(t, err)
	assert.Len(t, m.Data.(metricdata.Sum[int64]).DataPoints, len(lokipush.Reasons()))
	m, err = h.tel.GetMetric("otelcol_audit_loki_label_overflow")
	require.NoError(t, err)
	assert.Len(t, m.Data.(metricdata.Sum[int64]).DataPoints, 3)
	_, err = h.tel.GetMetric("otelcol_audit_loki_entries_sent")
	require.NoError(t, err)
}

func TestDeadLetterWriteFailureKeepsRecordsForRetry(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "stream '{a=\"b\"}' has label value too long: 'x'", http.StatusBadRequest)
	}))
	defer srv.Close()
	cfg := testConfig()
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.DeadLetter.Path = filepath.Join(t.TempDir(), "dead.jsonl")
	exp, err := newLokiExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, exp.start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.dlq.Close()) // the file can no longer be written

	err = exp.pushLogs(context.Background(), makeLogs(events(3, "acme")...))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var logsErr consumererror.Logs
	require.ErrorAs(t, err, &logsErr)
	assert.Equal(t, 3, logsErr.Data().LogRecordCount(), "every refused record is kept for retry")
	require.NoError(t, exp.shutdown(context.Background()))
}

func TestLabelOverflowIsCountedAndDelivered(t *testing.T) {
	h := newHarness(t, ok, func(c *Config) { c.Labels.MaxValuesPerLabel = 1 })
	evs := events(3, "acme")
	evs[0].category = "Payroll"
	evs[1].category = "Billing"
	evs[2].category = "Billing"
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(evs...)))
	assert.Equal(t, int64(2), h.counter("otelcol_audit_loki_label_overflow", attribute.String("label", "category")))
	assert.Equal(t, int64(3), h.counter("otelcol_audit_loki_entries_sent"))
	var overflowed int
	for _, s := range h.rec.requests[0].Streams {
		if strings.Contains(s.Labels, `category="_other"`) {
			for _, e := range s.Entries {
				assert.Equal(t, "Billing", metaMap(e.StructuredMetadata)["category_original"])
				overflowed++
			}
		}
	}
	assert.Equal(t, 2, overflowed)
}

// One tenant flooding invented categories cannot push another tenant's values, nor the values
// the alert rules select on, to _other.
func TestLabelCapsArePerTenant(t *testing.T) {
	h := newHarness(t, ok, func(c *Config) { c.Labels.MaxValuesPerLabel = 5 })
	flood := events(50, "mallory")
	for i := range flood {
		flood[i].category = fmt.Sprintf("Invented%d", i)
	}
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(flood...)))

	victim := events(3, "acme")
	victim[0].category = audit.CategoryAuthentication
	victim[0].outcome = audit.OutcomeFailure
	victim[1].category = "Billing"
	victim[2].category = audit.CategoryAuthentication
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(victim...)))
	ownFlood := events(10, "mallory")
	ownFlood[0].category = audit.CategoryAuthentication
	require.NoError(t, h.exp.ConsumeLogs(context.Background(), makeLogs(ownFlood...)))

	selectors := map[string]int{}
	for i, req := range h.rec.requests {
		for _, s := range req.Streams {
			selectors[h.rec.tenants[i]+" "+s.Labels] += len(s.Entries)
		}
	}
	assert.Equal(t, 1, selectors[`acme {category="Authentication", outcome="failure", service_name="lms"}`], "%v", selectors)
	assert.Positive(t, selectors[`mallory {category="Authentication", outcome="success", service_name="lms"}`], "fixed values are admitted even for the flooding tenant")
	for sel := range selectors {
		if strings.HasPrefix(sel, "acme ") {
			assert.NotContains(t, sel, overflowLabelValue, "acme's labels are not capped by mallory's flood")
		}
	}
	assert.Equal(t, int64(45), h.counter("otelcol_audit_loki_label_overflow", attribute.String("label", "category")), "only mallory's own invented values overflow")
}
