package auditnormalizerprocessor

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-audit/otelcol-audit/internal/audit"
)

func TestCatalogueBuiltin(t *testing.T) {
	c := newCatalogue(nil)
	tests := []struct {
		name, category, summary, failure string
	}{
		{"user.session.start", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"ConsoleLogin", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"LOGIN", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"user.login", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"login", audit.CategoryAuthentication, audit.SummaryLogin, audit.SummaryLoginFailed},
		{"LOGIN_ERROR", audit.CategoryAuthentication, audit.SummaryLoginFailed, ""},
		{"user.failed_login", audit.CategoryAuthentication, audit.SummaryLoginFailed, ""},
		{"course.enrolled", "Courses", "Course enrolled", ""},
		{"course.completed", "Courses", "Course completed", ""},
		{"module.completed", "Courses", "Module completed", ""},
		{"team.member_added", "Teams", "Team member added", ""},
		{"team.leader_changed", "Teams", "Team leader changed", ""},
		{"user.password_changed", audit.CategoryAuthentication, "Password changed", ""},
		{"settings.updated", "Settings", "Settings changed", ""},
		{"export.requested", "Exports", "Export requested", ""},
		{"report.downloaded", "Exports", "Report downloaded", ""},
		{"rolebindings.create", "Roles", "Role granted", ""},
		{"REALM_ROLE_MAPPING.DELETE", "Roles", "Role revoked", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := c.lookup(tt.name)
			assert.Equal(t, tt.category, k.category)
			assert.Equal(t, tt.summary, k.summary)
			assert.Equal(t, tt.failure, k.failureSummary)
		})
	}
}

func TestCatalogueDerived(t *testing.T) {
	c := newCatalogue(nil)
	tests := []struct {
		name, category, summary string
	}{
		{"repo.create", "Repo", "Create"},
		{"org.add_member", "Users", "Member added"}, // built in
		{"user.session.refresh", audit.CategoryAuthentication, "Session refresh"},
		{"protected_branch.policy_override", "Protected branch", "Policy override"},
		{"USER_PROFILE.UPDATE", "User profile", "Update"},
		{"CreateBucket", "", "Create bucket"},
		{"EnableMFADevice", audit.CategoryAuthentication, "MFA enrolled"},
		{"PutMFADeviceTag", "", "Put mfa device tag"},
		{"deployments.patch", "Deployments", "Patch"},
		{"course.archived", "Courses", "Archived"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := c.lookup(tt.name)
			assert.Equal(t, tt.category, k.category)
			assert.Equal(t, tt.summary, k.summary)
			// A second lookup is served from the cache with the same answer.
			assert.Equal(t, k, c.lookup(tt.name))
		})
	}
}

func TestCatalogueErrorTypes(t *testing.T) {
	c := newCatalogue(nil)
	k := c.lookup("UPDATE_PASSWORD_ERROR")
	assert.Equal(t, "Password change failed", k.summary)
	assert.Equal(t, audit.OutcomeFailure, k.outcome)
	k = c.lookup("REGISTER_ERROR")
	assert.Equal(t, "Registration failed", k.summary)
	assert.Equal(t, audit.OutcomeFailure, k.outcome)
	k = c.lookup("USER_INFO_REQUEST_ERROR")
	assert.Equal(t, "User info request error", k.summary, "unknown error types are derived from the name")
}

func TestCatalogueUserEntries(t *testing.T) {
	c := newCatalogue([]CatalogueEntry{
		{Name: "course.completed", Category: "Learning", Summary: "Finished a course"},
		{Prefix: "billing.", Category: "Billing"},
		{Prefix: "billing.invoice.", Category: "Invoices"},
		{Prefix: "user.session.", Category: "Sessions"},
		{Glob: "team.*_changed", Category: "Teams", Summary: "Team changed", FailureSummary: "Team change failed"},
		{Glob: "lms.??.export", Category: "Exports", Outcome: audit.OutcomeSuccess},
	})
	// Exact user entries override the built-in catalogue.
	assert.Equal(t, eventKind{category: "Learning", summary: "Finished a course"}, c.lookup("course.completed"))
	// Longest prefix wins; the summary is derived from the name.
	assert.Equal(t, eventKind{category: "Invoices", summary: "Invoice paid"}, c.lookup("billing.invoice.paid"))
	assert.Equal(t, eventKind{category: "Billing", summary: "Plan changed"}, c.lookup("billing.plan_changed"))
	// A user prefix overrides built-in names under it.
	assert.Equal(t, "Sessions", c.lookup("user.session.start").category)
	// Globs: * spans dots, ? is one character.
	assert.Equal(t, eventKind{category: "Teams", summary: "Team changed", failureSummary: "Team change failed"}, c.lookup("team.leader_changed"))
	assert.Equal(t, "Exports", c.lookup("lms.eu.export").category)
	assert.Equal(t, "Lms", c.lookup("lms.eur.export").category)
}

func TestCatalogueCacheBounded(t *testing.T) {
	c := newCatalogue(nil)
	for i := 0; i < maxCachedNames+100; i++ {
		c.lookup("custom.event_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26))
	}
	assert.LessOrEqual(t, c.cached.Load(), int64(maxCachedNames))
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "anything.at/all", true},
		{"team.*", "team.member_added", true},
		{"team.*", "teams.x", false},
		{"*.completed", "course.module.completed", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, globMatch(tt.pattern, tt.name), "%q ~ %q", tt.pattern, tt.name)
	}
}

func TestHumanize(t *testing.T) {
	tests := map[string]string{
		"add_member":         "Add member",
		"session.start":      "Session start",
		"AttachUserPolicy":   "Attach user policy",
		"REALM_ROLE_MAPPING": "Realm role mapping",
		"MFADevice":          "Mfa device",
		"pods/exec":          "Pods exec",
		"__":                 "",
		"x":                  "X",
	}
	for in, want := range tests {
		assert.Equal(t, want, humanize(in), in)
	}
}

func TestCleanString(t *testing.T) {
	assert.Equal(t, "alice@example.com", cleanString("alice@example.com", 64))
	assert.Equal(t, "alicemoc.evil", cleanString("alice\u202emoc.evil", 64))
	assert.Equal(t, "ab", cleanString("a\x00\x1b\u2066b\u200b", 64))
	assert.Equal(t, "Zoë", cleanString("Zoë", 64))
	assert.Equal(t, "abc", cleanString("abcdef", 3))
	// Cut on a rune boundary, never inside a multi-byte character.
	assert.Equal(t, "é", cleanString("éé", 3))
	assert.Equal(t, "ok", cleanString("o\xffk", 64))
}
