package reportsource // import "github.com/otelcol-audit/otelcol-audit/internal/reportsource"

import (
	"context"
	"strconv"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/selfaudit"
)

var _ Claims = (*lokiSource)(nil)

// Claims pages through tenant's "Report claimed" events with this target from since to a
// little past now (Loki accepts entries ahead of its clock), window by window. The instance
// is the claim's author without selfaudit.ClaimAuthorPrefix; entries by other authors are
// not claims and are left out.
func (l *lokiSource) Claims(ctx context.Context, tenant, target string, since time.Time) ([]Claim, error) {
	if err := audit.ValidateTenant(tenant); err != nil {
		return nil, err
	}
	query := selfAuditQuery(tenant, selfaudit.SummaryReportClaimed, "") +
		" | " + audit.LokiMetaTarget + "=" + strconv.Quote(target)
	var claims []Claim
	p := newPager(l, tenant, query, func(e *lokiEntry) error {
		if instance, ok := selfaudit.ClaimInstance(e.get(audit.LokiMetaAuthor)); ok {
			claims = append(claims, Claim{Instance: instance, At: time.Unix(0, e.ts).UTC()})
		}
		return nil
	})
	if err := p.scan(ctx, unixNano(since), unixNano(l.now().Add(deliveryClockSkew))); err != nil {
		return nil, err
	}
	return claims, nil
}
