package reportsource // import "github.com/otelcol-audit/otelcol-audit/internal/reportsource"

import (
	"context"
	"time"
)

// Deliveries is implemented by sources that also hold the audit-of-audit events.
type Deliveries interface {
	// Delivered reports whether a "Report delivered" event with outcome success and this
	// target exists for tenant at or after since.
	Delivered(ctx context.Context, tenant, target string, since time.Time) (bool, error)
}
