package auditreporterextension

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
)

func TestMain(m *testing.M) {
	// Tests read HTTP APIs with http.Get; idle keep-alive connections of the default client
	// are not the reporter's.
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// TestDailyReportAcrossDSTHoldsTheWholeLocalDay: the Dublin spring-forward day is 23 hours
// long; its report holds exactly that day's events of the tenant, in time order, once each.
func TestDailyReportAcrossDSTHoldsTheWholeLocalDay(t *testing.T) {
	dublin := mustZone(t, "Europe/Dublin")
	clock := &fakeClock{t: day(dublin, 2026, 3, 28, 12)}
	sender := &fakeSender{}
	h := startHarness(t, dailyConfig(t.TempDir()), clock, sender)

	dayStart, dayEnd := day(dublin, 2026, 3, 29, 0), day(dublin, 2026, 3, 30, 0)
	require.Equal(t, 23*time.Hour, dayEnd.Sub(dayStart))
	in := []testEvent{
		mkEvent("acme", "first", dayStart),
		mkEvent("acme", "after-gap", dayStart.Add(90*time.Minute)), // 02:30 IST, after the jump
		mkEvent("acme", "last", dayEnd.Add(-time.Second)),
	}
	in[1].outcome, in[1].summary = "failure", "Login failed"
	h.consume(in...)
	h.consume(in[0]) // at-least-once re-delivery
	h.consume(
		mkEvent("acme", "before", dayStart.Add(-time.Second)),
		mkEvent("acme", "next-day", dayEnd),
		mkEvent("other", "other-tenant", dayStart.Add(time.Hour)),
	)

	h.runAt(dayEnd.Add(time.Minute))
	msgs := sender.messages()
	require.Len(t, msgs, 2, "the 28th (first period after install) and the 29th")
	m := msgs[1]
	assert.Equal(t, "daily.acme.20260329T000000Z@otelcol-audit", m.MessageID)
	assert.Equal(t, []string{"admin@acme.example"}, m.To)
	assert.Contains(t, m.Subject, "2026-03-29 00:00")
	rows := parseCSV(t, onlyFile(t, m))
	require.Len(t, rows, 3)
	for i, ev := range in {
		assert.Equal(t, expectedRow(ev, dublin), rows[i])
	}
	assert.True(t, strings.HasSuffix(rows[2][0], "+01:00"), "dates carry the zone's offset: %s", rows[2][0])
	assert.Contains(t, m.Text, "3")
	before := parseCSV(t, onlyFile(t, msgs[0]))
	require.Len(t, before, 1)
	assert.Equal(t, "before", before[0][8])

	// Another pass in the same period sends nothing.
	h.runAt(dayEnd.Add(2 * time.Hour))
	assert.Len(t, sender.messages(), 2)
}

func TestTenantReportHoldsOnlyItsEvents(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].Timezone = "UTC"
	cfg.Reports[0].Tenants = []string{"acme", "globex"}
	h := startHarness(t, cfg, clock, sender)
	at := time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)
	h.consume(mkEvent("acme", "a1", at), mkEvent("globex", "g1", at), mkEvent("globex", "g2", at.Add(time.Minute)), mkEvent("initech", "i1", at))

	h.runAt(time.Date(2026, 1, 2, 0, 0, 1, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 2)
	byTenant := map[string][][]string{}
	for _, m := range msgs {
		rows := parseCSV(t, onlyFile(t, m))
		tenant := strings.Split(m.MessageID, ".")[1]
		byTenant[tenant] = rows
		for _, r := range rows {
			assert.Equal(t, tenant, r[9])
		}
	}
	assert.Len(t, byTenant["acme"], 1)
	assert.Len(t, byTenant["globex"], 2)
}

func TestFiltersNarrowTheReport(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].Timezone = ""
	cfg.Reports[0].Filters = FilterConfig{Categories: []string{"Authentication"}, Outcome: "failure"}
	h := startHarness(t, cfg, clock, sender)
	at := time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)
	ok, failed, other := mkEvent("acme", "ok", at), mkEvent("acme", "failed", at), mkEvent("acme", "admin", at)
	failed.outcome = "failure"
	other.outcome, other.category = "failure", "Administration"
	h.consume(ok, failed, other)
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 1)
	rows := parseCSV(t, onlyFile(t, msgs[0]))
	require.Len(t, rows, 1)
	assert.Equal(t, "failed", rows[0][8])
}

