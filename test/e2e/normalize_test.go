package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

// otlpSink is an OTLP/HTTP logs endpoint that keeps every record it receives.
type otlpSink struct {
	mu      sync.Mutex
	records []plog.LogRecord
	res     []plog.ResourceLogs
}

func (s *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	rls := req.Logs().ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				s.records = append(s.records, lrs.At(k))
				s.res = append(s.res, rls.At(i))
			}
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := plogotlp.NewExportResponse().MarshalProto()
	_, _ = w.Write(out)
}

func (s *otlpSink) byEventID() map[string]plog.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]plog.LogRecord, len(s.records))
	for _, lr := range s.records {
		if id, ok := lr.Attributes().Get(audit.AttrEventID); ok {
			m[id.Str()] = lr
		}
	}
	return m
}

// overlay returns a config that moves every listener of the default config to a free port
// and adds an OTLP/HTTP exporter to sinkURL next to the default exporters.
func overlay(t *testing.T, sinkURL string) (cfg string, grpcAddr, httpAddr string) {
	grpcAddr = fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	httpAddr = fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	cfg = fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
  pprof:
    endpoint: 127.0.0.1:%d
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
      http:
        endpoint: %s
exporters:
  otlp_http/e2e:
    endpoint: %s
    compression: none
    sending_queue:
      enabled: false
service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
`, testharness.FreePort(t), testharness.FreePort(t), grpcAddr, httpAddr, sinkURL, testharness.FreePort(t))
	return cfg, grpcAddr, httpAddr
}

// TestDefaultConfigNormalisesGeneratorEvents runs the distribution on the bundled default
// config, sends the generator's events over gRPC and HTTP, and checks that every event arrives
// once, normalised into the audit model.
func TestDefaultConfigNormalisesGeneratorEvents(t *testing.T) {
	sink := &otlpSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()

	cfg, grpcAddr, httpAddr := overlay(t, srv.URL)
	cfg += `
  pipelines:
    logs:
      exporters: [debug, otlp_http/e2e]
`
	defaultConfig := filepath.Join(testharness.RepoRoot(), "config", "default.yaml")
	col := StartCollector(t, cfg, grpcAddr, defaultConfig)

	gen := filepath.Join(t.TempDir(), "auditgen")
	build := exec.Command("go", "build", "-o", gen, "./cmd/auditgen")
	build.Dir = testharness.RepoRoot()
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	type run struct{ protocol, endpoint, scenario string }
	runs := []run{
		{"grpc", grpcAddr, "normal"},
		{"http", "http://" + httpAddr, "bruteforce"},
		{"grpc", grpcAddr, "mixed"},
	}
	want := map[string]string{} // event id -> tenant
	for i, r := range runs {
		idsFile := filepath.Join(t.TempDir(), "ids.txt")
		cmd := exec.Command(gen, "-protocol", r.protocol, "-endpoint", r.endpoint, "-scenario", r.scenario,
			"-tenants", "3", "-count", "300", "-batch", "50", "-seed", fmt.Sprint(i+1), "-ids", idsFile, "-quiet")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "auditgen %v: %s", r, out)
		f, err := os.Open(idsFile)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			tenant, id, _ := strings.Cut(sc.Text(), " ")
			want[id] = tenant
		}
		f.Close()
	}
	require.Len(t, want, 900)

	require.Eventually(t, func() bool { return len(sink.byEventID()) >= len(want) }, 30*time.Second, 100*time.Millisecond,
		"collector output:\n%s", col.Output())
	got := sink.byEventID()
	assert.Len(t, got, len(want), "every event arrives exactly once")
	for id, tenant := range want {
		lr, ok := got[id]
		if !assert.True(t, ok, "event %s missing", id) {
			continue
		}
		a := lr.Attributes()
		for _, key := range []string{audit.AttrAuthor, audit.AttrCategory, audit.AttrSummary, audit.AttrDescription, audit.AttrOutcome, audit.AttrSource} {
			v, ok := a.Get(key)
			assert.True(t, ok && v.Str() != "", "event %s: %s is empty", id, key)
		}
		if v, ok := a.Get(audit.AttrTenant); assert.True(t, ok) {
			assert.Equal(t, tenant, v.Str(), "event %s tenant", id)
		}
		desc, _ := a.Get(audit.AttrDescription)
		assert.Equal(t, desc.Str(), lr.Body().AsString(), "the body is the description")
	}

	// The brute-force scenario must come out as failed logins, which the alert rules count.
	failed := 0
	for _, lr := range got {
		a := lr.Attributes()
		c, _ := a.Get(audit.AttrCategory)
		s, _ := a.Get(audit.AttrSummary)
		o, _ := a.Get(audit.AttrOutcome)
		if c.Str() == audit.CategoryAuthentication && s.Str() == audit.SummaryLoginFailed && o.Str() == audit.OutcomeFailure {
			failed++
		}
	}
	assert.GreaterOrEqual(t, failed, 290, "brute-force events are failed logins")
}
