package auditreporterextension

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"

	"github.com/otelcol-audit/otelcol-audit/internal/exportjobs"
	"github.com/otelcol-audit/otelcol-audit/internal/manifest"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

// fleetSource is the spool with the hooks a fleet's source has: a settle delay, events
// that could not be stored, and a distributed ledger of deliveries.
type fleetSource struct {
	reportsource.Source
	settle time.Duration
	dead   int64

	mu sync.Mutex
	// delivered holds tenant + " " + target of the periods another reporter sent.
	delivered map[string]bool
	// sendsWhileAsked marks a period delivered once it has been asked about this many
	// times: another reporter sends it while this one renders.
	sendsWhileAsked map[string]int
	asked           []string
	since           []time.Time
}

func (f *fleetSource) SettleDelay() time.Duration { return f.settle }

func (f *fleetSource) DeadLettered(context.Context, string, time.Time, time.Time) (int64, error) {
	return f.dead, nil
}

func (f *fleetSource) Delivered(_ context.Context, tenant, target string, since time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := tenant + " " + target
	f.asked = append(f.asked, key)
	f.since = append(f.since, since)
	if n, ok := f.sendsWhileAsked[key]; ok {
		if n <= 1 {
			f.delivered[key] = true
		}
		f.sendsWhileAsked[key] = n - 1
	}
	return f.delivered[key], nil
}

func withFleetSource(h *harness, f *fleetSource) *fleetSource {
	f.Source = h.exp.source
	if f.delivered == nil {
		f.delivered = map[string]bool{}
	}
	h.exp.source = f
	return f
}

func utcDaily(t *testing.T) *Config {
	cfg := dailyConfig(t.TempDir())
	cfg.Reports[0].Timezone = "UTC"
	return cfg
}

// TestSettleDelayHoldsThePeriod: a period is rendered only once its end plus the source's
// settle delay has passed, with the events that arrived meanwhile.
func TestSettleDelayHoldsThePeriod(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	h := startHarness(t, utcDaily(t), clock, sender)
	withFleetSource(h, &fleetSource{settle: 10 * time.Minute})
	h.consume(mkEvent("acme", "e1", time.Date(2026, 1, 1, 13, 0, 0, 0, time.UTC)))

	end := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, end.Add(10*time.Minute), h.exp.nextDue(h.exp.reports[0], end.Add(-time.Hour)), "the scheduler wakes when the period settles")
	h.runAt(end.Add(5 * time.Minute))
	assert.Empty(t, sender.messages(), "not settled")
	h.consume(mkEvent("acme", "late", end.Add(-time.Second)))
	h.runAt(end.Add(10 * time.Minute))
	msgs := sender.messages()
	require.Len(t, msgs, 1)
	assert.Len(t, parseCSV(t, onlyFile(t, msgs[0])), 2, "the late event is in")
}

