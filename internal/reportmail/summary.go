package reportmail

import (
	"cmp"
	htmltemplate "html/template"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// ReportSummary is what the body of a report email tells: the period, the totals and the
// files. Build the counts with a Tally while rendering.
type ReportSummary struct {
	// Title names the report, e.g. "Weekly audit report".
	Title  string
	Tenant string
	// From and To bound the period [From, To), shown in Location (UTC when nil).
	From, To time.Time
	Location *time.Location
	Total    int64
	// ByCategory is sorted by count, largest first.
	ByCategory []Count
	// TopAuthors is sorted by count, largest first.
	TopAuthors   []Count
	FailedLogins int64
	// DeadLettered is how many events of the period the pipeline could not store where the
	// report reads from: they are missing from the files. The body always states the count.
	DeadLettered int64
	Files        []FileRef
}

// Count is a name with its number of events.
type Count struct {
	Name string
	N    int64
}

// FileRef is a report file, attached or behind a download link.
type FileRef struct {
	Name string
	Size int64
	// URL is the signed download link; empty when the file is attached.
	URL string
	// Expires is when URL stops working.
	Expires time.Time
	// Manifest describes the file's signed manifest; nil when it has none.
	Manifest *ManifestRef
}

// ManifestRef is the manifest beside a report file: what a recipient needs to check the file
// and notice a missing period.
type ManifestRef struct {
	// Name is the manifest's file name.
	Name string
	// URL is its signed download link; empty when it is attached.
	URL string
	// Digest is the hex SHA-256 of the manifest file.
	Digest string
	// Previous is the digest of the previous manifest of the chain; empty at a chain start.
	Previous string
	// KeyID is the signing key's id; empty when the manifest is unsigned.
	KeyID string
}

// Summary renders the plain-text and HTML bodies of a report email. HTML is escaped by
// html/template, so event text cannot inject markup.
func Summary(s ReportSummary) (text, html string, err error) {
	view := newSummaryView(s)
	var tb, hb strings.Builder
	if err := textBody.Execute(&tb, view); err != nil {
		return "", "", err
	}
	if err := htmlBody.Execute(&hb, view); err != nil {
		return "", "", err
	}
	return tb.String(), hb.String(), nil
}

const summaryTimeLayout = "2006-01-02 15:04 MST (-07:00)"

type summaryView struct {
	ReportSummary
	Period string
	Files  []fileView
}

type fileView struct {
	FileRef
	HumanSize string
	ExpiresAt string
}

func newSummaryView(s ReportSummary) summaryView {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	v := summaryView{ReportSummary: s, Period: s.From.In(loc).Format(summaryTimeLayout) + " to " + s.To.In(loc).Format(summaryTimeLayout)}
	for _, f := range s.Files {
		fv := fileView{FileRef: f, HumanSize: humanSize(f.Size)}
		if f.URL != "" {
			fv.ExpiresAt = f.Expires.In(loc).Format(summaryTimeLayout)
		}
		v.Files = append(v.Files, fv)
	}
	return v
}

func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return formatInt(n) + " B"
	}
	f, suffix := float64(n)/unit, "KiB"
	for _, next := range []string{"MiB", "GiB", "TiB"} {
		if f < unit {
			break
		}
		f, suffix = f/unit, next
	}
	return strings.TrimSuffix(strings.TrimRight(formatFloat(f), "0"), ".") + " " + suffix
}

var textBody = texttemplate.Must(texttemplate.New("text").Parse(`{{.Title}} for tenant {{.Tenant}}
Period: {{.Period}}

Total events: {{.Total}}
Failed logins: {{.FailedLogins}}
Missing events (could not be stored): {{.DeadLettered}}
{{if .DeadLettered}}
{{.DeadLettered}} events of this period could not be stored and are missing from this report.
{{end}}{{if .ByCategory}}
Events by category:
{{range .ByCategory}}  {{.Name}}: {{.N}}
{{end}}{{end}}{{if .TopAuthors}}
Top authors:
{{range .TopAuthors}}  {{.Name}}: {{.N}}
{{end}}{{end}}{{if .Files}}
Files:
{{range .Files}}  {{.Name}} ({{.HumanSize}}){{if .URL}}
    Download: {{.URL}}
    The link expires {{.ExpiresAt}}.{{else}}: attached{{end}}{{with .Manifest}}
    Manifest: {{.Name}}{{if .URL}}
    Download: {{.URL}}{{else}}, attached{{end}}
    Manifest SHA-256: {{.Digest}}
    Previous manifest: {{if .Previous}}{{.Previous}}{{else}}none, first of its chain{{end}}
    Signed with key: {{if .KeyID}}{{.KeyID}}{{else}}unsigned{{end}}{{end}}
{{end}}{{end}}`))

