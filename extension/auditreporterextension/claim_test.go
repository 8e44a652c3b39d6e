package auditreporterextension

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// claimBoard is what Loki is to a fleet of reporters: it receives their audit events, as
// their audit_events pipelines push them, and answers Delivered and Claims from them.
type claimBoard struct {
	mu sync.Mutex
	// claims by tenant + " " + target.
	claims    map[string][]reportsource.Claim
	delivered map[string]bool
	// hidden keeps emitted claims from showing: a pipeline slower than claim_wait.
	hidden bool
	// asked holds the since of every Claims call.
	asked []time.Time
}

func newClaimBoard() *claimBoard {
	return &claimBoard{claims: map[string][]reportsource.Claim{}, delivered: map[string]bool{}}
}

func (b *claimBoard) Emit(_ context.Context, ld plog.Logs) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		lr := ld.ResourceLogs().At(i).ScopeLogs().At(0).LogRecords().At(0)
		attr := func(k string) string {
			v, _ := lr.Attributes().Get(k)
			return v.Str()
		}
		key := attr(audit.AttrTenant) + " " + attr(audit.AttrTarget)
		switch attr(audit.AttrSummary) {
		case selfaudit.SummaryReportClaimed:
			instance, ok := selfaudit.ClaimInstance(attr(audit.AttrAuthor))
			if ok && !b.hidden {
				b.claims[key] = append(b.claims[key], reportsource.Claim{Instance: instance, At: lr.Timestamp().AsTime()})
			}
		case "Report delivered":
			if attr(audit.AttrOutcome) == audit.OutcomeSuccess {
				b.delivered[key] = true
			}
		}
	}
	return nil
}

func (b *claimBoard) Delivered(_ context.Context, tenant, target string, _ time.Time) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.delivered[tenant+" "+target], nil
}

func (b *claimBoard) Claims(_ context.Context, tenant, target string, since time.Time) ([]reportsource.Claim, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked = append(b.asked, since)
	var out []reportsource.Claim
	for _, c := range b.claims[tenant+" "+target] {
		if !c.At.Before(since) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(x, y reportsource.Claim) int { return x.At.Compare(y.At) })
	return out, nil
}

func (b *claimBoard) add(tenant, target, instance string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.claims[tenant+" "+target] = append(b.claims[tenant+" "+target], reportsource.Claim{Instance: instance, At: at})
}

// claimsBy returns the instances that claimed, in claim order.
func (b *claimBoard) claimsBy(tenant, target string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, c := range b.claims[tenant+" "+target] {
		out = append(out, c.Instance)
	}
	return out
}

// claimSource is the harness's spool with the board as its distributed ledger.
type claimSource struct {
	reportsource.Source
	*claimBoard
}

// claimHarness is a reporter whose source keeps claims, whose audit events go to the board,
// whose claim waits move the fake clock (then run then, if set) and whose log is observed.
type claimHarness struct {
	*harness
	board *claimBoard
	logs  *observer.ObservedLogs

	mu     sync.Mutex
	sleeps []time.Duration
	// then runs during the next wait, after the clock moved: another reporter's pass.
	then func()
}

func withClaims(h *harness, board *claimBoard) *claimHarness {
	ch := &claimHarness{harness: h, board: board}
	h.exp.source = claimSource{Source: h.exp.source, claimBoard: board}
	h.exp.emitter = board
	core, logs := observer.New(zapcore.InfoLevel)
	h.exp.logger, ch.logs = zap.New(core), logs
	h.exp.sleep = func(_ context.Context, d time.Duration) error {
		ch.mu.Lock()
		ch.sleeps = append(ch.sleeps, d)
		then := ch.then
		ch.then = nil
		ch.mu.Unlock()
		h.clock.Set(h.clock.Now().Add(d))
		if then != nil {
			then()
		}
		return nil
	}
	return ch
}

func (ch *claimHarness) waits() []time.Duration {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	return slices.Clone(ch.sleeps)
}

