package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/otelcol-audit/otelcol-audit/internal/auditgen"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

const fleetToken = "fleet-token-0123456789abcdef"

var fleetTenants = []string{"acme", "globex"}

// fleetOverlay adapts a role config of deploy/fleet to loopback test ports, the test Loki and
// the test tenants; everything else is the shipped role config.
func fleetOverlay(t *testing.T, lokiURL string, extra string) (paths []string, httpAddr string) {
	t.Helper()
	httpAddr = fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
	text := fmt.Sprintf(`
extensions:
  health_check:
    endpoint: 127.0.0.1:%d
  audit_auth:
    tokens:
      - name: fleet
        token: %s
        tenants: [acme, globex]
        email: admin@acme.example
service:
  telemetry:
    metrics:
      level: none
      readers: []
`, testharness.FreePort(t), fleetToken)
	dir := t.TempDir()
	for i, part := range []string{text, extra} {
		part = strings.ReplaceAll(part, "LOKI_URL", lokiURL)
		part = strings.ReplaceAll(part, "HTTP_ADDR", httpAddr)
		path := filepath.Join(dir, fmt.Sprintf("overlay-%d.yaml", i))
		require.NoError(t, os.WriteFile(path, []byte(part), 0o600))
		paths = append(paths, path)
	}
	return paths, httpAddr
}

// fleetEvent is one acknowledged event of the load.
type fleetEvent struct {
	tenant, id string
	at         time.Time
}