var htmlBody = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html><body style="font-family:sans-serif">
<h2>{{.Title}} for tenant {{.Tenant}}</h2>
<p>Period: {{.Period}}</p>
<table cellpadding="4">
<tr><th align="left">Total events</th><td align="right">{{.Total}}</td></tr>
<tr><th align="left">Failed logins</th><td align="right">{{.FailedLogins}}</td></tr>
<tr><th align="left">Missing events (could not be stored)</th><td align="right">{{.DeadLettered}}</td></tr>
</table>
{{if .DeadLettered}}<p><b>{{.DeadLettered}} events of this period could not be stored and are missing from this report.</b></p>{{end}}
{{if .ByCategory}}<h3>Events by category</h3>
<table cellpadding="4">{{range .ByCategory}}
<tr><td>{{.Name}}</td><td align="right">{{.N}}</td></tr>{{end}}
</table>{{end}}
{{if .TopAuthors}}<h3>Top authors</h3>
<table cellpadding="4">{{range .TopAuthors}}
<tr><td>{{.Name}}</td><td align="right">{{.N}}</td></tr>{{end}}
</table>{{end}}
{{if .Files}}<h3>Files</h3>
<ul>{{range .Files}}
<li>{{if .URL}}<a href="{{.URL}}">{{.Name}}</a> ({{.HumanSize}}), the link expires {{.ExpiresAt}}{{else}}{{.Name}} ({{.HumanSize}}), attached{{end}}{{with .Manifest}}
<br>Manifest: {{if .URL}}<a href="{{.URL}}">{{.Name}}</a>{{else}}{{.Name}}, attached{{end}}
<br>Manifest SHA-256: <code>{{.Digest}}</code>
<br>Previous manifest: {{if .Previous}}<code>{{.Previous}}</code>{{else}}none, first of its chain{{end}}
<br>Signed with key: {{if .KeyID}}<code>{{.KeyID}}</code>{{else}}unsigned{{end}}{{end}}</li>{{end}}
</ul>{{end}}
</body></html>
`))

// Tally counts events for a ReportSummary as rows go by, in memory bounded by the number
// of categories and by maxAuthors distinct authors.
type Tally struct {
	total        int64
	failedLogins int64
	categories   map[string]int64
	authors      map[string]int64
	maxAuthors   int
	otherAuthors int64
}

// DefaultMaxAuthors bounds the distinct authors a Tally tracks.
const DefaultMaxAuthors = 10000

// NewTally returns an empty Tally that tracks up to maxAuthors distinct authors
// (DefaultMaxAuthors when <= 0); events of further authors are counted in the total and by
// category only, so top authors stay exact unless more authors than that appear.
func NewTally(maxAuthors int) *Tally {
	if maxAuthors <= 0 {
		maxAuthors = DefaultMaxAuthors
	}
	return &Tally{categories: map[string]int64{}, authors: map[string]int64{}, maxAuthors: maxAuthors}
}

// Add counts one event. A failed login is an Authentication event whose summary is
// "Login failed", or "Login" with a failure outcome.
func (t *Tally) Add(category, summary, author, outcome string) {
	t.total++
	t.categories[category]++
	if _, ok := t.authors[author]; ok || len(t.authors) < t.maxAuthors {
		t.authors[author]++
	} else {
		t.otherAuthors++
	}
	if category == audit.CategoryAuthentication &&
		(summary == audit.SummaryLoginFailed || summary == audit.SummaryLogin && outcome == audit.OutcomeFailure) {
		t.failedLogins++
	}
}

// Fill sets the counts of s: every category, and the topAuthors busiest authors.
func (t *Tally) Fill(s *ReportSummary, topAuthors int) {
	s.Total = t.total
	s.FailedLogins = t.failedLogins
	s.ByCategory = sortedCounts(t.categories, 0)
	s.TopAuthors = sortedCounts(t.authors, topAuthors)
}

func sortedCounts(m map[string]int64, limit int) []Count {
	out := make([]Count, 0, len(m))
	for name, n := range m {
		out = append(out, Count{Name: name, N: n})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if c := cmp.Compare(b.N, a.N); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}
func formatInt(n int64) string     { return strconv.FormatInt(n, 10) }
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
