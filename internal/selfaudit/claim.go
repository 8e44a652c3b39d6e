package selfaudit // import "github.com/otelcol-audit/otelcol-audit/internal/selfaudit"

import (
	"strings"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// ActionReportClaimed is the action of a claim: a reporter announces that it is about to
// render and send a report period, so that another reporter that woke for the same period
// leaves it alone.
const ActionReportClaimed = "report_claimed"

// SummaryReportClaimed is the summary of a claim; readers select claims on it.
const SummaryReportClaimed = "Report claimed"

func init() { summaries[ActionReportClaimed] = SummaryReportClaimed }

// ClaimAuthorPrefix starts the author of a claim, followed by the claiming reporter's
// instance id.
const ClaimAuthorPrefix = "reporter:"

// ReportClaimed returns the claim of the reporter instance on a report period of a tenant
// that starts at from, made at at. Its target is ReportTarget, as the delivery's; its author
// is ClaimAuthorPrefix + instance. Unlike a delivery, every claim is its own event (its id
// includes its time): the earliest claim wins, so each one must stay visible.
func ReportClaimed(tenant, report string, from time.Time, instance string, at time.Time) Event {
	return Event{
		Time:        at,
		Tenant:      tenant,
		Author:      ClaimAuthorPrefix + instance,
		Action:      ActionReportClaimed,
		Target:      ReportTarget(report, from),
		Outcome:     audit.OutcomeSuccess,
		Description: "Report " + report + " claimed by reporter " + instance,
	}
}

// ClaimInstance returns the reporter instance id of a claim's author, and false for an
// author that is not a reporter's.
func ClaimInstance(author string) (string, bool) {
	instance, ok := strings.CutPrefix(author, ClaimAuthorPrefix)
	return instance, ok && instance != ""
}
