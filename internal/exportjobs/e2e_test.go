package exportjobs

// End-to-end against a real Mailpit and the real spool:
//
//	scripts/tools.sh mailpit
//	OTELCOL_AUDIT_REQUIRE_INTEGRATION=1 go test ./internal/exportjobs/...
//
// Skipped when Mailpit is not installed, unless OTELCOL_AUDIT_REQUIRE_INTEGRATION is set.

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

func TestEndToEndMailpitSpoolDST(t *testing.T) {
	mp := testharness.StartMailpit(t)
	dublin, err := time.LoadLocation("Europe/Dublin")
	require.NoError(t, err)

	sp, err := spool.Open(filepath.Join(t.TempDir(), "spool.db"), spool.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close() })
	// Every 30 minutes across the night of 25 October 2026, when Dublin leaves summer time
	// (01:00 UTC): the local day of the 25th has 25 hours.
	start := time.Date(2026, 10, 24, 20, 0, 0, 0, time.UTC)
	var events []audit.Row
	for i := range 96 {
		at := start.Add(time.Duration(i) * 30 * time.Minute)
		events = append(events, audit.Row{
			Time: at, Tenant: "acme", EventID: fmt.Sprintf("e-%03d", i),
			Author: []string{"alice@acme.test", "bob@acme.test", "carol@acme.test"}[i%3], Category: "Authentication",
			Summary: []string{"Login", "Login failed"}[i%2], Description: "=cmd|' /C calc'!A0",
			Outcome: []string{audit.OutcomeSuccess, audit.OutcomeFailure}[i%2], SourceIP: "192.0.2.7", Target: "portal",
		})
		events = append(events, audit.Row{Time: at, Tenant: "globex", EventID: fmt.Sprintf("g-%03d", i), Author: "alice@acme.test", Outcome: audit.OutcomeFailure})
	}
	_, err = sp.Append(context.Background(), events)
	require.NoError(t, err)

	sender, err := reportmail.NewSMTP(reportmail.Config{Endpoint: mp.SMTPAddr, TLS: reportmail.TLSNone, AllowPlaintext: true, From: "exports@otelcol-audit.example"})
	require.NoError(t, err)

	// The public URL must be known before the engine exists: start the server first and
	// give it the engine's handler before the first request.
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	env := newEnv(t, t.TempDir(), nil, func(c *Config, d *Deps) {
		c.PublicURL = srv.URL
		c.NotifyDomains = []string{"acme.test"} // the token has no email of its own
		d.Source = reportsource.Spool(sp, 0)
		d.Sender = sender
		d.Now = nil
		d.Signer = testSigner(t, nil)
	})
	handler = env.engine.Handler()

	localDayStart := time.Date(2026, 10, 25, 0, 0, 0, 0, dublin)
	localDayEnd := time.Date(2026, 10, 26, 0, 0, 0, 0, dublin)
	require.Equal(t, 25*time.Hour, localDayEnd.Sub(localDayStart))
	body := map[string]any{
		"tenant": "acme", "from": localDayStart.Format(time.RFC3339), "to": localDayEnd.Format(time.RFC3339),
		"format": "csv", "timezone": "Europe/Dublin", "notify": []string{"admin@acme.test"},
		"filters": map[string]any{"outcome": "failure", "contains": "ALICE"},
	}
	env.server = srv
	code, created, e := env.submit(t, tokenAcme, body)
	require.Equal(t, http.StatusAccepted, code, e.Error)
	assert.Equal(t, srv.URL+StatusPath(created.ID), created.StatusURL)
	v := env.waitStatus(t, tokenAcme, created.ID, StatusReady)

	// The email arrives, with the link.
	var list struct {
		Total    int `json:"total"`
		Messages []struct {
			ID string `json:"ID"`
		} `json:"messages"`
	}
	// Mailpit may count a message before it lists it.
	require.Eventually(t, func() bool {
		mp.GetJSON(t, "/api/v1/messages", &list)
		return list.Total == 1 && len(list.Messages) == 1
	}, 30*time.Second, 20*time.Millisecond)
	var msg struct {
		Subject string `json:"Subject"`
		Text    string `json:"Text"`
		To      []struct {
			Address string `json:"Address"`
		} `json:"To"`
	}
	// Mailpit lists a message before it has stored all of it: read until it is complete.
	require.Eventually(t, func() bool {
		mp.GetJSON(t, "/api/v1/message/"+list.Messages[0].ID, &msg)
		return len(msg.To) > 0 && msg.Text != ""
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "admin@acme.test", msg.To[0].Address)
	assert.Contains(t, msg.Subject, "acme")
	link := regexp.MustCompile(`Download: (\S+)`).FindStringSubmatch(msg.Text)
	require.Len(t, link, 2, msg.Text)
	assert.Equal(t, v.DownloadURL, link[1])

	resp, err := http.Get(link[1])
	require.NoError(t, err)
	data := readAll(t, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(data, "\ufeff"))).ReadAll()
	require.NoError(t, err)

	var want [][]string
	for _, ev := range events {
		if ev.Tenant == "acme" && ev.Outcome == audit.OutcomeFailure && strings.Contains(ev.Author, "alice") &&
			!ev.Time.Before(localDayStart) && ev.Time.Before(localDayEnd) {
			want = append(want, []string{ev.Time.In(dublin).Format("2006-01-02T15:04:05-07:00"), ev.Author, ev.EventID})
		}
	}
	require.NotEmpty(t, want)
	require.Len(t, records, len(want)+1)
	var got [][]string
	sawSummer, sawWinter := false, false
	for _, r := range records[1:] {
		got = append(got, []string{r[0], r[1], r[8]})
		sawSummer = sawSummer || strings.HasSuffix(r[0], "+01:00")
		sawWinter = sawWinter || strings.HasSuffix(r[0], "+00:00")
		assert.False(t, strings.HasPrefix(r[4], "="), "description neutralised")
	}
	assert.Equal(t, want, got)
	assert.True(t, sawSummer && sawWinter, "the period crosses the DST change")
	assert.Equal(t, int64(len(want)), v.Rows)
}
