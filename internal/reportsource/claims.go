package reportsource // import "github.com/otelcol-audit/otelcol-audit/internal/reportsource"

import (
	"context"
	"time"
)

// Claim is one reporter's claim on a report period: the "Report claimed" audit event it
// emitted before rendering the period.
type Claim struct {
	// Instance is the claiming reporter's instance id.
	Instance string
	// At is when the claim was made (the event's time).
	At time.Time
}

// Claims is implemented by sources that also hold the audit-of-audit events, where several
// reporters can see each other's claims. The earliest claim on a period wins it.
type Claims interface {
	// Claims returns tenant's claims with this target (selfaudit.ReportTarget) made at or
	// after since, in time order.
	Claims(ctx context.Context, tenant, target string, since time.Time) ([]Claim, error)
}
