package audit

// The built-in category set: the sections of a product where a change is made. audit.category
// is a Loki label and a filter in every dashboard, so it stays this short, stable list across
// all sources. A source's own grouping is kept in AttrCategorySource; event names the catalogue
// does not know go to CategoryOther. Operators may add categories on purpose through the
// normaliser's catalogue configuration. docs/audit-model.md has the mapping for every source.
const (
	// CategoryAuthentication is defined in loki.go, because alert rules select on it.
	CategoryUsers          = "Users"
	CategoryAccessControl  = "Access control"
	CategorySettings       = "Settings"
	CategoryContent        = "Content"
	CategoryCourses        = "Courses"
	CategoryTeams          = "Teams"
	CategoryInfrastructure = "Infrastructure"
	CategorySecrets        = "Secrets"
	CategoryAuditLog       = "Audit log"
	CategoryOther          = "Other"
)

// AttrCategorySource keeps the source's own grouping of an event (a Kubernetes resource, a
// CloudTrail service, a derived event-name prefix), so that mapping it into the built-in set
// loses nothing.
const AttrCategorySource = "audit.category.source"

// BuiltinCategories is the built-in set, in display order.
var BuiltinCategories = []string{
	CategoryAuthentication, CategoryUsers, CategoryAccessControl, CategorySettings,
	CategoryContent, CategoryCourses, CategoryTeams, CategoryInfrastructure, CategorySecrets,
	CategoryAuditLog, CategoryOther,
}

// Outcomes are the values of AttrOutcome.
var Outcomes = []string{OutcomeSuccess, OutcomeFailure, OutcomeUnknown}

// IsBuiltinCategory reports whether c is in the built-in set.
func IsBuiltinCategory(c string) bool {
	for _, b := range BuiltinCategories {
		if b == c {
			return true
		}
	}
	return false
}
