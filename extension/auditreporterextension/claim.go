package auditreporterextension // import "github.com/otelcol-audit/otelcol-audit/extension/auditreporterextension"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.uber.org/zap"

	"github.com/otelcol-audit/otelcol-audit/internal/atomicfile"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
	"github.com/otelcol-audit/otelcol-audit/internal/reportsource"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

// instanceIDFile, in Config.Directory, holds the reporter's instance id: its claims are
// recognised as its own after a restart. A lost directory gives a new id.
const instanceIDFile = "instance_id"

// errNotClaimed is deliver's answer for a period this reporter does not hold on this pass:
// another reporter's claim is earlier, or its own claim is not visible yet. Nothing is
// recorded; a later pass finds the delivery, or claims again.
var errNotClaimed = errors.New("the period is not claimed by this reporter")

// loadInstanceID returns the id stored at path, creating it first when the file is missing
// or does not hold an id (a crash while writing it).
func loadInstanceID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if id := strings.TrimSpace(string(b)); reportengine.IsID(id) {
			return id, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read instance id: %w", err)
	}
	id := reportengine.NewID()
	if err := atomicfile.WriteBytes(path, []byte(id+"\n")); err != nil {
		return "", fmt.Errorf("write instance id: %w", err)
	}
	return id, nil
}

// claimAll claims, with a source that keeps claims (reportsource.Claims), the periods of a
// round: it emits a "Report claimed" event for each, then waits claim_wait once for the
// events of every reporter that woke for these periods to reach the source. checkClaim then
// tells, period by period, whether this reporter renders and sends it. Without such a
// source, or without audit_events to publish the claims, there is nothing to claim.
func (e *reporter) claimAll(ctx context.Context, batch []*pendingRun) error {
	if _, ok := e.source.(reportsource.Claims); !ok || e.emitter == nil {
		return nil
	}
	now := e.now()
	events := make([]selfaudit.Event, 0, len(batch))
	for _, p := range batch {
		events = append(events, selfaudit.ReportClaimed(p.rec.Tenant, p.rec.Report, p.rec.From, e.instanceID, now))
	}
	if err := e.emitter.Emit(ctx, selfaudit.NewLogs(events...)); err != nil {
		return fmt.Errorf("claim the periods: %w", err)
	}
	if wait := e.cfg.ClaimWait; wait > 0 {
		if err := e.sleep(ctx, wait); err != nil {
			return err
		}
	}
	waited := e.now()
	for _, p := range batch {
		p.waited = waited
	}
	return nil
}

// claimAged tells whether the claim on p has used half the time claim_ttl leaves after
// claim_wait: the render and send may then outlast it, and the period is claimed again.
func (e *reporter) claimAged(p *pendingRun) bool {
	return !p.waited.IsZero() && e.now().Sub(p.waited) > (e.cfg.ClaimTTL-e.cfg.ClaimWait)/2
}

// checkClaim reads the claims on the period of p made in the claim_ttl before claimAll's
// wait ended: the earliest one wins (ties: the smallest instance id). It returns nil when
// this reporter won or the period was not claimed, and errNotClaimed when it must leave the
// period; other errors are failures, retried on the next pass.
func (e *reporter) checkClaim(ctx context.Context, p *pendingRun) error {
	if p.waited.IsZero() {
		return nil
	}
	rec := p.rec
	src := e.source.(reportsource.Claims)
	claims, err := src.Claims(ctx, rec.Tenant, selfaudit.ReportTarget(rec.Report, rec.From), p.waited.Add(-e.cfg.ClaimTTL))
	if err != nil {
		return fmt.Errorf("read the period's claims: %w", err)
	}
	fields := []zap.Field{zap.String("report", rec.Report), zap.String("tenant", rec.Tenant), zap.Time("from", rec.From)}
	winner, own := claimWinner(claims, e.instanceID)
	switch {
	case !own:
		e.logger.Warn("own claim on the report period not visible after claim_wait; the period is left to the next pass: raise claim_wait above the audit_loki flush_timeout plus a push",
			append(fields, zap.Duration("claim_wait", e.cfg.ClaimWait))...)
		return errNotClaimed
	case winner.Instance != e.instanceID:
		e.logger.Info("report period claimed by another reporter; left to it on this pass",
			append(fields, zap.String("claimed_by", winner.Instance), zap.Time("claimed_at", winner.At))...)
		return errNotClaimed
	}
	return nil
}

// claimWinner returns the earliest claim (ties: the smallest instance id) and whether one of
// the claims is instance's.
func claimWinner(claims []reportsource.Claim, instance string) (reportsource.Claim, bool) {
	var winner reportsource.Claim
	own := false
	for i, c := range claims {
		own = own || c.Instance == instance
		if i == 0 || c.At.Before(winner.At) || c.At.Equal(winner.At) && c.Instance < winner.Instance {
			winner = c
		}
	}
	return winner, own
}
