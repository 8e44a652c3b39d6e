// Package reportsource is where scheduled reports and on-demand exports read events from:
// the local spool (one process, the default) or Loki's query API (a fleet of stateless
// gateways, one reporter). Both yield the same audit.Row.
package reportsource // import "github.com/otelcol-audit/otelcol-audit/internal/reportsource"

import (
	"context"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

// Source reads the normalised events of one tenant over a period.
type Source interface {
	// Count returns how many events of tenant fall in [from, to).
	Count(ctx context.Context, tenant string, from, to time.Time) (int, error)
	// Scan calls fn for every event of tenant in [from, to), in time order, each event id
	// once.
	Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error
	// DeadLettered returns how many events of tenant timed in [from, to) the exporters could
	// not deliver to the store this source reads, so that a report states what it misses.
	DeadLettered(ctx context.Context, tenant string, from, to time.Time) (int64, error)
	// SettleDelay is how long after a period's end its events may still be arriving; a
	// period is rendered only once it has passed.
	SettleDelay() time.Duration
	// Retention is how far back the source holds events; zero means unknown.
	Retention() time.Duration
}

// Spool reads the report spool. It never misses an event it acknowledged: an event is either
// in the spool or refused back to the pipeline, so nothing is dead-lettered and nothing settles.
func Spool(s *spool.Spool, retention time.Duration) Source { return spoolSource{s, retention} }

type spoolSource struct {
	s         *spool.Spool
	retention time.Duration
}

func (s spoolSource) Count(ctx context.Context, tenant string, from, to time.Time) (int, error) {
	return s.s.Count(ctx, tenant, from, to)
}

func (s spoolSource) Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error {
	return s.s.Scan(ctx, tenant, from, to, fn)
}

func (spoolSource) DeadLettered(context.Context, string, time.Time, time.Time) (int64, error) {
	return 0, nil
}

func (spoolSource) SettleDelay() time.Duration { return 0 }

func (s spoolSource) Retention() time.Duration { return s.retention }