// TestFleetReportsFromLoki runs the fleet topology of docs/scaling.md on loopback: three
// gateways and one reporter, a real Loki and a real Mailpit. A load spread over the gateways
// runs across several one-minute report periods; one gateway is killed with SIGKILL and
// restarted mid-run, and the reporter is killed once while a period is due. A second reporter,
// started by mistake with its own volume, runs the same schedule throughout. Every period's
// email must hold every acknowledged event of its tenant exactly once, there is exactly one
// email per report, tenant and period, and an on-demand export gives the same rows.
func TestFleetReportsFromLoki(t *testing.T) {
	loki := testharness.StartLoki(t)
	mp := testharness.StartMailpit(t)

	gatewayCfg := filepath.Join(testharness.RepoRoot(), "deploy", "fleet", "gateway.yaml")
	reporterCfg := filepath.Join(testharness.RepoRoot(), "deploy", "fleet", "reporter.yaml")

	var gateways []*Collector
	var gatewayURLs []string
	for range 3 {
		overlay, addr := fleetOverlay(t, loki.URL, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
      http:
        endpoint: HTTP_ADDR
  audit_webhook:
    server:
      endpoint: 127.0.0.1:%d
processors:
  audit_normalizer:
    default_tenant: acme
exporters:
  audit_loki:
    endpoint: LOKI_URL
    sending_queue:
      batch:
        flush_timeout: 200ms
        min_size: 65536
`, testharness.FreePort(t), testharness.FreePort(t)))
		gw := StartCollector(t, "{}", addr, append([]string{gatewayCfg}, overlay...)...)
		gateways = append(gateways, gw)
		gatewayURLs = append(gatewayURLs, "http://"+addr+"/v1/logs")
	}

	// Two reporters: the one of the topology, and a second one started by mistake, with its
	// own volume. Neither may send a period the other sent.
	startReporter := func() (*Collector, string) {
		linksAddr := fmt.Sprintf("127.0.0.1:%d", testharness.FreePort(t))
		overlay, _ := fleetOverlay(t, loki.URL, fmt.Sprintf(`
extensions:
  audit_reporter:
    source:
      loki:
        endpoint: LOKI_URL
        settle_delay: 5s
    # The reporters' own events reach Loki within the 200ms flush plus a push.
    claim_wait: 3s
    reports:
      - name: minutely
        schedule: "* * * * *"
        timezone: UTC
        tenants: [acme, globex]
        formats: [csv]
        recipients: [admin@acme.example]
    smtp:
      endpoint: %s
      tls: none
      allow_plaintext: true
      from: Audit reports <reports@otelcol-audit.example>
    links:
      server:
        endpoint: %s
      public_url: http://%s
processors:
  audit_normalizer:
    default_tenant: acme
exporters:
  audit_loki:
    endpoint: LOKI_URL
`, mp.SMTPAddr, linksAddr, linksAddr))
		return StartCollector(t, "{}", linksAddr, append([]string{reporterCfg}, overlay...)...), linksAddr
	}
	reporter, linksAddr := startReporter()
	startReporter()

	// The load: batches of 50 events, round-robin over the gateways; a batch that is not
	// acknowledged is sent again, unchanged, to the next gateway (at-least-once, as an OTLP
	// sender retries).
	gen, err := auditgen.NewNamed(auditgen.ScenarioMixed, fleetTenants, 42)
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		acked []fleetEvent
		next  int
	)
	send := func(body []byte) bool {
		for attempt := 0; attempt < 30; attempt++ {
			mu.Lock()
			url := gatewayURLs[next%len(gatewayURLs)]
			next++
			mu.Unlock()
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-protobuf")
			req.Header.Set("Authorization", "Bearer "+fleetToken)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return true
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		return false
	}

	// The load covers one full period (fullFrom, the first whole minute after the start) and
	// two partial ones around it. One gateway dies inside the full period; the reporter dies as
	// the period before it falls due (its end + the settle delay), while rendering or sending.
	start := time.Now()
	fullFrom := start.UTC().Truncate(time.Minute).Add(time.Minute)
	loadEnd := fullFrom.Add(time.Minute + 2*time.Second)
	killGatewayAt := fullFrom.Add(20 * time.Second)
	killReporterAt := fullFrom.Add(5*time.Second + 200*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), loadEnd)
	defer cancel()
	var wg sync.WaitGroup
	ticker := time.NewTicker(100 * time.Millisecond) // ~500 events/s
	defer ticker.Stop()
	var gatewayKilled, gatewayRestarted, reporterKilled bool
load:
	for {
		select {
		case <-ctx.Done():
			break load
		case <-ticker.C:
		}
		ld, sent := gen.Batch(50)
		body, err := plogotlp.NewExportRequestFromLogs(ld).MarshalProto()
		require.NoError(t, err)
		// Records are grouped per tenant in generation order.
		byTenant := map[string]plog.LogRecordSlice{}
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			tenant, _ := rl.Resource().Attributes().Get("tenant.id")
			byTenant[tenant.Str()] = rl.ScopeLogs().At(0).LogRecords()
		}
		events := make([]fleetEvent, 0, len(sent))
		nth := map[string]int{}
		for _, s := range sent {
			lr := byTenant[s.Tenant].At(nth[s.Tenant])
			nth[s.Tenant]++
			events = append(events, fleetEvent{tenant: s.Tenant, id: s.EventID, at: lr.Timestamp().AsTime()})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if send(body) {
				mu.Lock()
				acked = append(acked, events...)
				mu.Unlock()
			}
		}()
		now := time.Now()
		switch {
		case !gatewayKilled && now.After(killGatewayAt):
			gatewayKilled = true
			gateways[1].Kill()
		case gatewayKilled && !gatewayRestarted && now.After(killGatewayAt.Add(3*time.Second)):
			gatewayRestarted = true
			gateways[1].Start()
		case !reporterKilled && now.After(killReporterAt):
			reporterKilled = true
			reporter.Kill()
			reporter.Start()
		}
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, acked)

	// Expected rows per tenant and period (the minute holding the event's time).
	want := map[string]map[string]bool{} // tenant/period start -> ids
	for _, e := range acked {
		key := e.tenant + "/" + e.at.UTC().Truncate(time.Minute).Format("20060102T150405Z")
		if want[key] == nil {
			want[key] = map[string]bool{}
		}
		want[key][e.id] = true
	}

	// Wait until the last period of the load is delivered for every tenant.
	lastPeriod := loadEnd.UTC().Truncate(time.Minute)
	var msgs []fleetMessage
	require.Eventually(t, func() bool {
		msgs = fleetMessages(t, mp)
		for _, tenant := range fleetTenants {
			if !slices.ContainsFunc(msgs, func(m fleetMessage) bool {
				return m.MessageID == fleetMessageID(tenant, lastPeriod)
			}) {
				return false
			}
		}
		return true
	}, time.Until(lastPeriod.Add(time.Minute+90*time.Second)), time.Second, "the last period's reports arrive")
	time.Sleep(3 * time.Second) // a duplicate would arrive by now
	msgs = fleetMessages(t, mp)

	perID := map[string]int{}
	for _, m := range msgs {
		perID[m.MessageID]++
	}
	for id, n := range perID {
		assert.Equal(t, 1, n, "exactly one email for %s", id)
	}

	// Every acknowledged event is in exactly one report of its tenant, and each row lies in
	// its report's period. The period is decided by the normalised time, which for vendor
	// payloads is the payload's own time, not the record's: an event sent at a minute's end
	// may belong to the next minute.
	var rowsTotal, duplicates, selfAudit, unexpected int
	isAcked := map[string]bool{}
	for _, e := range acked {
		isAcked[e.tenant+"/"+e.id] = true
	}
	reportedIn := map[string]string{}
	for _, m := range msgs {
		var tenant, period string
		for _, tn := range fleetTenants {
			if rest, ok := strings.CutPrefix(m.MessageID, "minutely."+tn+"."); ok {
				tenant, period = tn, strings.TrimSuffix(rest, "@otelcol-audit")
			}
		}
		require.NotEmpty(t, tenant, "a report message id: %s", m.MessageID)
		from, err := time.Parse("20060102T150405Z", period)
		require.NoError(t, err)
		rows := fleetCSVRows(t, mp, m)
		rowsTotal += len(rows)
		for _, r := range rows {
			assert.Equal(t, tenant, r.tenant)
			when, err := time.Parse(time.RFC3339, r.when)
			if assert.NoError(t, err) {
				assert.True(t, !when.Before(from) && when.Before(from.Add(time.Minute)), "%s: row %s at %s lies outside the period", m.MessageID, r.id, r.when)
			}
			if r.category == "Audit log" {
				selfAudit++ // the reporters' own events (claims, deliveries) are part of the log
				continue
			}
			key := tenant + "/" + r.id
			if prev, seen := reportedIn[key]; seen {
				duplicates++
				t.Errorf("%s reported in %s and in %s", key, prev, m.MessageID)
			}
			reportedIn[key] = m.MessageID
			if !isAcked[key] {
				unexpected++
				t.Errorf("%s: row %s was never acknowledged", m.MessageID, r.id)
			}
		}
	}
	missing := 0
	for key := range isAcked {
		if reportedIn[key] == "" {
			missing++
		}
	}
	assert.Zero(t, missing, "acknowledged events missing from every report (of %d)", len(isAcked))
	for key := range want {
		tenant, period, _ := strings.Cut(key, "/")
		from, _ := time.Parse("20060102T150405Z", period)
		assert.True(t, slices.ContainsFunc(msgs, func(m fleetMessage) bool { return m.MessageID == fleetMessageID(tenant, from) }), "a report for %s", key)
	}
	assert.Zero(t, duplicates, "rows reported twice")

	// Both reporters competed for the periods: each claimed in Loki.
	claimants := map[string]bool{}
	for _, tenant := range fleetTenants {
		for _, st := range loki.QueryRange(t, tenant, `{service_name="otelcol-audit"} | summary="Report claimed"`, start.Add(-time.Minute), time.Now(), 1000) {
			for _, e := range st.Entries {
				claimants[e.Metadata["author"]] = true
			}
		}
	}
	assert.GreaterOrEqual(t, len(claimants), 2, "both reporters claimed periods: %v", claimants)
	t.Logf("fleet: %d events acknowledged, %d rows in %d reports (%d of them the reporters' own audit events), %d duplicates, %d missing, %d unexpected, %d emails, %d reporters claiming",
		len(acked), rowsTotal, len(msgs), selfAudit, duplicates, missing, unexpected, len(msgs), len(claimants))

	// An on-demand export of one full period gives the same rows as its report.
	full := "acme/" + fullFrom.Format("20060102T150405Z")
	require.Contains(t, want, full, "the load covers a full period")
	from := fullFrom
	exported := fleetExport(t, linksAddr, "acme", from, from.Add(time.Minute))
	reported := fleetCSVRows(t, mp, msgs[slices.IndexFunc(msgs, func(m fleetMessage) bool { return m.MessageID == fleetMessageID("acme", from) })])
	assert.ElementsMatch(t, reported, exported, "the export of %s holds the report's rows", full)
}

func fleetMessageID(tenant string, from time.Time) string {
	return "minutely." + tenant + "." + from.UTC().Format("20060102T150405Z") + "@otelcol-audit"
}

type fleetMessage struct {
	ID          string
	MessageID   string
	Subject     string
	Attachments []struct {
		PartID   string
		FileName string
	}
}

func fleetMessages(t *testing.T, mp *testharness.Mailpit) []fleetMessage {
	t.Helper()
	var list struct {
		Messages []struct{ ID string }
	}
	mp.GetJSON(t, "/api/v1/messages?limit=1000", &list)
	out := make([]fleetMessage, 0, len(list.Messages))
	for _, m := range list.Messages {
		var msg fleetMessage
		mp.GetJSON(t, "/api/v1/message/"+m.ID, &msg)
		out = append(out, msg)
	}
	return out
}

// fleetRow is the part of a report row the test compares.
type fleetRow struct {
	id, tenant, author, category, summary, outcome, when string
}

var csvHeader = regexp.MustCompile(`^\x{FEFF}?"?Date"?,`)

func fleetCSVRows(t *testing.T, mp *testharness.Mailpit, m fleetMessage) []fleetRow {
	t.Helper()
	for _, a := range m.Attachments {
		if strings.HasSuffix(a.FileName, ".csv") {
			return parseReportCSV(t, mp.Get(t, "/api/v1/message/"+m.ID+"/part/"+a.PartID))
		}
	}
	t.Fatalf("message %s has no CSV attachment", m.MessageID)
	return nil
}

func parseReportCSV(t *testing.T, data []byte) []fleetRow {
	t.Helper()
	require.True(t, csvHeader.Match(data), "a report CSV: %.200s", data)
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF")))).ReadAll()
	require.NoError(t, err)
	rows := make([]fleetRow, 0, len(records))
	for _, r := range records[1:] {
		rows = append(rows, fleetRow{when: r[0], author: r[1], category: r[2], summary: r[3], outcome: r[5], id: r[8], tenant: r[9]})
	}
	return rows
}

// fleetExport requests an export from the reporter's API, waits until it is ready and
// downloads it.
func fleetExport(t *testing.T, linksAddr, tenant string, from, to time.Time) []fleetRow {
	t.Helper()
	api := "http://" + linksAddr + "/api/v1/exports"
	call := func(method, url, body string) (int, map[string]any) {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+fleetToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	code, created := call(http.MethodPost, api, fmt.Sprintf(`{"tenant":%q,"from":%q,"to":%q,"format":"csv"}`,
		tenant, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339)))
	require.Equal(t, http.StatusAccepted, code, "%v", created)
	var status map[string]any
	require.Eventually(t, func() bool {
		_, status = call(http.MethodGet, created["status_url"].(string), "")
		return status["status"] == "ready" || status["status"] == "failed"
	}, 60*time.Second, 200*time.Millisecond)
	require.Equal(t, "ready", status["status"], "%v", status)
	link := status["download_url"].(string)
	if strings.HasPrefix(link, "/") {
		link = "http://" + linksAddr + link
	}
	resp, err := http.Get(link)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	return parseReportCSV(t, data)
}