// TestRestartMidPeriod: events spooled before a restart are in the report of their period.
func TestRestartMidPeriod(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := dailyConfig(dir)
	cfg.Reports[0].Timezone = "UTC"
	h := startHarness(t, cfg, clock, sender)
	h.consume(mkEvent("acme", "before-restart", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))
	h.stop()

	clock.Set(time.Date(2026, 1, 1, 18, 0, 0, 0, time.UTC))
	h = startHarness(t, cfg, clock, sender)
	h.consume(mkEvent("acme", "after-restart", time.Date(2026, 1, 1, 19, 0, 0, 0, time.UTC)))
	h.runAt(time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC))
	assert.Empty(t, sender.messages(), "the period is not over")
	h.runAt(time.Date(2026, 1, 2, 0, 5, 0, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 1)
	rows := parseCSV(t, onlyFile(t, msgs[0]))
	require.Len(t, rows, 2)
	assert.Equal(t, "before-restart", rows[0][8])
	assert.Equal(t, "after-restart", rows[1][8])
}

// TestRestartAfterSendBeforeLedgerWrite: the message went out but the "sent" ledger write
// was lost (crash). After the restart the message is sent again with the same Message-ID
// and the same content, then never again: the at-least-once-with-dedupe boundary.
func TestRestartAfterSendBeforeLedgerWrite(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := dailyConfig(dir)
	cfg.Reports[0].Timezone = "UTC"
	h := startHarness(t, cfg, clock, sender)
	h.consume(mkEvent("acme", "e1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))
	failed := false
	store := h.exp.putRun
	h.exp.putRun = func(key string, rec *runRecord) error {
		if rec.State == stateSent && !failed {
			failed = true
			return errors.New("disk gone")
		}
		return store(key, rec)
	}
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	require.True(t, failed)
	require.Len(t, sender.messages(), 1)
	h.stop()

	// Late events for the period do not change the resent message: it was rendered already.
	h = startHarness(t, cfg, clock, sender)
	h.consume(mkEvent("acme", "late", time.Date(2026, 1, 1, 14, 0, 0, 0, time.UTC)))
	h.runAt(time.Date(2026, 1, 2, 0, 10, 0, 0, time.UTC))
	h.runAt(time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 2)
	assert.Equal(t, msgs[0].MessageID, msgs[1].MessageID)
	assert.Equal(t, msgs[0].Subject, msgs[1].Subject)
	assert.Equal(t, msgs[0].Files, msgs[1].Files)
}

// TestDowntimeAcrossTwoPeriods: both missed periods are delivered on start, oldest first,
// once each; max_catch_up bounds how far back.
func TestDowntimeAcrossTwoPeriods(t *testing.T) {
	for _, tc := range []struct {
		maxCatchUp int
		want       []string
	}{
		{0, []string{"daily.acme.20260102T000000Z@otelcol-audit", "daily.acme.20260103T000000Z@otelcol-audit"}},
		{1, []string{"daily.acme.20260103T000000Z@otelcol-audit"}},
	} {
		dir := t.TempDir()
		clock := &fakeClock{t: time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)}
		sender := &fakeSender{}
		cfg := dailyConfig(dir)
		cfg.Reports[0].Timezone = "UTC"
		cfg.MaxCatchUp = tc.maxCatchUp
		h := startHarness(t, cfg, clock, sender)
		h.consume(mkEvent("acme", "d2", time.Date(2026, 1, 2, 13, 0, 0, 0, time.UTC)), mkEvent("acme", "d3", time.Date(2026, 1, 3, 13, 0, 0, 0, time.UTC)))
		h.stop()

		// Down from Jan 2 13:00 until Jan 4 09:00: the Jan 3 and Jan 4 fires were missed.
		h = startHarness(t, cfg, clock, sender)
		h.runAt(time.Date(2026, 1, 4, 9, 0, 0, 0, time.UTC))
		h.runAt(time.Date(2026, 1, 4, 10, 0, 0, 0, time.UTC))
		var ids []string
		for _, m := range sender.messages() {
			ids = append(ids, m.MessageID)
		}
		assert.Equal(t, tc.want, ids, "max_catch_up %d", tc.maxCatchUp)
		for _, m := range sender.messages() {
			assert.Len(t, parseCSV(t, onlyFile(t, m)), 1)
		}
		h.stop()
	}
}

func TestRetryableFailuresAreRetriedWithBackoff(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{failures: []sendResult{{true, errors.New("421 try later")}, {true, errors.New("connection refused")}}}
	cfg := dailyConfig(t.TempDir())
	h := startHarness(t, cfg, clock, sender)
	var waits []time.Duration
	h.exp.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	assert.Len(t, sender.messages(), 1)
	assert.Len(t, waits, 2)
}

func TestPermanentFailureIsRetriedOnTheNextPass(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{failures: []sendResult{{false, errors.New("550 mailbox unavailable")}}}
	h := startHarness(t, dailyConfig(t.TempDir()), clock, sender)
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	assert.Empty(t, sender.messages())
	rec, err := h.exp.loadRun(runKey("daily", "acme", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	require.NotNil(t, rec)
	assert.Equal(t, stateRendered, rec.State)
	assert.Contains(t, rec.LastError, "550")
	h.runAt(time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC))
	assert.Len(t, sender.messages(), 1)
}

func TestFileRetentionRemovesIndexThenFiles(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].FileRetention = 8 * 24 * time.Hour
	h := startHarness(t, cfg, clock, sender)
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	entries, err := os.ReadDir(filepath.Join(cfg.Directory, filesDir))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	id := entries[0].Name()

	h.exp.cleanup(context.Background(), time.Date(2026, 1, 9, 0, 0, 0, 0, time.UTC))
	_, err = os.Stat(filepath.Join(cfg.Directory, filesDir, id))
	assert.NoError(t, err, "kept within retention")
	h.exp.cleanup(context.Background(), time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC))
	_, err = os.Stat(filepath.Join(cfg.Directory, filesDir, id))
	assert.True(t, os.IsNotExist(err), "removed after retention")
	v, err := h.exp.ledger.Get(nsFiles, id)
	require.NoError(t, err)
	assert.Nil(t, v)
}

