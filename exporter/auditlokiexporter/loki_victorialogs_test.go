package auditlokiexporter

// Integration test against a real VictoriaLogs, which speaks Loki's push protocol. It needs
// the pinned binary (scripts/tools.sh victoria-logs); without it the test is skipped, unless
// OTELCOL_AUDIT_REQUIRE_INTEGRATION is set, in which case it fails.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-audit/otelcol-audit/exporter/auditlokiexporter/internal/metadata"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// tenantProxy sits in front of VictoriaLogs: it checks that every push names exactly one
// tenant and carries only that tenant's events, then maps the tenant onto VictoriaLogs'
// AccountID header.
type tenantProxy struct {
	target   string
	accounts map[string]string
	// tenantOf says which tenant an event id belongs to.
	tenantOf  map[string]string
	failFirst atomic.Bool

	mu        sync.Mutex
	requests  int
	crossings int
}

func (p *tenantProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if p.failFirst.CompareAndSwap(true, false) {
		http.Error(w, "injected outage", http.StatusServiceUnavailable)
		return
	}
	tenants := r.Header.Values("X-Scope-OrgID")
	p.mu.Lock()
	p.requests++
	if len(tenants) != 1 || strings.Contains(tenants[0], "|") {
		p.crossings++
		p.mu.Unlock()
		http.Error(w, "exactly one tenant per push", http.StatusBadRequest)
		return
	}
	raw, err := snappy.Decode(nil, body)
	var req push.PushRequest
	if err == nil {
		err = req.Unmarshal(raw)
	}
	if err != nil {
		p.mu.Unlock()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, s := range req.Streams {
		for _, e := range s.Entries {
			if p.tenantOf[metaMap(e.StructuredMetadata)["event_id"]] != tenants[0] {
				p.crossings++
			}
		}
	}
	p.mu.Unlock()

	out, err := http.NewRequestWithContext(r.Context(), http.MethodPost, p.target, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out.Header.Set("Content-Type", r.Header.Get("Content-Type"))
	out.Header.Set("AccountID", p.accounts[tenants[0]])
	out.Header.Set("ProjectID", "0")
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(respBody)
}

func TestVictoriaLogsIntegration(t *testing.T) {
	vl := testharness.StartVictoriaLogs(t)
	accounts := map[string]string{"acme": "11", "globex": "22"}

	const n = 400
	evs := events(n, "acme", "globex")
	proxy := &tenantProxy{target: vl.LokiPushURL(), accounts: accounts, tenantOf: map[string]string{}}
	for _, ev := range evs {
		proxy.tenantOf[ev.id] = ev.tenant
	}
	proxy.failFirst.Store(true)
	srv := httptest.NewServer(proxy)
	defer srv.Close()

	cfg := testConfig()
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.PushPath = "/insert/loki/api/v1/push"
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.Limits.MaxRequestSize = 32 << 10 // several requests per tenant
	cfg.DeadLetter.Path = filepath.Join(t.TempDir(), "dead.jsonl")
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	for i := 0; i < n; i += 100 {
		require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(evs[i:i+100]...)))
	}
	require.NoError(t, exp.Shutdown(context.Background()))

	proxy.mu.Lock()
	assert.Zero(t, proxy.crossings, "no request mixes tenants")
	assert.Greater(t, proxy.requests, 2)
	proxy.mu.Unlock()

	for tenant, account := range accounts {
		var rows []map[string]string
		require.Eventually(t, func() bool {
			rows = vl.Query(t, "*", map[string]string{"AccountID": account, "ProjectID": "0"})
			return len(rows) >= n/2
		}, 10*time.Second, 100*time.Millisecond, "tenant %s", tenant)

		seen := map[string]int{}
		for _, row := range rows {
			id := row["event_id"]
			seen[id]++
			assert.Equal(t, tenant, proxy.tenantOf[id], "event %s is in tenant %s", id, tenant)
			// Labels arrive as stream fields, structured metadata as ordinary fields.
			assert.Equal(t, `{category="Authentication",outcome="success",service_name="lms"}`, row["_stream"])
			assert.Equal(t, "Authentication", row["category"])
			assert.Equal(t, "lms", row["service_name"])
			assert.NotEmpty(t, row["author"])
			assert.Equal(t, "Login", row["summary"])
			assert.Equal(t, "203.0.113.7", row["source_ip"])
			assert.Equal(t, "okta", row["audit_source"])
			assert.Contains(t, row["_msg"], "logged in")
		}
		assert.Len(t, seen, n/2, "every event id of %s arrives", tenant)
		for id, c := range seen {
			assert.Equal(t, 1, c, "event %s arrives exactly once", id)
		}
	}
}
