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

// claim decides, with a source that keeps claims (reportsource.Claims), whether this
// reporter renders and sends the period of rec on this pass. It emits a "Report claimed"
// event, waits claim_wait for the events of every reporter that woke for the period to
// reach the source, and reads the claims of the last claim_ttl: the earliest one wins (ties:
// the smallest instance id). It returns nil when this reporter won and errNotClaimed when it
// must leave the period; other errors are failures, retried on the next pass. Without such a
// source, or without audit_events to publish the claim, there is nothing to claim.
func (e *reporter) claim(ctx context.Context, rec *runRecord) error {
	src, ok := e.source.(reportsource.Claims)
	if !ok || e.emitter == nil {
		return nil
	}
	ev := selfaudit.ReportClaimed(rec.Tenant, rec.Report, rec.From, e.instanceID, e.now())
	if err := e.emitter.Emit(ctx, selfaudit.NewLogs(ev)); err != nil {
		return fmt.Errorf("claim the period: %w", err)
	}
	if wait := e.cfg.ClaimWait; wait > 0 {
		if err := e.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%w: %w", errNotClaimed, err)
		}
	}
	claims, err := src.Claims(ctx, rec.Tenant, ev.Target, e.now().Add(-e.cfg.ClaimTTL))
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
