// Package audittest builds normalised records, as audit_normalizer writes them, for tests and
// benchmarks of what comes after the normaliser (exporters, report sources).
package audittest // import "github.com/otelcol-audit/otelcol-audit/internal/audit/audittest"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Logs returns one normalised record per row, each in a resource of its row's service. The
// body is the description, as the normaliser writes it; empty fields are not written.
func Logs(rows ...audit.Row) plog.Logs {
	ld := plog.NewLogs()
	for _, r := range rows {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("service.name", r.Service)
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(r.Time))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(r.Time))
		lr.Body().SetStr(r.Description)
		a := lr.Attributes()
		for _, kv := range [...][2]string{
			{audit.AttrTenant, r.Tenant},
			{audit.AttrEventID, r.EventID},
			{audit.AttrAuthor, r.Author},
			{audit.AttrCategory, r.Category},
			{audit.AttrSummary, r.Summary},
			{audit.AttrDescription, r.Description},
			{audit.AttrOutcome, r.Outcome},
			{audit.AttrClientAddress, r.SourceIP},
			{audit.AttrTarget, r.Target},
			{audit.AttrSource, audit.SourceOTel},
		} {
			if kv[1] != "" {
				a.PutStr(kv[0], kv[1])
			}
		}
	}
	return ld
}