func (ch *claimHarness) logged(msg string) int {
	return ch.logs.FilterMessageSnippet(msg).Len()
}

const jan1 = "daily/2026-01-01T00:00:00Z"

var (
	jan1Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jan2      = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
)

func startClaimHarness(t *testing.T, clock *fakeClock, board *claimBoard) (*claimHarness, *fakeSender) {
	t.Helper()
	sender := &fakeSender{}
	return withClaims(startHarness(t, utcDaily(t), clock, sender), board), sender
}

// TestClaimWinnerSends: a reporter alone claims the period, waits claim_wait, finds its own
// claim the earliest of the last claim_ttl and sends.
func TestClaimWinnerSends(t *testing.T) {
	clock := &fakeClock{t: jan1Start.Add(12 * time.Hour)}
	board := newClaimBoard()
	h, sender := startClaimHarness(t, clock, board)
	h.runAt(jan2)

	require.Len(t, sender.messages(), 1)
	require.Equal(t, []string{h.exp.instanceID}, board.claimsBy("acme", jan1))
	claim := board.claims["acme "+jan1][0]
	assert.Equal(t, jan2, claim.At, "claimed before the wait")
	assert.Equal(t, []time.Duration{DefaultClaimWait}, h.waits())
	assert.Equal(t, []time.Time{jan2.Add(DefaultClaimWait - DefaultClaimTTL)}, board.asked, "claims of the last claim_ttl, read after the wait")
	assert.True(t, board.delivered["acme "+jan1])

	// The local ledger holds the period as sent: no new claim.
	h.runAt(jan2.Add(time.Hour))
	assert.Len(t, board.claimsBy("acme", jan1), 1)
	assert.Len(t, sender.messages(), 1)
}

// TestTwoReportersWakingTogether: two reporters with the same schedule wake for the same
// period; the second claims while the first waits. Only the earliest claim sends; on a tie
// the smaller instance id does. The loser's next pass finds the delivery.
func TestTwoReportersWakingTogether(t *testing.T) {
	for _, c := range []struct {
		name    string
		offset  time.Duration // how much later the second reporter claims
		idA     string
		idB     string
		winnerA bool
	}{
		{name: "first claim wins", offset: time.Second, idA: strings.Repeat("b", 32), idB: strings.Repeat("a", 32), winnerA: true},
		{name: "tie: smaller id wins", offset: 0, idA: strings.Repeat("b", 32), idB: strings.Repeat("a", 32), winnerA: false},
		{name: "tie: smaller id wins, other order", offset: 0, idA: strings.Repeat("a", 32), idB: strings.Repeat("b", 32), winnerA: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{t: jan1Start.Add(12 * time.Hour)}
			board := newClaimBoard()
			a, sentA := startClaimHarness(t, clock, board)
			b, sentB := startClaimHarness(t, clock, board)
			a.exp.instanceID, b.exp.instanceID = c.idA, c.idB
			a.then = func() {
				// B wakes while A waits, and claims at jan2 + offset.
				clock.Set(jan2.Add(c.offset))
				b.exp.runDue(context.Background(), jan2.Add(c.offset))
			}
			a.runAt(jan2)
			winner, loser := sentA, sentB
			if !c.winnerA {
				winner, loser = sentB, sentA
			}
			assert.Len(t, winner.messages(), 1, "the winner sends")
			assert.Empty(t, loser.messages(), "the loser does not")
			assert.ElementsMatch(t, []string{c.idA, c.idB}, board.claimsBy("acme", jan1))
			losing := b
			if !c.winnerA {
				losing = a
			}
			assert.Equal(t, 1, losing.logged("claimed by another reporter"))
			rec, err := losing.exp.loadRun(runKey("daily", "acme", jan1Start))
			require.NoError(t, err)
			assert.Nil(t, rec, "the loser records nothing")

			// The loser's next pass finds the delivery and does not claim again.
			losing.runAt(jan2.Add(time.Hour))
			assert.Empty(t, loser.messages())
			assert.Len(t, board.claimsBy("acme", jan1), 2)
			rec, err = losing.exp.loadRun(runKey("daily", "acme", jan1Start))
			require.NoError(t, err)
			require.NotNil(t, rec)
			assert.True(t, rec.DeliveredElsewhere)
		})
	}
}

