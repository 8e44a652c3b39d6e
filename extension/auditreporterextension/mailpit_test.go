package auditreporterextension

// Integration tests against a real Mailpit (pinned in scripts/tools.sh) started on loopback
// by internal/testharness. They are skipped when Mailpit is not installed, and fail instead
// when OTELCOL_AUDIT_REQUIRE_INTEGRATION is set:
//
//	scripts/tools.sh mailpit
//	OTELCOL_AUDIT_REQUIRE_INTEGRATION=1 go test ./extension/auditreporterextension/...

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportmail"
	"github.com/otelcol-audit/otelcol-audit/internal/reportrender"
	"github.com/otelcol-audit/otelcol-audit/internal/testharness"
)

type mailpitList struct {
	Total    int `json:"total"`
	Messages []struct {
		ID        string `json:"ID"`
		MessageID string `json:"MessageID"`
	} `json:"messages"`
}

type mailpitMessage struct {
	ID          string
	MessageID   string
	Subject     string
	Text        string
	HTML        string
	Attachments []struct {
		PartID      string
		FileName    string
		ContentType string
	}
}

func mailpitMessages(t *testing.T, mp *testharness.Mailpit) []mailpitMessage {
	t.Helper()
	var list mailpitList
	mp.GetJSON(t, "/api/v1/messages", &list)
	out := make([]mailpitMessage, 0, len(list.Messages))
	for _, m := range list.Messages {
		var msg mailpitMessage
		mp.GetJSON(t, "/api/v1/message/"+m.ID, &msg)
		msg.ID = m.ID
		out = append(out, msg)
	}
	return out
}

func smtpConfig(mp *testharness.Mailpit) *Config {
	cfg := dailyConfig("")
	cfg.SMTP = configoptional.Some(reportmail.Config{
		Endpoint: mp.SMTPAddr, TLS: reportmail.TLSNone, AllowPlaintext: true,
		From: "Audit reports <reports@otelcol-audit.example>", Timeout: 5 * time.Second,
	})
	return cfg
}

// countingSender counts the sends that reached the real sender.
type countingSender struct {
	reportmail.Sender
	n atomic.Int32
}

func (c *countingSender) Send(ctx context.Context, m reportmail.Message) (bool, error) {
	c.n.Add(1)
	return c.Sender.Send(ctx, m)
}

