package lokiqueries

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter"
	"github.com/otelcol-audit/otelcol-audit/internal/auditgen"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
	"github.com/otelcol-audit/otelcol-audit/processor/auditnormalizerprocessor"
)

// load is one scenario sent for one tenant.
type load struct {
	tenant, scenario string
	events           int
	seed             uint64
}

// loads are sent in this order. The sizes keep every dashboard panel of tenantBusy fed
// (the burst has 2 successful logins among its failures, auditgen's every 50th event) and
// stay far below the failed-login thresholds for normal activity.
var loads = []load{
	{tenant: tenantBusy, scenario: auditgen.ScenarioNormal, events: 200, seed: 1},
	{tenant: tenantBusy, scenario: auditgen.ScenarioMixed, events: 120, seed: 2},
	{tenant: tenantBusy, scenario: auditgen.ScenarioBruteForce, events: 120, seed: 3},
	{tenant: tenantQuiet, scenario: auditgen.ScenarioNormal, events: 200, seed: 4},
}

// burstSourceIP is where auditgen's brute-force burst comes from; burstVictim its author.
const burstSourceIP = "203.0.113.66"

func burstVictim(tenant string) string { return "victim@" + tenant + ".example.com" }

// loaded is what reached Loki.
type loaded struct {
	// from and to bound the events' timestamps.
	from, to time.Time
	// events per tenant.
	events map[string]int
	// burstFailures are the failed logins of the burst's victim in tenantBusy.
	burstFailures int
}

// loadTenants sends every load through the audit_normalizer and the audit_loki exporter,
// built with their factories as the distribution builds them, and waits until Loki answers
// with every event.
func loadTenants(t *testing.T, loki *testharness.Loki) loaded {
	t.Helper()
	ctx := context.Background()

	ef := auditlokiexporter.NewFactory()
	ecfg := ef.CreateDefaultConfig().(*auditlokiexporter.Config)
	ecfg.ClientConfig.Endpoint = loki.URL
	ecfg.Tenant = auditlokiexporter.TenantConfig{Mode: auditlokiexporter.TenantModePerRecord}
	// Without a queue each ConsumeLogs returns once Loki has answered, with its error.
	ecfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	ecfg.DeadLetter.Path = filepath.Join(t.TempDir(), "dead-letter.jsonl")
	require.NoError(t, ecfg.Validate())
	exp, err := ef.CreateLogs(ctx, exportertest.NewNopSettings(ef.Type()), ecfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))

	nf := auditnormalizerprocessor.NewFactory()
	ncfg := nf.CreateDefaultConfig().(*auditnormalizerprocessor.Config)
	// auditgen names each batch's tenant in tenant.id and stands in for a sender that
	// audit_auth would have bound to both tenants.
	ncfg.TrustPayloadTenant = true
	require.NoError(t, ncfg.Validate())
	norm, err := nf.CreateLogs(ctx, processortest.NewNopSettings(nf.Type()), ncfg, exp)
	require.NoError(t, err)
	require.NoError(t, norm.Start(ctx, componenttest.NewNopHost()))

	out := loaded{events: map[string]int{}, to: time.Now()}
	out.from = out.to
	for _, l := range loads {
		gen, err := auditgen.NewNamed(l.scenario, []string{l.tenant}, l.seed)
		require.NoError(t, err)
		// Loki keeps one of several entries with the same timestamp and line in a stream, and
		// auditgen stamps events up to 1 s before its clock: a clock that moves 1 s per reading
		// gives every event its own timestamp, ending now.
		gen.SetClock(steppedClock(out.to.Add(-2*time.Duration(l.events)*time.Second), time.Second))
		ld, sent := gen.Batch(l.events)
		require.Len(t, sent, l.events)
		if first := firstTimestamp(ld); first.Before(out.from) {
			out.from = first
		}
		if l.scenario == auditgen.ScenarioBruteForce && l.tenant == tenantBusy {
			out.burstFailures = countAttr(ld, "event.outcome", "failure")
		}
		require.NoError(t, norm.ConsumeLogs(ctx, ld), "%s/%s", l.tenant, l.scenario)
		out.events[l.tenant] += l.events
	}
	require.NoError(t, norm.Shutdown(ctx))
	require.NoError(t, exp.Shutdown(ctx))

	dead, err := os.ReadFile(ecfg.DeadLetter.Path)
	if err == nil {
		assert.Empty(t, string(dead), "Loki refused entries")
	}
	require.Positive(t, out.burstFailures)
	// Margins for timestamps the normaliser takes from the vendor payloads (whole seconds).
	out.from = out.from.Add(-2 * time.Second)
	out.to = time.Now().Add(time.Second)

	for tenant, want := range out.events {
		waitForCount(t, loki, tenant, want, out)
	}
	return out
}

// steppedClock starts at start and moves by step on every reading.
func steppedClock(start time.Time, step time.Duration) func() time.Time {
	var mu sync.Mutex
	next := start
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := next
		next = next.Add(step)
		return now
	}
}

func eachRecord(ld plog.Logs, fn func(plog.LogRecord)) {
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				fn(lrs.At(k))
			}
		}
	}
}

func firstTimestamp(ld plog.Logs) time.Time {
	var first time.Time
	eachRecord(ld, func(lr plog.LogRecord) {
		if ts := lr.Timestamp().AsTime(); first.IsZero() || ts.Before(first) {
			first = ts
		}
	})
	return first
}

func countAttr(ld plog.Logs, key, value string) int {
	n := 0
	eachRecord(ld, func(lr plog.LogRecord) {
		if v, ok := lr.Attributes().Get(key); ok && v.AsString() == value {
			n++
		}
	})
	return n
}

// waitForCount waits until Loki counts every event of the tenant: pushes are acknowledged
// before the ingester's data is queryable everywhere.
func waitForCount(t *testing.T, loki *testharness.Loki, tenant string, want int, l loaded) {
	t.Helper()
	query := `sum(count_over_time({service_name=~".+"} [` + rangeSeconds(l.to.Sub(l.from)) + `]))`
	deadline := time.Now().Add(30 * time.Second)
	var got int
	for {
		got = instantCount(t, loki, tenant, query, l.to)
		if got == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, want, got, "events of tenant %s in Loki", tenant)
}

func rangeSeconds(d time.Duration) string {
	return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) + "s"
}

// instantCount runs an instant query that yields at most one sample and returns its value.
func instantCount(t *testing.T, loki *testharness.Loki, tenant, query string, at time.Time) int {
	t.Helper()
	status, body := loki.Get(t, tenant, "/loki/api/v1/query", url.Values{
		"query": {query}, "time": {strconv.FormatInt(at.UnixNano(), 10)},
	})
	require.Equal(t, http.StatusOK, status, "%s: %s", query, body)
	var ans struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &ans))
	if len(ans.Data.Result) == 0 {
		return 0
	}
	s, _ := ans.Data.Result[0].Value[1].(string)
	n, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err, "%s: %s", query, body)
	return int(n)
}