// TestPassWaitsOnceForAllTenants: a pass over many tenants claims every due period first and
// waits claim_wait once. A second reporter sharing the ledger wakes during that wait, claims
// later and loses every period; the first sends them all.
func TestPassWaitsOnceForAllTenants(t *testing.T) {
	var tenants []string
	for i := range 20 {
		tenants = append(tenants, fmt.Sprintf("tenant%02d", i))
	}
	clock := &fakeClock{t: jan1Start.Add(12 * time.Hour)}
	board := newClaimBoard()
	start := func() (*claimHarness, *fakeSender) {
		cfg := utcDaily(t)
		cfg.Reports[0].Tenants = tenants
		sender := &fakeSender{}
		return withClaims(startHarness(t, cfg, clock, sender), board), sender
	}
	a, sentA := start()
	b, sentB := start()
	a.then = func() {
		clock.Set(jan2.Add(time.Second))
		b.exp.runDue(context.Background(), jan2.Add(time.Second))
	}
	a.runAt(jan2)

	assert.Equal(t, []time.Duration{DefaultClaimWait}, a.waits(), "one wait for the whole pass")
	assert.Equal(t, []time.Duration{DefaultClaimWait}, b.waits())
	assert.Len(t, sentA.messages(), len(tenants))
	assert.Empty(t, sentB.messages())
	assert.Equal(t, len(tenants), b.logged("claimed by another reporter"))
	for _, tenant := range tenants {
		assert.Equal(t, []string{a.exp.instanceID, b.exp.instanceID}, board.claimsBy(tenant, jan1), tenant)
		assert.True(t, board.delivered[tenant+" "+jan1], tenant)
		rec, err := b.exp.loadRun(runKey("daily", tenant, jan1Start))
		require.NoError(t, err)
		assert.Nil(t, rec, "the loser records nothing")
	}
}

// agingBoard is a claim board whose every Claims read is followed by a render and send that
// take step on the fake clock.
type agingBoard struct {
	reportsource.Source
	*claimBoard
	clock *fakeClock
	step  time.Duration
}

func (b agingBoard) Claims(ctx context.Context, tenant, target string, since time.Time) ([]reportsource.Claim, error) {
	out, err := b.claimBoard.Claims(ctx, tenant, target, since)
	b.clock.Set(b.clock.Now().Add(b.step))
	return out, err
}

// TestAgedClaimsAreClaimedAgain: when the renders and sends of a pass use half the time
// claim_ttl leaves after claim_wait, the periods not reached yet are claimed again, with one
// more wait, rather than sent on a claim that may expire first.
func TestAgedClaimsAreClaimedAgain(t *testing.T) {
	tenants := []string{"t0", "t1", "t2", "t3"}
	clock := &fakeClock{t: jan1Start.Add(12 * time.Hour)}
	board := newClaimBoard()
	cfg := utcDaily(t)
	cfg.Reports[0].Tenants = tenants
	sender := &fakeSender{}
	h := withClaims(startHarness(t, cfg, clock, sender), board)
	base := h.exp.source.(claimSource).Source
	// Half the margin is 7m25s: two periods fit in a round.
	h.exp.source = agingBoard{Source: base, claimBoard: board, clock: clock, step: 5 * time.Minute}
	h.runAt(jan2)

	assert.Len(t, sender.messages(), len(tenants))
	assert.Equal(t, []time.Duration{DefaultClaimWait, DefaultClaimWait}, h.waits())
	id := h.exp.instanceID
	assert.Equal(t, []string{id}, board.claimsBy("t1", jan1))
	assert.Equal(t, []string{id, id}, board.claimsBy("t2", jan1), "claimed again")
	assert.Equal(t, []string{id, id}, board.claimsBy("t3", jan1))
}

