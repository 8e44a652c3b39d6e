package exportjobs

import (
	"context"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/spool"
)

// SpoolSource reads events from the report exporter's spool.
func SpoolSource(s *spool.Spool) EventSource { return spoolSource{s} }

type spoolSource struct{ s *spool.Spool }

func (s spoolSource) Count(ctx context.Context, tenant string, from, to time.Time) (int, error) {
	return s.s.Count(ctx, tenant, from, to)
}

func (s spoolSource) Scan(ctx context.Context, tenant string, from, to time.Time, fn func(audit.Row) error) error {
	return s.s.Scan(ctx, tenant, from, to, func(ev audit.Row) error {
		return fn(audit.Row{
			Time: ev.Time, Author: ev.Author, Category: ev.Category, Summary: ev.Summary,
			Description: ev.Description, Outcome: ev.Outcome, SourceIP: ev.SourceIP,
			Target: ev.Target, EventID: ev.EventID, Tenant: ev.Tenant, Service: ev.Service,
		})
	})
}
