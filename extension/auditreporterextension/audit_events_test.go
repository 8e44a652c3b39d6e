package auditreporterextension

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit/selfaudittest"
)

// hostWith is a host that provides extensions by id.
type hostWith struct {
	component.Host
	extensions map[component.ID]component.Component
}

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h.extensions }

// startHub returns an in-memory audit_events hub with a sink attached, as the audit_events
// receiver would attach its pipeline.
func startHub(t *testing.T) (component.ID, component.Component, *consumertest.LogsSink) {
	t.Helper()
	id := component.MustNewID(selfaudit.ExtensionType)
	hub := selfaudittest.NewHub()
	sink := &consumertest.LogsSink{}
	detach, err := hub.Attach(sink)
	require.NoError(t, err)
	t.Cleanup(detach)
	return id, hub, sink
}

func auditEvents(sink *consumertest.LogsSink) []map[string]any {
	var out []map[string]any
	for _, ld := range sink.AllLogs() {
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					out = append(out, lrs.At(k).Attributes().AsRaw())
				}
			}
		}
	}
	return out
}

// TestReportDeliveryIsAnAuditEvent: a delivered period is emitted through the audit_events
// hub as an event of the tenant, category "Audit log".
func TestReportDeliveryIsAnAuditEvent(t *testing.T) {
	id, hub, sink := startHub(t)
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	cfg := dailyConfig(t.TempDir())
	cfg.AuditEvents = &id
	h := startHarnessOn(t, cfg, clock, &fakeSender{}, hostWith{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{id: hub}})
	h.consume(mkEvent("acme", "e1", time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC)))
	h.runAt(time.Date(2026, 3, 11, 0, 0, 1, 0, time.UTC))

	events := auditEvents(sink)
	require.Len(t, events, 1)
	ev := events[0]
	assert.Equal(t, "acme", ev[audit.AttrTenant])
	assert.Equal(t, selfaudit.CategoryAuditLog, ev[audit.AttrCategory])
	assert.Equal(t, "Report delivered", ev[audit.AttrSummary])
	assert.Equal(t, audit.OutcomeSuccess, ev[audit.AttrOutcome])
	assert.Equal(t, audit.AuthorSystem, ev[audit.AttrAuthor])
	assert.Equal(t, "daily/2026-03-10T00:00:00Z", ev[audit.AttrTarget], "the period, as a distributed ledger finds it")
	assert.Regexp(t, `^Report daily delivered \(run [0-9a-f]{32}\)$`, ev[audit.AttrDescription])
}

// TestExportsAPIIsServedOnTheLinksServer: with exports configured, the on-demand export API
// answers on the download server, reads the same spool, and audits the request.
func TestExportsAPIIsServedOnTheLinksServer(t *testing.T) {
	id, hub, sink := startHub(t)
	clock := &fakeClock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	cfg := dailyConfig(t.TempDir())
	withLinks(t, cfg)
	cfg.AuditEvents = &id
	cfg.Exports = configoptional.Some(exportjobs.Config{Auth: exportjobs.AuthConfig{
		Tokens: []exportjobs.TokenConfig{{Name: "acme-admin", Token: "acme-token-0123456789", Tenants: []string{"acme"}}},
	}})
	h := startHarnessOn(t, cfg, clock, &fakeSender{}, hostWith{Host: componenttest.NewNopHost(), extensions: map[component.ID]component.Component{id: hub}})
	h.consume(mkEvent("acme", "e1", time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)), mkEvent("acme", "e2", time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)))

	post := func(token, body string) (*http.Response, map[string]any) {
		req, err := http.NewRequest(http.MethodPost, cfg.Links.PublicURL+"/api/v1/exports", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	body := `{"tenant":"acme","from":"2026-03-10T00:00:00Z","to":"2026-03-11T00:00:00Z","format":"csv"}`
	resp, out := post("acme-token-0123456789", body)
	require.Equal(t, http.StatusAccepted, resp.StatusCode, out)
	assert.NotEmpty(t, out["id"])

	resp, _ = post("wrong-token", body)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = post("acme-token-0123456789", strings.Replace(body, `"acme"`, `"globex"`, 1))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	require.Eventually(t, func() bool {
		for _, ev := range auditEvents(sink) {
			if ev[audit.AttrSummary] == "Export requested" && ev[audit.AttrTenant] == "acme" {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "the export request is audited")
}