// TestOwnClaimInvisibleSkips: when the reporter's own claim has not reached the source after
// claim_wait, it does not send and says claim_wait may be too short; a later pass claims
// again.
func TestOwnClaimInvisibleSkips(t *testing.T) {
	clock := &fakeClock{t: jan1Start.Add(12 * time.Hour)}
	board := newClaimBoard()
	board.hidden = true
	h, sender := startClaimHarness(t, clock, board)
	h.runAt(jan2)
	assert.Empty(t, sender.messages())
	assert.Equal(t, 1, h.logs.FilterLevelExact(zapcore.WarnLevel).FilterMessageSnippet("raise claim_wait").Len())
	rec, err := h.exp.loadRun(runKey("daily", "acme", jan1Start))
	require.NoError(t, err)
	assert.Nil(t, rec)

	board.hidden = false
	h.runAt(jan2.Add(time.Hour))
	assert.Len(t, sender.messages(), 1)
}

// TestClaimOfADeadReporterExpires: a reporter that claimed the period and died holds it for
// claim_ttl; after that a new claim wins.
func TestClaimOfADeadReporterExpires(t *testing.T) {
	clock := &fakeClock{t: jan1Start.Add(12 * time.Hour)}
	board := newClaimBoard()
	h, sender := startClaimHarness(t, clock, board)
	dead := strings.Repeat("0", 32) // smaller than any id: it would win a tie
	board.add("acme", jan1, dead, jan2.Add(-time.Minute))

	h.runAt(jan2)
	assert.Empty(t, sender.messages(), "a live claim of another reporter holds the period")
	assert.Equal(t, 1, h.logged("claimed by another reporter"))

	h.runAt(jan2.Add(DefaultClaimTTL))
	assert.Len(t, sender.messages(), 1, "the dead reporter's claim expired")
	assert.Equal(t, []string{dead, h.exp.instanceID, h.exp.instanceID}, board.claimsBy("acme", jan1))
}

// TestLostClaimHoldsTheTenantsLaterPeriods: catching up, a period held by another reporter
// holds the tenant's later periods on this pass, so that the two reporters do not interleave
// them; other tenants go on.
func TestLostClaimHoldsTheTenantsLaterPeriods(t *testing.T) {
	clock := &fakeClock{t: jan1Start.Add(-12 * time.Hour)}
	board := newClaimBoard()
	sender := &fakeSender{}
	cfg := utcDaily(t)
	cfg.Reports[0].Tenants = []string{"acme", "globex"}
	h := withClaims(startHarness(t, cfg, clock, sender), board)
	board.add("acme", "daily/2025-12-31T00:00:00Z", strings.Repeat("0", 32), jan2.Add(-time.Minute))

	h.runAt(jan2)
	msgs := sender.messages()
	require.Len(t, msgs, 2, "globex's two periods")
	for _, m := range msgs {
		assert.Contains(t, m.MessageID, ".globex.")
	}
	assert.Empty(t, board.claimsBy("acme", jan1), "acme's next period is not claimed")
}

// TestSpoolSourceDoesNotClaim: the spool is one process's: no claim, no wait.
func TestSpoolSourceDoesNotClaim(t *testing.T) {
	clock := &fakeClock{t: jan1Start.Add(12 * time.Hour)}
	board := newClaimBoard()
	sender := &fakeSender{}
	h := startHarness(t, utcDaily(t), clock, sender)
	var waits []time.Duration
	h.exp.sleep = func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	h.exp.emitter = board
	h.runAt(jan2)
	assert.Len(t, sender.messages(), 1)
	assert.Empty(t, board.claims)
	assert.Empty(t, waits)
	assert.True(t, board.delivered["acme "+jan1], "deliveries are still audited")

	// A source that keeps claims but no audit_events to publish them: nothing to claim.
	board2 := newClaimBoard()
	clock.Set(jan1Start.Add(12 * time.Hour))
	h2 := startHarness(t, utcDaily(t), clock, sender)
	h2.exp.source = claimSource{Source: h2.exp.source, claimBoard: board2}
	h2.exp.sleep = h.exp.sleep
	h2.runAt(jan2)
	assert.Len(t, sender.messages(), 2)
	assert.Empty(t, waits)
	assert.Empty(t, board2.asked)
}