// TestDeadLetteredEventsAreStated: the events the source could not store are counted in the
// ledger and stated in the message, which is the same when resent.
func TestDeadLetteredEventsAreStated(t *testing.T) {
	const missing = "events of this period could not be stored and are missing"
	for _, dead := range []int64{0, 3} {
		clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
		sender := &fakeSender{}
		h := startHarness(t, utcDaily(t), clock, sender)
		withFleetSource(h, &fleetSource{dead: dead})
		h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
		msgs := sender.messages()
		require.Len(t, msgs, 1)
		rec, err := h.exp.loadRun(runKey("daily", "acme", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
		require.NoError(t, err)
		assert.Equal(t, dead, rec.Summary.DeadLettered)
		assert.Contains(t, msgs[0].Text, "Missing events (could not be stored): "+map[int64]string{0: "0", 3: "3"}[dead])
		if dead == 0 {
			assert.NotContains(t, msgs[0].Text, missing)
			continue
		}
		assert.Contains(t, msgs[0].Text, "3 "+missing)
		assert.Contains(t, msgs[0].HTML, "3 "+missing)
	}
}

// TestPeriodDeliveredElsewhereIsNotSent: the source's distributed ledger says another
// reporter sent the period; it is recorded as sent here, not asked about again, and the next
// period's manifest starts a new chain.
func TestPeriodDeliveredElsewhereIsNotSent(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	cfg := utcDaily(t)
	cfg.Signing = SigningConfig{Keys: map[string]configopaque.String{"k1": testSeed(1)}, CurrentKey: "k1"}
	h := startHarness(t, cfg, clock, sender)
	src := withFleetSource(h, &fleetSource{})
	src.delivered["acme daily/2026-01-01T00:00:00Z"] = true

	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	assert.Empty(t, sender.messages())
	assert.Equal(t, []string{"acme daily/2026-01-01T00:00:00Z"}, src.asked)
	assert.Equal(t, []time.Time{time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, src.since, "delivered since the period's end")
	rec, err := h.exp.loadRun(runKey("daily", "acme", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	assert.Equal(t, stateSent, rec.State)
	assert.True(t, rec.DeliveredElsewhere)

	h.runAt(time.Date(2026, 1, 2, 1, 0, 0, 0, time.UTC))
	assert.Len(t, src.asked, 1, "the local ledger caches the answer")

	h.runAt(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC))
	msgs := sender.messages()
	require.Len(t, msgs, 1)
	for name, b := range msgs[0].Manifests {
		m, err := manifest.Parse(b)
		require.NoError(t, err)
		assert.True(t, m.ChainStart, "%s links to no manifest this reporter never delivered", name)
	}
}

// TestPeriodDeliveredWhileRendering: another reporter sends the period after this one asked
// and before it sends; the question right before sending catches it.
func TestPeriodDeliveredWhileRendering(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	sender := &fakeSender{}
	h := startHarness(t, utcDaily(t), clock, sender)
	target := "acme daily/2026-01-01T00:00:00Z"
	src := withFleetSource(h, &fleetSource{sendsWhileAsked: map[string]int{target: 2}})
	h.runAt(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC))
	assert.Empty(t, sender.messages())
	assert.Equal(t, []string{target, target}, src.asked, "asked before rendering and before sending")
	rec, err := h.exp.loadRun(runKey("daily", "acme", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, err)
	assert.Equal(t, stateSent, rec.State)
	assert.Zero(t, rec.Attempts)
}

// TestLedgerTakenOverFromTheSpool: the audit_report exporter kept the ledger in the spool;
// on the first start the extension copies it into its own file, so that a period already
// sent is not sent again.
func TestLedgerTakenOverFromTheSpool(t *testing.T) {
	cfg := utcDaily(t)
	sp, err := spool.Open(filepath.Join(cfg.Directory, spoolFile), spool.Options{})
	require.NoError(t, err)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec, err := json.Marshal(runRecord{State: stateSent, ID: "0123456789abcdef0123456789abcdef", Report: "daily", Tenant: "acme",
		From: from, To: from.Add(24 * time.Hour), SentAt: from.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.NoError(t, sp.Put(nsFirstSeen, "daily", []byte(from.Add(time.Hour).Format(time.RFC3339Nano))))
	require.NoError(t, sp.Put(nsRuns, runKey("daily", "acme", from), rec))
	require.NoError(t, sp.Close())

	sender := &fakeSender{}
	h := startHarness(t, cfg, &fakeClock{t: from.Add(36 * time.Hour)}, sender)
	h.runAt(from.Add(48 * time.Hour))
	msgs := sender.messages()
	require.Len(t, msgs, 1, "Jan 1 was sent before the upgrade; Jan 2 is sent now")
	assert.Equal(t, "daily.acme.20260102T000000Z@otelcol-audit", msgs[0].MessageID)
	h.stop()

	// Taken over once: the ledger now holds more than the spool, and is kept.
	h = startHarness(t, cfg, &fakeClock{t: from.Add(49 * time.Hour)}, sender)
	got, err := h.exp.loadRun(runKey("daily", "acme", from.Add(24*time.Hour)))
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, stateSent, got.State)
}

func TestSpoolProvider(t *testing.T) {
	e, err := newReporter(dailyConfig(t.TempDir()), nopSettings())
	require.NoError(t, err)
	_, err = e.Spool()
	assert.ErrorIs(t, err, errNotStarted)

	h := startHarness(t, utcDaily(t), &fakeClock{t: time.Now()}, &fakeSender{})
	sp, err := h.exp.Spool()
	require.NoError(t, err)
	assert.Same(t, h.exp.spool, sp)

	// A reporter that reads Loki has no spool to offer: an audit_report exporter that names
	// it refuses to start.
	cfg := dailyConfig(t.TempDir())
	cfg.Source.Loki = configoptional.Some(reportsource.NewDefaultLokiConfig())
	cfg.Source.Loki.Get().ClientConfig.Endpoint = "http://127.0.0.1:1"
	loki := startHarness(t, cfg, &fakeClock{t: time.Now()}, &fakeSender{})
	_, err = loki.exp.Spool()
	assert.ErrorIs(t, err, reportsource.ErrNotSpool)
	_, ok := loki.exp.source.(reportsource.Deliveries)
	assert.True(t, ok, "Loki keeps the distributed ledger")
}

// TestDependencies: the extensions used from Start are started first.
func TestDependencies(t *testing.T) {
	cfg := dailyConfig(t.TempDir())
	e, err := newReporter(cfg, nopSettings())
	require.NoError(t, err)
	assert.Empty(t, e.Dependencies())

	events := component.MustNewID("audit_events")
	linksAuth := component.MustNewID("bearertokenauth")
	apiAuth := component.MustNewID("audit_auth")
	cfg.AuditEvents = &events
	srv := confighttp.NewDefaultServerConfig()
	srv.Auth = configoptional.Some(confighttp.AuthConfig{Config: configauth.Config{AuthenticatorID: linksAuth}})
	cfg.Links.Server = configoptional.Some(srv)
	cfg.Exports = configoptional.Some(exportjobs.Config{Auth: exportjobs.AuthConfig{Authenticator: &apiAuth}})
	e, err = newReporter(cfg, nopSettings())
	require.NoError(t, err)
	assert.Equal(t, []component.ID{events, linksAuth, apiAuth}, e.Dependencies())
}

// TestLostVolumeCatchesUpFromTheSourceLedger: a reporter whose directory is empty finds the
// report's history in the source's ledger and delivers the newest periods not yet delivered,
// while a report with no history starts from now.
func TestLostVolumeCatchesUpFromTheSourceLedger(t *testing.T) {
	for _, history := range []bool{true, false} {
		clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
		sender := &fakeSender{}
		h := startHarness(t, utcDaily(t), clock, sender)
		src := withFleetSource(h, &fleetSource{})
		require.NoError(t, h.exp.ledger.Delete(nsFirstSeen, "daily")) // as on a fresh volume
		if history {
			src.delivered["acme daily/2026-01-01T00:00:00Z"] = true
		}

		h.runAt(time.Date(2026, 1, 4, 0, 30, 0, 0, time.UTC))
		if !history {
			assert.Empty(t, sender.messages(), "a new report starts now")
			h.runAt(time.Date(2026, 1, 5, 0, 30, 0, 0, time.UTC))
			require.Len(t, sender.messages(), 1, "its first period after now")
			continue
		}
		msgs := sender.messages()
		require.Len(t, msgs, 2, "Jan 2 and Jan 3; Jan 1 was delivered before the volume was lost")
		rec, err := h.exp.loadRun(runKey("daily", "acme", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
		require.NoError(t, err)
		assert.True(t, rec.DeliveredElsewhere)
	}
}
