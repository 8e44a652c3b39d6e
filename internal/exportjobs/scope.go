package exportjobs

import "strings"

// Scopes of an export: what the file holds. Admins coming from other audit products expect
// "Generate log file" to hold every event of the period, whatever the dashboard shows, so
// the complete log file and the filtered view are two distinct, named requests.
const (
	// ScopeAll is the complete log file: every event of the tenant in the period. It takes
	// no filters.
	ScopeAll = "all"
	// ScopeView is the events matching the filters, as the dashboard showed them.
	ScopeView = "view"
)

// resolveScope defaults the scope from the filters (view when any is set, else all) and
// refuses all with filters: a "complete" file that is filtered would mislead whoever reads
// it.
func resolveScope(scope string, f Filters) (string, error) {
	switch scope {
	case "":
		if f.Empty() {
			return ScopeAll, nil
		}
		return ScopeView, nil
	case ScopeAll:
		if !f.Empty() {
			return "", fieldErr("scope", "is all (every event of the period), which takes no filters: remove the filters or use scope view")
		}
		return ScopeAll, nil
	case ScopeView:
		return ScopeView, nil
	default:
		return "", fieldErr("scope", "must be all or view")
	}
}

// filterList names the filters that are set, in the order the pages show them.
func filterList(f Filters) []nameValue {
	var out []nameValue
	for _, nv := range []nameValue{
		{"Services", strings.Join(f.Services, ", ")}, {"Categories", strings.Join(f.Categories, ", ")},
		{"Outcomes", strings.Join(f.Outcomes, ", ")}, {"Authors", strings.Join(f.Authors, ", ")},
		{"Summaries", strings.Join(f.Summaries, ", ")}, {"Author contains", f.AuthorContains},
		{"Summary contains", f.SummaryContains}, {"Source IP contains", f.SourceIPContains},
		{"Any column contains", f.Contains},
	} {
		if nv.Value != "" {
			out = append(out, nv)
		}
	}
	return out
}

type nameValue struct{ Name, Value string }

// scopeText is how the pages and the email name a scope: a title and what it holds.
func scopeText(scope string, f Filters) (title, detail string) {
	if scope == ScopeAll {
		return "Complete log file", "every event of the range"
	}
	parts := make([]string, 0, 9)
	for _, nv := range filterList(f) {
		parts = append(parts, nv.Name+": "+nv.Value)
	}
	if len(parts) == 0 {
		return "Filtered view", "no filters, every event of the range"
	}
	return "Filtered view", strings.Join(parts, "; ")
}

// describeScope is scopeText as one line, e.g. "Complete log file: every event of the
// range" or "Filtered view: Categories: Authentication; Author contains: alice".
func describeScope(scope string, f Filters) string {
	title, detail := scopeText(scope, f)
	return title + ": " + detail
}