// TestRestartedReporterKeepsItsInstanceID: the instance id survives a restart, so that a
// reporter that claimed a period and crashed wins it back with its earlier claim; a lost
// directory gives a new id.
func TestRestartedReporterKeepsItsInstanceID(t *testing.T) {
	clock := &fakeClock{t: jan1Start.Add(12 * time.Hour)}
	cfg := utcDaily(t)
	h := startHarness(t, cfg, clock, &fakeSender{})
	id := h.exp.instanceID
	require.True(t, reportengine.IsID(id))
	b, err := os.ReadFile(filepath.Join(cfg.Directory, instanceIDFile))
	require.NoError(t, err)
	assert.Equal(t, id+"\n", string(b))
	h.stop()

	// It claimed, then crashed; meanwhile another reporter claimed.
	board := newClaimBoard()
	board.add("acme", jan1, id, jan2.Add(-2*time.Minute))
	board.add("acme", jan1, strings.Repeat("0", 32), jan2.Add(-time.Minute))
	sender := &fakeSender{}
	restarted := withClaims(startHarness(t, cfg, clock, sender), board)
	assert.Equal(t, id, restarted.exp.instanceID)
	restarted.runAt(jan2)
	assert.Len(t, sender.messages(), 1, "its own earlier claim wins")
	restarted.stop()

	// A damaged file is replaced; a lost one too.
	path := filepath.Join(cfg.Directory, instanceIDFile)
	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	damaged := startHarness(t, cfg, clock, &fakeSender{})
	assert.NotEqual(t, id, damaged.exp.instanceID)
	assert.True(t, reportengine.IsID(damaged.exp.instanceID))
	damaged.stop()
	again := startHarness(t, cfg, clock, &fakeSender{})
	assert.Equal(t, damaged.exp.instanceID, again.exp.instanceID)
	again.stop()
	require.NoError(t, os.Remove(path))
	lost := startHarness(t, cfg, clock, &fakeSender{})
	assert.NotEqual(t, damaged.exp.instanceID, lost.exp.instanceID)
}

func TestClaimWinner(t *testing.T) {
	at := jan2
	for _, c := range []struct {
		name   string
		claims []reportsource.Claim
		want   string
		own    bool
	}{
		{"none", nil, "", false},
		{"only others", []reportsource.Claim{{Instance: "x", At: at}}, "x", false},
		{"earliest", []reportsource.Claim{{Instance: "me", At: at.Add(time.Nanosecond)}, {Instance: "x", At: at}}, "x", true},
		{"tie", []reportsource.Claim{{Instance: "x", At: at}, {Instance: "me", At: at}}, "me", true},
		{"own earlier claim", []reportsource.Claim{{Instance: "me", At: at}, {Instance: "a", At: at.Add(time.Second)}, {Instance: "me", At: at.Add(time.Minute)}}, "me", true},
	} {
		winner, own := claimWinner(c.claims, "me")
		assert.Equal(t, c.want, winner.Instance, c.name)
		assert.Equal(t, c.own, own, c.name)
	}
}

// TestLokiSourceKeepsClaims: a reporter that reads Loki claims periods.
func TestLokiSourceKeepsClaims(t *testing.T) {
	cfg := dailyConfig(t.TempDir())
	cfg.Source.Loki = configoptional.Some(reportsource.NewDefaultLokiConfig())
	cfg.Source.Loki.Get().ClientConfig.Endpoint = "http://127.0.0.1:1"
	h := startHarness(t, cfg, &fakeClock{t: time.Now()}, &fakeSender{})
	_, ok := h.exp.source.(reportsource.Claims)
	assert.True(t, ok)
}
