package reportengine

import (
	"strings"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

// Filters select events, for a scheduled report (its filters) and for an export (a
// dashboard's view). Every non-empty filter must match (AND); a list matches when any of its
// values equals the field, ignoring case; a *Contains filter matches a substring, ignoring
// case.
type Filters struct {
	// Authors, Categories, Summaries and Outcomes match the field exactly, ignoring case.
	Authors    []string `json:"authors,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Summaries  []string `json:"summaries,omitempty"`
	Outcomes   []string `json:"outcomes,omitempty"`
	// Contains matches the author, category, summary, description, target, source IP or
	// event id.
	Contains string `json:"contains,omitempty"`
	// AuthorContains, SummaryContains and SourceIPContains match one field (the dashboard
	// link's author, summary and source_ip text boxes).
	AuthorContains   string `json:"author_contains,omitempty"`
	SummaryContains  string `json:"summary_contains,omitempty"`
	SourceIPContains string `json:"source_ip_contains,omitempty"`
	// Services match the events' service.name exactly, ignoring case.
	Services []string `json:"services,omitempty"`
}

// Empty reports whether no filter is set.
func (f Filters) Empty() bool {
	return len(f.Authors)+len(f.Categories)+len(f.Summaries)+len(f.Outcomes)+len(f.Services) == 0 &&
		f.Contains == "" && f.AuthorContains == "" && f.SummaryContains == "" && f.SourceIPContains == ""
}

// Matcher is compiled Filters: values lower-cased once, not per row. A nil Matcher keeps
// every row.
type Matcher struct {
	services, authors, categories, summaries, outcomes []string
	contains, author, summary, sourceIP                string
}

// NewMatcher compiles f; it returns nil when f is empty.
func NewMatcher(f Filters) *Matcher {
	if f.Empty() {
		return nil
	}
	return &Matcher{
		services: lowerAll(f.Services),
		authors:  lowerAll(f.Authors), categories: lowerAll(f.Categories),
		summaries: lowerAll(f.Summaries), outcomes: lowerAll(f.Outcomes),
		contains: strings.ToLower(f.Contains), author: strings.ToLower(f.AuthorContains),
		summary: strings.ToLower(f.SummaryContains), sourceIP: strings.ToLower(f.SourceIPContains),
	}
}

func lowerAll(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.ToLower(s)
	}
	return out
}

// Match reports whether a row passes every filter.
func (m *Matcher) Match(r *audit.Row) bool {
	if m == nil {
		return true
	}
	return inList(m.services, r.Service) && inList(m.authors, r.Author) && inList(m.categories, r.Category) &&
		inList(m.summaries, r.Summary) && inList(m.outcomes, r.Outcome) &&
		containsFold(r.Author, m.author) && containsFold(r.Summary, m.summary) &&
		containsFold(r.SourceIP, m.sourceIP) &&
		(m.contains == "" || containsFold(r.Author, m.contains) || containsFold(r.Category, m.contains) ||
			containsFold(r.Summary, m.contains) || containsFold(r.Description, m.contains) ||
			containsFold(r.Target, m.contains) || containsFold(r.SourceIP, m.contains) ||
			containsFold(r.EventID, m.contains))
}

func inList(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// containsFold reports whether lowerSub (already lower case) is in s, ignoring case.
func containsFold(s, lowerSub string) bool {
	if lowerSub == "" {
		return true
	}
	return strings.Contains(strings.ToLower(s), lowerSub)
}