// TestMailpitDeliversEveryEventInCSVAndXLSX sends a Dublin daily report over real SMTP,
// reads the message and both attachments back through Mailpit's API, and checks every row
// against the events sent, formula payloads included.
func TestMailpitDeliversEveryEventInCSVAndXLSX(t *testing.T) {
	mp := testharness.StartMailpit(t)
	dublin := mustZone(t, "Europe/Dublin")
	cfg := smtpConfig(mp)
	cfg.Directory = t.TempDir()
	cfg.Reports[0].Formats = []string{"csv", "xlsx"}
	cfg.Reports[0].Recipients = []string{"admin@acme.example", "Security <sec@acme.example>"}
	clock := &fakeClock{t: day(dublin, 2026, 10, 24, 12)}
	h := startHarness(t, cfg, clock, nil)

	// The fall-back day, 25 hours long.
	start := day(dublin, 2026, 10, 25, 0)
	payloads := []string{"=1+2", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x", "＝HYPERLINK(\"x\")", "   =1", "Zoë 日本語", "plain"}
	var want []testEvent
	for i := 0; i < 50; i++ {
		ev := mkEvent("acme", fmt.Sprintf("ev-%03d", i), start.Add(time.Duration(i)*30*time.Minute))
		ev.desc = payloads[i%len(payloads)]
		ev.author = payloads[(i+3)%len(payloads)]
		if i%7 == 0 {
			ev.summary, ev.outcome = "Login failed", "failure"
		}
		want = append(want, ev)
	}
	h.consume(want...)
	h.consume(want[:10]...) // re-delivered
	h.consume(mkEvent("globex", "other-tenant", start.Add(time.Hour)), mkEvent("acme", "next-day", start.Add(25*time.Hour)))
	require.Equal(t, 25*time.Hour, day(dublin, 2026, 10, 26, 0).Sub(start))

	h.runAt(day(dublin, 2026, 10, 26, 0).Add(time.Second))
	msgs := mailpitMessages(t, mp)
	require.Len(t, msgs, 2, "the 24th and the 25th")
	var msg mailpitMessage
	for _, m := range msgs {
		if m.MessageID == "daily.acme.20261024T230000Z@otelcol-audit" {
			msg = m
		}
	}
	require.NotEmpty(t, msg.ID, "message of the 25th (starts 2026-10-24T23:00Z, midnight IST)")
	assert.Contains(t, msg.Subject, "2026-10-25 00:00")
	assert.Contains(t, msg.Text, "50")
	require.Len(t, msg.Attachments, 4, "csv and xlsx, each with its manifest")
	bodies := map[string][]byte{}

	expected := make([][]string, len(want))
	for i, ev := range want {
		row := expectedRow(ev, dublin)
		for j := range row {
			row[j] = reportrender.SafeCell(row[j])
		}
		expected[i] = row
	}
	for _, a := range msg.Attachments {
		body := mp.Get(t, "/api/v1/message/"+msg.ID+"/part/"+a.PartID)
		bodies[a.FileName] = body
		switch {
		case strings.HasSuffix(a.FileName, manifest.Suffix):
			_, err := manifest.Parse(body)
			require.NoError(t, err, "the manifest arrives byte for byte")
		case strings.HasSuffix(a.FileName, ".csv"):
			assert.Equal(t, "daily_acme_2026-10-25.csv", a.FileName)
			// The CSV renderer writes every line break as LF (a lone CR would be dropped) and
			// also neutralises a trigger after a separator.
			csvExpected := make([][]string, len(expected))
			for i, row := range expected {
				csvExpected[i] = make([]string, len(row))
				for j, cell := range row {
					csvExpected[i][j] = reportrender.SafeCSVCell(cell)
				}
			}
			assert.Equal(t, csvExpected, parseCSV(t, body))
		case strings.HasSuffix(a.FileName, ".xlsx"):
			assertNoFormulaElements(t, body)
			f, err := excelize.OpenReader(bytes.NewReader(body))
			require.NoError(t, err)
			rows, err := f.GetRows(reportrender.SheetName)
			require.NoError(t, err)
			require.NoError(t, f.Close())
			require.NotEmpty(t, rows)
			assert.Equal(t, reportrender.Columns, rows[0])
			assert.Equal(t, expected, rows[1:])
		default:
			t.Fatalf("unexpected attachment %q", a.FileName)
		}
	}
	for _, name := range []string{"daily_acme_2026-10-25.csv", "daily_acme_2026-10-25.xlsx"} {
		m, err := manifest.Parse(bodies[name+manifest.Suffix])
		require.NoError(t, err)
		got, err := manifest.FileDigest(bytes.NewReader(bodies[name]))
		require.NoError(t, err)
		assert.Equal(t, m.File.SHA256, got.SHA256, "the manifest of %s matches the file as delivered", name)
	}
}

// TestMailpitOutageThenDelivered: Mailpit is down at send time; the run fails after its
// retries, and the next pass, with Mailpit back, delivers the report once.
func TestMailpitOutageThenDelivered(t *testing.T) {
	mp := testharness.StartMailpit(t)
	cfg := smtpConfig(mp)
	cfg.Directory = t.TempDir()
	cfg.RetryOnFailure.MaxElapsedTime = 20 * time.Millisecond
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	h := startHarness(t, cfg, clock, nil)
	h.consume(mkEvent("acme", "e1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))

	mp.Stop()
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	rec, err := h.exp.loadRun(runKey("daily", "acme", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	require.NotNil(t, rec)
	assert.Equal(t, stateRendered, rec.State)
	assert.Greater(t, rec.Attempts, 0)

	mp.Start()
	h.runAt(time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC))
	h.runAt(time.Date(2026, 1, 2, 2, 0, 0, 0, time.UTC))
	msgs := mailpitMessages(t, mp)
	require.Len(t, msgs, 1)
	assert.Equal(t, "daily.acme.20260101T000000Z@otelcol-audit", msgs[0].MessageID)
}

// TestMailpitDropsTheResendAfterALostLedgerWrite: the reporter sends twice (the "sent" write
// was lost), with one Message-ID; a mail system that deduplicates by Message-ID (Mailpit
// with --ignore-duplicate-ids here) stores it once.
func TestMailpitDropsTheResendAfterALostLedgerWrite(t *testing.T) {
	mp := testharness.StartMailpit(t, "--ignore-duplicate-ids")
	cfg := smtpConfig(mp)
	cfg.Directory = t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender, err := reportmail.NewSMTP(*cfg.SMTP.Get())
	require.NoError(t, err)
	counting := &countingSender{Sender: sender}
	h := startHarness(t, cfg, clock, nil)
	h.exp.sender = counting
	h.consume(mkEvent("acme", "e1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))
	store, lost := h.exp.putRun, false
	h.exp.putRun = func(key string, rec *runRecord) error {
		if rec.State == stateSent && !lost {
			lost = true
			return fmt.Errorf("crash before the ledger write")
		}
		return store(key, rec)
	}
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	h.stop()

	h = startHarness(t, cfg, clock, nil)
	h.exp.sender = counting
	h.runAt(time.Date(2026, 1, 2, 0, 5, 0, 0, time.UTC))
	h.runAt(time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC))
	assert.Equal(t, int32(2), counting.n.Load(), "sent, then resent once after the restart")
	msgs := mailpitMessages(t, mp)
	require.Len(t, msgs, 1)
}

// assertNoFormulaElements checks the sheet XML itself: no <f> element, whatever a reader
// would make of the cells.
func assertNoFormulaElements(t *testing.T, xlsx []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	require.NoError(t, err)
	sheets := 0
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "xl/worksheets/") {
			continue
		}
		sheets++
		rc, err := f.Open()
		require.NoError(t, err)
		xml, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		assert.NotContains(t, string(xml), "<f>", f.Name)
		assert.NotContains(t, string(xml), "<f ", f.Name)
	}
	assert.Positive(t, sheets)
}