func TestMessageIDIsAnAtomWhateverTheTenant(t *testing.T) {
	id := messageID("weekly", "a.b(c)*'!", time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC))
	assert.Equal(t, "weekly.a=2Eb=28c=29=2A=27=21.20260105T080000Z@otelcol-audit", id)
}

func TestShutdownWithoutStartAndTwice(t *testing.T) {
	e, err := newReporter(dailyConfig(t.TempDir()), nopSettings())
	require.NoError(t, err)
	assert.NoError(t, e.Shutdown(context.Background()))
	assert.NoError(t, e.Shutdown(context.Background()))
}

// TestCompressedFormats: each format is compressed on its own, under a name that says so,
// and decompresses to the rendered report.
func TestCompressedFormats(t *testing.T) {
	for _, tc := range []struct{ compression, csvName, xlsxName string }{
		{"gzip", "daily_acme_2026-01-01.csv.gz", "daily_acme_2026-01-01.xlsx.gz"},
		{"zip", "daily_acme_2026-01-01.csv.zip", "daily_acme_2026-01-01.xlsx.zip"},
	} {
		t.Run(tc.compression, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
			sender := &fakeSender{}
			cfg := dailyConfig(t.TempDir())
			cfg.Reports[0].Formats = []string{"csv", "xlsx"}
			cfg.Reports[0].Compression = tc.compression
			h := startHarness(t, cfg, clock, sender)
			h.consume(mkEvent("acme", "e1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))
			h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
			msgs := sender.messages()
			require.Len(t, msgs, 1)
			require.Len(t, msgs[0].Files, 2)
			require.Contains(t, msgs[0].Files, tc.csvName)
			require.Contains(t, msgs[0].Files, tc.xlsxName)
			csvBytes := decompress(t, tc.compression, msgs[0].Files[tc.csvName])
			rows := parseCSV(t, csvBytes)
			require.Len(t, rows, 1)
			assert.Equal(t, "e1", rows[0][8])
			assert.Equal(t, "PK", string(decompress(t, tc.compression, msgs[0].Files[tc.xlsxName])[:2]), "an XLSX (zip) inside")
			for _, a := range msgs[0].Attachments {
				if strings.HasSuffix(a.Name, manifest.Suffix) {
					assert.Equal(t, "application/json", a.ContentType)
					continue
				}
				assert.Equal(t, "application/"+tc.compression, a.ContentType)
			}
			assert.Len(t, msgs[0].Manifests, 2, "a manifest beside each file")
		})
	}
}

func decompress(t *testing.T, kind string, b []byte) []byte {
	t.Helper()
	switch kind {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		out, err := io.ReadAll(zr)
		require.NoError(t, err)
		return out
	default:
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		require.NoError(t, err)
		require.Len(t, zr.File, 1)
		rc, err := zr.File[0].Open()
		require.NoError(t, err)
		defer rc.Close()
		out, err := io.ReadAll(rc)
		require.NoError(t, err)
		return out
	}
}
