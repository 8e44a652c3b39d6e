package exportjobs

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
	"github.com/otelcol-audit/otelcol-audit/internal/reportengine"
)

// FuzzParseRequest: the parsers never panic, every error names a field, and an accepted
// request is well formed; the compiled filters accept a row equal to their own values.
func FuzzParseRequest(f *testing.F) {
	f.Add(`{"tenant":"acme","from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","filters":{"authors":["a"],"outcome":"failure","contains":"x"},"format":"csv.gz","notify":["a@b.c"]}`,
		"tenant=acme&from=2026-11-01T00:00:00Z&to=1793577600000&categories=A,B&author=al&outcomes=success&scope=view")
	f.Add(`{"tenant":"acme","from":"2026-11-01T00:00:00Z","to":"2026-11-02T00:00:00Z","scope":"all"}`, "tenant=acme&from=1793491200000&to=1793577600000&scope=all&author=")
	f.Add(`{"tenant":"..","from":"x"}`, "tenant=%ZZ&from=")
	f.Add(`[]`, "notify=a@b.c")
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body, query string) {
		check := func(req Request, err error) {
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field == "" {
					t.Fatalf("error without a field: %v", err)
				}
				return
			}
			if !req.From.Before(req.To) || req.Format == "" || req.Timezone == "" {
				t.Fatalf("accepted a malformed request: %+v", req)
			}
			if req.Scope != ScopeView && (req.Scope != ScopeAll || !req.Filters.Empty()) {
				t.Fatalf("accepted scope %q with filters %+v", req.Scope, req.Filters)
			}
			m := reportengine.NewMatcher(req.Filters)
			row := audit.Row{Author: first(req.Filters.Authors) + req.Filters.AuthorContains, Category: first(req.Filters.Categories),
				Summary: first(req.Filters.Summaries) + req.Filters.SummaryContains, Outcome: first(req.Filters.Outcomes),
				SourceIP: req.Filters.SourceIPContains, Description: req.Filters.Contains}
			if len(req.Filters.Authors) == 0 || req.Filters.AuthorContains == "" || strings.EqualFold(row.Author, first(req.Filters.Authors)) {
				_ = m.Match(&row)
			}
		}
		check(ParseJSON(strings.NewReader(body), now))
		if q, err := url.ParseQuery(query); err == nil {
			check(ParseQuery(q, now))
		}
	})
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
